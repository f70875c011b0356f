/**
 * Cassettes: recorded model traffic for `caxton test` (docs/testing.md, "Record and replay"). A
 * cassette is a JSON file beside a scenario file (`NAME.cassette.json`) holding each model request
 * (keyed by a stable SHA-256 of model + messages + tools + parallel_tool_calls + sampling) with the
 * provider events that answered it (text deltas, tool calls, usage, finish), and each tool result
 * (keyed by tool name + arguments). `cassetteProvider` wraps a Provider:
 *
 * - `replay`: answers from the cassette, never calling the real provider; a request not recorded
 *   fails with the nearest recorded request and what changed (system prompt, tools, messages...);
 * - `record`: calls the real provider and records every request (the file is rewritten whole);
 * - `update`: replays what is recorded and records only the misses.
 *
 * Cassettes hold provider events, not HTTP, so no API key or header is ever in them; `saveCassette`
 * also removes configured secret values from the text before writing.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { canonicalize, createTwoFilesPatch, diffLines } from 'diff';
import { DomainError } from '../domain/errors.js';
import type { ChatRequest, Provider, ProviderEvent } from './types.js';

/** How a cassette is used (module comment). */
export type CassetteMode = 'replay' | 'record' | 'update';

/** One recorded model request and the events that answered it. */
export interface RecordedInteraction {
  key: string;
  request: KeyedRequest;
  events: ProviderEvent[];
}

/** One recorded tool call: its result as the model saw it. */
export interface RecordedToolCall {
  key: string;
  tool: string;
  arguments: unknown;
  result: { content: string; isError?: boolean };
}

/** The file's shape. */
export interface CassetteFile {
  version: 1;
  interactions: RecordedInteraction[];
  tools: RecordedToolCall[];
}

/** A loaded cassette and what this session added to it. */
export interface Cassette {
  file: string;
  mode: CassetteMode;
  data: CassetteFile;
  /** True once something was recorded (the file needs writing). */
  dirty: boolean;
}

/** The parts of a request that identify it (what the key hashes). */
type KeyedRequest = Pick<ChatRequest, 'model' | 'messages' | 'tools' | 'parallel_tool_calls' | 'sampling'>;

const keyedPart = (r: ChatRequest): KeyedRequest => ({
  model: r.model,
  messages: r.messages,
  ...(r.tools?.length ? { tools: r.tools } : {}),
  ...(r.parallel_tool_calls !== undefined ? { parallel_tool_calls: r.parallel_tool_calls } : {}),
  ...(r.sampling && Object.keys(r.sampling).length ? { sampling: r.sampling } : {}),
});

/** JSON with object keys sorted (the `diff` package's canonical form), so equal requests hash alike. */
const stable = (v: unknown, indent?: number): string =>
  JSON.stringify(
    canonicalize(v, null, null, (_k, x: unknown) => x),
    null,
    indent,
  );
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The stable key of a model request: SHA-256 of its identifying parts with object keys sorted. */
function requestKey(r: ChatRequest): string {
  return sha256(stable(keyedPart(r)));
}

/** The stable key of a tool call: SHA-256 of the tool name and its arguments with keys sorted. */
function toolKey(tool: string, args: unknown): string {
  return sha256(stable({ tool, args }));
}

/**
 * Open the cassette at `file` for `mode` (`record` starts empty; the others read the file, or start
 * empty when there is none). @throws DomainError CONFIG_INVALID when the file is not a cassette.
 */
export function openCassette(file: string, mode: CassetteMode): Cassette {
  const empty: CassetteFile = { version: 1, interactions: [], tools: [] };
  if (mode === 'record' || !existsSync(file)) return { file, mode, data: empty, dirty: false };
  let data: CassetteFile;
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as CassetteFile;
  } catch (err) {
    throw new DomainError('CONFIG_INVALID', `${file}: not a cassette: ${(err as Error).message}`, [
      { field: 'file', message: file, hint: 'delete it and record again with --record' },
    ]);
  }
  if (data?.version !== 1 || !Array.isArray(data.interactions)) {
    throw new DomainError('CONFIG_INVALID', `${file}: not a version 1 cassette`, [
      { field: 'file', message: file, hint: 'delete it and record again with --record' },
    ]);
  }
  return { file, mode, data: { ...data, tools: data.tools ?? [] }, dirty: false };
}

/** Write the cassette when something was recorded, with every `scrub`bed secret value removed. */
export function saveCassette(c: Cassette, scrub: (text: string) => string): void {
  if (!c.dirty) return;
  writeFileSync(c.file, `${scrub(JSON.stringify(c.data, null, 2))}\n`);
  c.dirty = false;
}

