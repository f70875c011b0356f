/**
 * `caxton memory list|search|add|delete|export|import|reindex|stats` (docs/memory.md): memory items
 * through `/api/memory` over the control socket (as the admin `local`, or the user `--as` names).
 * `export` writes JSON lines (text, metadata, scope, agent, conversation_id, timestamps; no vectors);
 * `import` reads them back, embedding each item with the daemon's current embedder. `import` and
 * `reindex` show progress on stderr when it is a terminal (`reindex`: the daemon's progress events,
 * batch by batch). Every command takes `--json`.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import Table from 'cli-table3';
import { requestJson, requestSse } from '../../client/http.js';
import { DomainError, type ErrorCode } from '../../domain/errors.js';
import type { MemoryItemView } from '../../domain/memory-items.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';

/** Options of the memory commands (each uses the ones it defines). */
interface MemoryOptions extends GlobalOptions {
  agent?: string;
  scope?: string;
  conversation?: string;
  text?: string;
  limit?: string;
  k?: string;
  mode?: string;
  metadata?: string;
}

const socketOf = (opts: GlobalOptions) => homePaths(opts).socket;

/** Items as a table: id, scope, agent, creation time and the text's first line. */
function printItems(items: readonly MemoryItemView[], scores?: readonly number[]): void {
  const table = new Table({ head: ['ID', ...(scores ? ['SCORE'] : []), 'SCOPE', 'AGENT', 'CREATED', 'TEXT'], style: { head: [], border: [] } });
  items.forEach((i, n) => {
    const text = i.text.split('\n')[0]!.slice(0, 70);
    table.push([i.id, ...(scores ? [scores[n]!.toFixed(4)] : []), i.scope, i.agent ?? '', new Date(i.created_at).toISOString().slice(0, 19), text]);
  });
  process.stdout.write(`${table.toString()}\n`);
}

/** Progress on stderr, rewritten in place, when stderr is a terminal. */
function progress(label: string): { update(done: number, total?: number): void; end(): void } {
  const tty = process.stderr.isTTY;
  return {
    update: (done, total) => void (tty && process.stderr.write(`\r${label}: ${done}${total ? ` / ${total}` : ''}`)),
    end: () => void (tty && process.stderr.write('\n')),
  };
}

/** `memory list [--agent A] [--scope S] [--conversation ID] [--text T] [--limit N]`. */
export async function list(_args: string[], opts: MemoryOptions): Promise<number> {
  const query = new URLSearchParams({
    limit: opts.limit ?? '100',
    ...(opts.agent ? { agent: opts.agent } : {}),
    ...(opts.scope ? { scope: opts.scope } : {}),
    ...(opts.conversation ? { conversation: opts.conversation } : {}),
    ...(opts.text ? { text: opts.text } : {}),
  });
  const { items } = await requestJson<{ items: MemoryItemView[] }>(socketOf(opts), `/api/memory?${query.toString()}`);
  if (opts.json) printJson({ items });
  else printItems(items);
  return 0;
}

/** `memory search QUERY [--k N] [--mode semantic|keyword|hybrid] [--agent A] [--scope S]`. */
export async function search(args: string[], opts: MemoryOptions): Promise<number> {
  const body = {
    query: args[0],
    k: Number(opts.k ?? 10),
    mode: opts.mode ?? 'hybrid',
    ...(opts.agent ? { agent: opts.agent } : {}),
    ...(opts.scope ? { scope: opts.scope } : {}),
  };
  const { results } = await requestJson<{ results: { item: MemoryItemView; score: number }[] }>(socketOf(opts), '/api/memory/search', { method: 'POST', body });
  if (opts.json) printJson({ results });
  else
    printItems(
      results.map((r) => r.item),
      results.map((r) => r.score),
    );
  return 0;
}

/** The `--metadata` JSON object. @throws DomainError BAD_REQUEST when it is not one. */
function metadataOf(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new DomainError('BAD_REQUEST', `--metadata is not JSON: ${(err as Error).message}`, [{ field: '--metadata', message: 'not JSON' }]);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new DomainError('BAD_REQUEST', '--metadata must be a JSON object', [
      { field: '--metadata', message: 'not an object', hint: `e.g. '{"source":"notes"}'` },
    ]);
  }
  return value as Record<string, unknown>;
}

/** `memory add TEXT [--scope S] [--agent A] [--conversation ID] [--metadata JSON]`. */
export async function add(args: string[], opts: MemoryOptions): Promise<number> {
  const metadata = metadataOf(opts.metadata);
  const body = {
    text: args[0],
    scope: opts.scope ?? 'user',
    ...(opts.agent ? { agent: opts.agent } : {}),
    ...(opts.conversation ? { conversation_id: opts.conversation } : {}),
    ...(metadata ? { metadata } : {}),
  };
  const item = await requestJson<MemoryItemView>(socketOf(opts), '/api/memory', { method: 'POST', body });
  if (opts.json) printJson(item);
  else process.stdout.write(`stored memory item ${item.id}\n`);
  return 0;
}

/** `memory delete ID`. */
export async function remove(args: string[], opts: MemoryOptions): Promise<number> {
  await requestJson(socketOf(opts), `/api/memory/${encodeURIComponent(args[0]!)}`, { method: 'DELETE' });
  if (opts.json) printJson({ deleted: Number(args[0]) });
  else process.stdout.write(`deleted memory item ${args[0]}\n`);
  return 0;
}

