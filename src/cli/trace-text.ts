/**
 * A run trace (src/domain/run-trace.ts) as readable text for `caxton run trace` and `caxton agent
 * test --trace`: one numbered block per step, long texts clipped to `CLIP_CHARS` characters (`--json`
 * gives them whole). Times in ms, tokens as the provider reported them.
 */
import type { RunTrace, RunTraceStep } from '../domain/run-trace.js';

/** Longest text (characters) shown of one message, reply or tool result. */
const CLIP_CHARS = 300;

const clip = (text: string) => (text.length > CLIP_CHARS ? `${text.slice(0, CLIP_CHARS)}… (${text.length} characters)` : text);
const oneLine = (text: string) => clip(text).replace(/\s*\n\s*/g, ' ⏎ ');
const indent = (text: string) => text.replace(/^/gm, '     ');

function stepText(s: RunTraceStep): string {
  switch (s.kind) {
    case 'prompt':
      return [
        'prompt',
        `   system prompt:\n${indent(s.system_prompt)}`,
        `   parameters: ${JSON.stringify(s.variables.parameters)}`,
        `   memory_context: ${s.variables.memory_context === '' ? '(empty)' : `\n${indent(s.variables.memory_context)}`}`,
        `   user prompt: ${oneLine(s.user_prompt)}`,
      ].join('\n');
    case 'messages': {
      const trimmed = s.history_trimmed ? ` · ${s.history_trimmed} older history message(s) trimmed to fit the context` : ' · no history trimmed';
      const lines = s.messages.map((m) => `   ${m.role}: ${oneLine(m.content)}${m.tool_calls ? ` [calls ${m.tool_calls.join(', ')}]` : ''}`);
      return [`messages sent: ${s.messages.length}${trimmed}`, ...lines].join('\n');
    }
    case 'model_call': {
      const head = `model call ${s.call} · ${s.model} · ${s.messages} messages · ${s.duration_ms} ms · ${s.input_tokens} in / ${s.output_tokens} out tokens · finish ${s.finish}`;
      const calls = s.tool_calls.map((c) => `   asks for ${c.name}(${c.arguments})`);
      return [head, ...(s.text ? [`   text: ${oneLine(s.text)}`] : []), ...calls].join('\n');
    }
    case 'tool_call': {
      const outcome = s.timed_out ? 'timed out:' : s.is_error ? 'failed:' : '->';
      return `tool ${s.name}(${s.arguments}) ${outcome} ${oneLine(s.result)} · ${s.duration_ms} ms · round ${s.iteration}`;
    }
    case 'end':
      return `end: ${s.status} · finish_reason ${s.finish_reason} · ${s.duration_ms} ms${s.message ? `\n   ${oneLine(s.message)}` : ''}`;
  }
}

/** `trace` as numbered text blocks, headed by its execution id (and the steps left out, when any). */
export function traceText(trace: RunTrace): string {
  const omitted = trace.omitted_steps ? ` (${trace.omitted_steps} step(s) left out to keep it under 256 KiB)` : '';
  const steps = trace.steps.map((s, i) => `${String(i + 1).padStart(2)}. ${stepText(s)}`);
  return [`trace of ${trace.execution_id}${omitted}`, ...steps].join('\n') + '\n';
}