/** The recorded result of `tool` called with `args`, if any (replay and update modes only). */
export function recordedTool(c: Cassette, tool: string, args: unknown): RecordedToolCall['result'] | undefined {
  if (c.mode === 'record') return undefined;
  const key = toolKey(tool, args);
  return c.data.tools.find((t) => t.key === key)?.result;
}

/** Record a tool's result (record and update modes; a replay records nothing). */
export function recordTool(c: Cassette, tool: string, args: unknown, result: RecordedToolCall['result']): void {
  if (c.mode === 'replay') return;
  const key = toolKey(tool, args);
  if (c.data.tools.some((t) => t.key === key)) return;
  c.data.tools.push({ key, tool, arguments: args, result: { content: result.content, ...(result.isError ? { isError: true } : {}) } });
  c.dirty = true;
}

/**
 * `inner` (resolved only when a request must really be made) behind the cassette `c`.
 * @throws DomainError PROVIDER_ERROR in replay mode for a request not in the cassette, naming the
 *   nearest recorded request and the differences; whatever `inner` throws otherwise.
 */
export function cassetteProvider(c: Cassette, inner: () => Promise<Provider>, name: string): Provider {
  return {
    name,
    type: 'cassette',
    async *chat(request, signal) {
      const key = requestKey(request);
      const hit = c.mode === 'record' ? undefined : c.data.interactions.find((i) => i.key === key);
      if (hit) {
        yield* hit.events;
        return;
      }
      if (c.mode === 'replay') throw new DomainError('PROVIDER_ERROR', missMessage(c, request));
      const events: ProviderEvent[] = [];
      for await (const ev of (await inner()).chat(request, signal)) {
        events.push(ev);
        yield ev;
      }
      // Concurrent cases may send the same request: the first answer recorded is the one replayed.
      if (c.data.interactions.some((i) => i.key === key)) return;
      c.data.interactions.push({ key, request: structuredClone(keyedPart(request)), events });
      c.dirty = true;
    },
  };
}

/** The replay miss: which recorded request is nearest, what differs, and a unified diff of the two. */
function missMessage(c: Cassette, request: ChatRequest): string {
  const wanted = stable(keyedPart(request), 2);
  const head = `model request not in cassette ${c.file}`;
  if (c.data.interactions.length === 0) return `${head}: the cassette has no requests; record them with --record (or add the misses with --update)`;
  let nearest = c.data.interactions[0]!;
  let best = Infinity;
  for (const i of c.data.interactions) {
    const changed = diffLines(stable(i.request, 2), wanted)
      .filter((p) => p.added || p.removed)
      .reduce((n, p) => n + (p.count ?? 1), 0);
    if (changed < best) [best, nearest] = [changed, i];
  }
  const patch = createTwoFilesPatch('recorded', 'requested', stable(nearest.request, 2), wanted, '', '', { context: 2 });
  const lines = patch.split('\n').slice(2);
  const shown = lines.length > 80 ? [...lines.slice(0, 80), `... (${lines.length - 80} more lines)`] : lines;
  return `${head}; nearest recorded request differs in: ${changesOf(nearest.request, keyedPart(request)).join('; ')}\n${shown.join('\n')}\nre-record with --record, or record only the misses with --update`;
}

/** What differs between two requests, in words (system prompt edited, tool added...). */
function changesOf(was: KeyedRequest, now: KeyedRequest): string[] {
  const out: string[] = [];
  if (was.model !== now.model) out.push(`model ${was.model} -> ${now.model}`);
  const system = (r: KeyedRequest) =>
    r.messages
      .filter((m) => m.role === 'system')
      .map((m) => m.content)
      .join('\n');
  if (system(was) !== system(now)) out.push('system prompt edited');
  const names = (r: KeyedRequest) => new Set((r.tools ?? []).map((t) => t.name));
  const [before, after] = [names(was), names(now)];
  const added = [...after].filter((n) => !before.has(n));
  const removed = [...before].filter((n) => !after.has(n));
  if (added.length) out.push(`tool added: ${added.join(', ')}`);
  if (removed.length) out.push(`tool removed: ${removed.join(', ')}`);
  if (!added.length && !removed.length && stable(was.tools ?? []) !== stable(now.tools ?? [])) out.push('tool definitions changed');
  const rest = (r: KeyedRequest) => stable(r.messages.filter((m) => m.role !== 'system'));
  if (rest(was) !== rest(now)) out.push(`messages changed (${was.messages.length} recorded, ${now.messages.length} now)`);
  if (stable(was.sampling ?? {}) !== stable(now.sampling ?? {}) || was.parallel_tool_calls !== now.parallel_tool_calls) out.push('sampling settings changed');
  return out.length ? out : ['(nothing visible)'];
}
