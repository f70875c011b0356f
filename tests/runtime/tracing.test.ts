/**
 * The runtime's spans (src/runtime/tracing.ts) under a registered tracer provider recording in
 * memory: a run started inside a tool call (a sub-run) is a child of that tool's span, and a model
 * call that fails marks its `chat` span and the run's span as errors with the error's type only.
 */
import { join } from 'node:path';
import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AgentSchema, ModelSchema } from '../../src/domain/entities.js';
import { DomainError } from '../../src/domain/errors.js';
import { createScriptedProvider } from '../../src/llm/scripted.js';
import type { RunEvent } from '../../src/runtime/events.js';
import { createRuntime, type ManagedRuntime } from '../../src/runtime/run.js';
import { openSqliteStore } from '../../src/store/sqlite/database.js';
import { createToolbox } from '../../src/tools/toolbox.js';
import type { ToolSet } from '../../src/tools/types.js';
import { tempDir } from '../helpers/tmp.js';

const store = openSqliteStore(join(tempDir('cx-trace-'), 'ares.db'));
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
beforeAll(() => void provider.register());
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
  await store.close();
});
beforeEach(() => exporter.reset());

const model = ModelSchema.parse({ name: 'm', provider: 'p', model: 'gpt-4o-mini' });
const outer = AgentSchema.parse({ name: 'outer', system_prompt: 'You delegate.', tools: ['delegate'] });
const inner = AgentSchema.parse({ name: 'inner', system_prompt: 'You answer.' });

async function drain(events: AsyncIterable<RunEvent>): Promise<RunEvent[]> {
  const out: RunEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

/** A runtime whose `delegate` tool runs the `inner` agent to completion and returns its reply. */
function delegatingRuntime(script: ReturnType<typeof createScriptedProvider>): ManagedRuntime {
  const tools: ToolSet = {
    list: () => [{ name: 'delegate', spec: { name: 'delegate', parameters: { type: 'object' } }, timeoutMs: 5_000 }],
    async call() {
      const events = await drain(runtime.run({ agent: inner, source: 'system', model, message: 'sub-question', userId: 'local' }));
      const done = events.find((e) => e.type === 'done');
      return { content: done?.type === 'done' ? done.reply : 'no reply' };
    },
  };
  const runtime = createRuntime({ store, providers: { get: async () => script }, toolbox: createToolbox({ sets: () => [tools] }) });
  return runtime;
}

const named = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

describe('runtime spans', () => {
  it('a run started by a tool call is a child of its execute_tool span', async () => {
    const script = createScriptedProvider('p', [
      { tool_calls: [{ id: 'd1', name: 'delegate', arguments: {} }] },
      { text: 'inner answer' },
      { text: 'outer answer' },
    ]);
    const events = await drain(delegatingRuntime(script).run({ agent: outer, source: 'system', model, message: 'question', userId: 'local' }));
    expect(events.at(-1)).toMatchObject({ type: 'done', reply: 'outer answer' });
    const spans = exporter.getFinishedSpans();
    const [outerRun] = named(spans, 'invoke_agent outer');
    const [tool] = named(spans, 'execute_tool delegate');
    const [innerRun] = named(spans, 'invoke_agent inner');
    expect(parentOf(tool!)).toBe(outerRun!.spanContext().spanId);
    expect(parentOf(innerRun!)).toBe(tool!.spanContext().spanId);
    expect(innerRun!.spanContext().traceId).toBe(outerRun!.spanContext().traceId);
    // Each run's model calls are its own children.
    const chats = named(spans, 'chat gpt-4o-mini');
    expect(chats.map(parentOf).sort()).toEqual([outerRun, outerRun, innerRun].map((s) => s!.spanContext().spanId).sort());
  });

  it('a failed model call marks its chat span and the run as errors, naming the error type only', async () => {
    const script = createScriptedProvider('p', [{ error: new DomainError('PROVIDER_ERROR', 'provider said: secret-detail') }]);
    const events = await drain(delegatingRuntime(script).run({ agent: inner, source: 'system', model, message: 'question', userId: 'local' }));
    expect(events.at(-1)).toMatchObject({ type: 'error' });
    const spans = exporter.getFinishedSpans();
    const [chat] = named(spans, 'chat gpt-4o-mini');
    const [run] = named(spans, 'invoke_agent inner');
    expect(chat!.status).toEqual({ code: 2, message: 'DomainError' });
    expect(chat!.attributes['error.type']).toBe('DomainError');
    expect(run!.status.code).toBe(2);
    expect(run!.attributes).toMatchObject({ 'caxton.status': 'error', 'gen_ai.agent.name': 'inner' });
    expect(JSON.stringify(spans.map((s) => [s.attributes, s.status]))).not.toContain('secret-detail');
  });
});