/** `memory export`: every item as JSON lines on stdout, oldest first within each page of 1000. */
export async function exportItems(_args: string[], opts: MemoryOptions): Promise<number> {
  for (let offset = 0; ; offset += 1000) {
    const { items } = await requestJson<{ items: MemoryItemView[] }>(socketOf(opts), `/api/memory?limit=1000&offset=${offset}`);
    for (const i of items) {
      const line = {
        text: i.text,
        metadata: i.metadata,
        scope: i.scope,
        agent: i.agent,
        conversation_id: i.conversation_id,
        created_at: i.created_at,
        updated_at: i.updated_at,
      };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
    if (items.length < 1000) return 0;
  }
}

/** The non-blank lines of FILE (the total an import's progress shows), or undefined for stdin (`-`). */
async function itemLines(file: string): Promise<number | undefined> {
  if (file === '-') return undefined;
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) if (line.trim()) n++;
  return n;
}

/**
 * `memory import FILE` (`-` for stdin): JSON lines as `export` writes them, with progress out of the
 * file's lines (a count alone from stdin). A bad line stops the import, naming FILE:LINE.
 */
export async function importItems(args: string[], opts: MemoryOptions): Promise<number> {
  const file = args[0] ?? '-';
  const total = process.stderr.isTTY ? await itemLines(file) : undefined;
  const lines = createInterface({ input: file === '-' ? process.stdin : createReadStream(file), crlfDelay: Infinity });
  const bar = progress('imported');
  let n = 0;
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (!line.trim()) continue;
    let item: Record<string, unknown>;
    try {
      item = JSON.parse(line) as Record<string, unknown>;
    } catch (err) {
      bar.end();
      throw new DomainError('BAD_REQUEST', `${file}:${lineNo}: not JSON: ${(err as Error).message}`, [{ file, line: lineNo, message: 'not JSON' }]);
    }
    const body = Object.fromEntries(
      ['text', 'metadata', 'scope', 'agent', 'conversation_id', 'created_at', 'updated_at'].flatMap((k) =>
        item[k] === undefined || item[k] === null ? [] : [[k, item[k]]],
      ),
    );
    try {
      await requestJson(socketOf(opts), '/api/memory', { method: 'POST', body });
    } catch (err) {
      bar.end();
      if (err instanceof DomainError) throw new DomainError(err.code, `${file}:${lineNo}: ${err.message}`, err.details);
      throw err;
    }
    bar.update(++n, total);
  }
  bar.end();
  if (opts.json) printJson({ imported: n });
  else process.stdout.write(`imported ${n} memory item(s)\n`);
  return 0;
}

/** Idle time allowed between two progress events of `memory reindex` (ms): one batch's embedding. */
const REINDEX_IDLE_MS = 10 * 60_000;

/**
 * `memory reindex`: re-embed every item without a vector of the configured embedder (admin), or
 * join the re-embedding already running; the bar follows the daemon's progress events batch by batch.
 * @throws DomainError with the daemon's code when re-embedding stops (what was done so far is kept).
 */
export async function reindex(_args: string[], opts: MemoryOptions): Promise<number> {
  const bar = progress('re-embedding memory items');
  let last = { done: 0, total: 0 };
  let reindexed: number | undefined;
  try {
    for await (const ev of requestSse(socketOf(opts), '/api/memory/reindex', { method: 'POST', timeoutMs: REINDEX_IDLE_MS })) {
      const data = JSON.parse(ev.data) as { done: number; total: number; reindexed: number; code: string; message: string };
      if (ev.event === 'progress') bar.update((last = data).done, data.total);
      else if (ev.event === 'done') reindexed = data.reindexed;
      else if (ev.event === 'error')
        throw new DomainError(data.code as ErrorCode, `re-embedding stopped after ${last.done} of ${last.total} item(s): ${data.message}`);
    }
  } finally {
    bar.end();
  }
  if (reindexed === undefined) throw new DomainError('UNAVAILABLE', `the daemon closed the stream after ${last.done} of ${last.total} item(s) re-embedded`);
  if (opts.json) printJson({ reindexed });
  else process.stdout.write(`re-embedded ${reindexed} memory item(s)\n`);
  return 0;
}

/** `memory stats`. */
export async function stats(_args: string[], opts: MemoryOptions): Promise<number> {
  const s = await requestJson<{ items: number; by_scope: Record<string, number>; by_embedder: Record<string, number>; embedder: Record<string, unknown> }>(
    socketOf(opts),
    '/api/memory/stats',
  );
  if (opts.json) {
    printJson(s);
    return 0;
  }
  const e = s.embedder as { name: string; dims: number | null; pending: number; reindexing: boolean; progress: { done: number; total: number } | null };
  const running = e.progress ? `, re-embedding now (${e.progress.done} / ${e.progress.total})` : e.reindexing ? ', re-embedding now' : '';
  process.stdout.write(
    `items: ${s.items}\nby scope: ${JSON.stringify(s.by_scope)}\nby embedder: ${JSON.stringify(s.by_embedder)}\n` +
      `embedder: ${e.name}${e.dims ? ` (${e.dims} dimensions)` : ''}, ${e.pending} to embed${running}\n`,
  );
  return 0;
}
