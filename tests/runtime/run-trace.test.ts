/**
 * The run trace recorder (src/runtime/run-trace.ts) in the runtime over a real SQLite file: trimmed
 * history is counted, a failed model call and the run's error end are traced, and a trace over the
 * 256 KiB cap keeps its first steps and its end with `omitted_steps` saying what was left out.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentSchema, ModelSchema } from '../../src/domain/entities.js';
import { DomainError } from '../../src/domain/errors.js';
import { MAX_TRACE_BYTES, MAX_TRACE_TEXT_CHARS, type RunTrace } from '../../src/domain/run-trace.js';
import { createScriptedProvider } from '../../src/llm/scripted.js';
import type { RunEvent } from '../../src/runtime/events.js';
import { createRuntime } from '../../src/runtime/run.js';
import { RunTracer } from '../../src/runtime/run-trace.js';
import { openSqliteStore } from '../../src/store/sqlite/database.js';
import { tempDir } from '../helpers/tmp.js';

const store = openSqliteStore(join(tempDir('cx-rtt-'), 'ares.db'));
afterAll(async () => await store.close());

const model = ModelSchema.parse({ name: 'm', provider: 'p', model: 'gpt-4o-mini' });
const agent = AgentSchema.parse({ name: 'helper', system_prompt: 'You help.' });

async function lastEvent(events: AsyncIterable<RunEvent>): Promise<RunEvent> {
  let last: RunEvent | undefined;
  for await (const e of events) last = e;
  return last!;
}
const traceOf = async (id: string) => JSON.parse((await store.tenants.history.trace(id))!.trace) as RunTrace;

describe('run traces in the runtime', () => {
  it('counts the history trimmed to fit the context budget', async () => {
    const p = createScriptedProvider('p', [], { whenEmpty: 'echo' });
    const rt = createRuntime({ store, providers: { get: async () => p }, contextWindow: () => 1024 + 400 });
    let conv: string | undefined;
    let last: RunEvent | undefined;
    for (let i = 1; i <= 6; i++) {
      const message = `turn ${i} ${'x'.repeat(200)}`;
      last = await lastEvent(rt.run({ agent, source: 'system', model, message, userId: 'local', trace: i === 6, ...(conv ? { conversationId: conv } : {}) }));
      conv = (last as { conversation_id: string }).conversation_id;
    }
    const trace = await traceOf((last as { execution_id: string }).execution_id);
    const messages = trace.steps.find((s) => s.kind === 'messages')!;
    expect(messages.kind === 'messages' && messages.history_trimmed).toBeGreaterThan(0);
    // Stored history is 10 messages; what was sent is the system prompt, the kept history and the new turn.
    expect(messages.kind === 'messages' && messages.messages.length + messages.history_trimmed).toBe(1 + 10 + 1);
  });

  it('traces a failed model call and the run ending in error', async () => {
    const p = createScriptedProvider('p', [{ error: new DomainError('PROVIDER_UNAVAILABLE', 'the provider is down') }]);
    const rt = createRuntime({ store, providers: { get: async () => p }, trace: true });
    const last = await lastEvent(rt.run({ agent, source: 'system', model, message: 'hi', userId: 'local' }));
    expect(last.type).toBe('error');
    const trace = await traceOf((last as { execution_id: string }).execution_id);
    expect(trace.steps.map((s) => s.kind)).toEqual(['prompt', 'messages', 'model_call', 'end']);
    expect(trace.steps[2]).toMatchObject({ finish: 'error', text: '', tool_calls: [] });
    expect(trace.steps[3]).toMatchObject({ status: 'error', finish_reason: 'error', message: expect.stringContaining('the provider is down') });
  });
});

describe('RunTracer.finish', () => {
  it('keeps a trace under 256 KiB: long texts cut, middle steps left out, first steps and end kept, secrets scrubbed', () => {
    const calls = Array.from({ length: 100 }, (_, i) => ({
      name: 'fetch',
      arguments: '{}',
      result: `SECRET ${'ř'.repeat(MAX_TRACE_TEXT_CHARS + 10)} ${i}`,
      is_error: false,
      duration_ms: 1,
      iteration: 1,
    }));
    const tracer = new RunTracer('exec_big', calls);
    const request = {
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system' as const, content: 'You help.' },
        { role: 'user' as const, content: 'go' },
      ],
    };
    tracer.firstTurn({ agent } as never, { request, first: [{ role: 'user', content: 'go' }], historyTrimmed: 0 });
    const text = tracer.finish(
      {
        id: 'exec_big',
        agent_name: 'helper',
        agent_source: 'system',
        user_id: 'local',
        input: 'go',
        duration_ms: 5,
        status: 'success',
        created_at: 0,
        finish_reason: 'stop',
      },
      (s) => s.replaceAll('SECRET', '[redacted]'),
    );
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_TRACE_BYTES);
    expect(text).not.toContain('SECRET');
    const trace = JSON.parse(text) as RunTrace;
    expect(trace.omitted_steps).toBeGreaterThan(0);
    expect(trace.steps.length + trace.omitted_steps!).toBe(2 + 100 + 1);
    expect(trace.steps.slice(0, 2).map((s) => s.kind)).toEqual(['prompt', 'messages']);
    expect(trace.steps.at(-1)).toMatchObject({ kind: 'end', finish_reason: 'stop' });
    const tool = trace.steps[2]!;
    expect(tool.kind === 'tool_call' && tool.result).toMatch(/^\[redacted\] ř+… \[cut: \d+ characters\]$/);
  });
});
