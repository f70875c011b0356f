/**
 * `caxton test --trace` (STORY-018 debugging): every step of a case's run, observed from outside the
 * runtime through the case's provider and toolbox: the agent's template variables (`parameters.*`,
 * whether `{{memory_context}}` is filled), each model call (messages sent, time, tokens, finish
 * reason, tools asked for), each tool call (arguments, result, time, and whether it was mocked,
 * replayed from the cassette or really run), and how the run ended.
 */
import type { Agent } from '../domain/entities.js';
import type { Provider, ProviderEvent } from '../llm/types.js';

/** One step of a case's trace. Times in ms, tokens as the provider reported them. */
export type TraceStep =
  | { kind: 'variables'; parameters: Record<string, unknown>; memory_context: boolean; user_prompt_template: boolean }
  | { kind: 'model'; call: number; messages: number; ms: number; input_tokens: number; output_tokens: number; finish: string; tool_calls: string[] }
  | { kind: 'tool'; name: string; arguments: unknown; result: string; is_error: boolean; ms: number; source: 'mocked' | 'cassette' | 'real' }
  | { kind: 'end'; finish_reason: string; error?: string };

/** The template variables of `agent` as its first request renders them. */
export function variablesStep(agent: Agent): TraceStep {
  return {
    kind: 'variables',
    parameters: agent.parameters,
    memory_context: agent.memory?.enabled === true,
    user_prompt_template: agent.user_prompt_template !== undefined,
  };
}

/** `provider` with each call's messages, time, usage, finish and tool calls appended to `steps`. */
export function tracedProvider(provider: Provider, steps: TraceStep[]): Provider {
  return {
    name: provider.name,
    type: provider.type,
    async *chat(request, signal) {
      const step = {
        kind: 'model' as const,
        call: steps.filter((s) => s.kind === 'model').length + 1,
        messages: request.messages.length,
        ms: 0,
        input_tokens: 0,
        output_tokens: 0,
        finish: '',
        tool_calls: [] as string[],
      };
      steps.push(step);
      const t0 = performance.now();
      try {
        for await (const ev of provider.chat(request, signal)) {
          observe(step, ev);
          yield ev;
        }
      } finally {
        step.ms = performance.now() - t0;
      }
    },
  };
}

function observe(step: Extract<TraceStep, { kind: 'model' }>, ev: ProviderEvent): void {
  if (ev.type === 'usage') Object.assign(step, { input_tokens: ev.input_tokens, output_tokens: ev.output_tokens });
  else if (ev.type === 'finish') step.finish = ev.reason;
  else if (ev.type === 'tool_call') step.tool_calls.push(ev.call.function.name);
}

/** The trace as indented text lines. */
export function formatTrace(steps: readonly TraceStep[]): string {
  return steps
    .map((s) => {
      switch (s.kind) {
        case 'variables':
          return `    variables: parameters ${JSON.stringify(s.parameters)} · memory_context ${s.memory_context ? 'filled' : 'off'} · user_prompt_template ${s.user_prompt_template ? 'yes' : 'no'}`;
        case 'model':
          return `    model call ${s.call}: ${s.messages} messages · ${s.ms.toFixed(1)} ms · ${s.input_tokens} in / ${s.output_tokens} out tokens · finish ${s.finish || '(none)'}${s.tool_calls.length ? ` · asks for ${s.tool_calls.join(', ')}` : ''}`;
        case 'tool':
          return `    tool ${s.name}(${JSON.stringify(s.arguments)}) ${s.is_error ? 'failed:' : '->'} ${s.result.slice(0, 200)} · ${s.ms.toFixed(1)} ms · ${s.source}`;
        case 'end':
          return `    end: ${s.finish_reason}${s.error ? ` (${s.error})` : ''}`;
      }
    })
    .join('\n');
}
