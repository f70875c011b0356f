/**
 * Memory items (docs/memory.md; STORY-007, STORY-031): `GET /api/memory` (list, newest first, with
 * filters), `POST /api/memory` (store one item), `DELETE /api/memory/:id`, `POST /api/memory/search`
 * (semantic, keyword or hybrid), `GET /api/memory/stats` (with the progress of a running
 * re-embedding) and `POST /api/memory/reindex` (admin: re-embed every item lacking a vector of the
 * configured embedder; JSON when done, or its progress as Server-Sent Events). Every route acts on the caller's
 * own items only: another user's item is never listed, found or deleted (404 as if absent).
 *
 * With `agent`, the scope key is the one that agent's runs use for the caller
 * (src/domain/memory-items.ts `memoryItemScopeKey`): creating with `{scope: "agent", agent: "helper"}`
 * stores what `helper` recalls, and searching with `agent` searches what it would find.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { agentRow } from '../../catalog/catalog.js';
import { DomainError } from '../../domain/errors.js';
import { MEMORY_ITEM_LIMITS, memoryItemScopeKey, SEARCH_MODES, type SemanticMemory } from '../../domain/memory-items.js';
import { MEMORY_SCOPES, type MemoryScope } from '../../domain/memory-scope.js';
import type { AppDeps, AppEnv } from '../deps.js';
import { wireErrors, type WireErrors } from '../errors.js';
import { ErrorSchema, Routes, type OpContext, type OpSpec } from '../openapi.js';

const Scope = z.enum(MEMORY_SCOPES);

const ItemSchema = z.object({
  id: z.number().int(),
  scope: Scope,
  scope_key: z.string(),
  agent: z.string().nullable(),
  conversation_id: z.string().nullable(),
  text: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  embedder: z.string().nullable().describe('embedder whose vector the item has; null: not embedded yet'),
  created_at: z.number().describe('ms since epoch'),
  updated_at: z.number().describe('ms since epoch'),
});

const CreateBody = z
  .object({
    text: z.string().min(1).max(MEMORY_ITEM_LIMITS.textChars),
    metadata: z.record(z.string(), z.unknown()).optional(),
    scope: Scope.default('user'),
    agent: z.string().min(1).optional().describe('the agent whose memory it is (required for scope agent)'),
    conversation_id: z.string().min(1).optional().describe('required for scope conversation'),
    created_at: z.number().int().positive().optional().describe('keep this creation time (ms; import)'),
    updated_at: z.number().int().positive().optional(),
  })
  .strict();

const SearchBody = z
  .object({
    query: z.string().min(1).max(MEMORY_ITEM_LIMITS.textChars),
    k: z.number().int().min(1).max(MEMORY_ITEM_LIMITS.maxResults).default(10),
    mode: z.enum(SEARCH_MODES).default('hybrid'),
    agent: z.string().min(1).optional().describe("search what this agent's runs would find"),
    scope: Scope.optional(),
    conversation_id: z.string().min(1).optional(),
  })
  .strict();

const ListQuery = z.object({
  agent: z.string().min(1).optional().describe('items stored by this agent'),
  scope: Scope.optional(),
  conversation: z.string().min(1).optional(),
  text: z.string().min(1).optional().describe('items containing this text (case-insensitive)'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

/** Progress of a re-embedding run. */
const ProgressSchema = z.object({ done: z.number().describe('items re-embedded so far'), total: z.number().describe('items it found to re-embed') });

/** The `text/event-stream` answer of `POST /api/memory/reindex`, as documented. */
const ReindexStreamSchema = z
  .string()
  .describe(
    'Server-Sent Events: `progress` {done, total} once the items are counted and after each batch (a caller joining a running re-embedding gets its latest progress first), then `done` {reindexed} or `error` {code, message}',
  );

const tags = ['memory'];

/** `GET /api/memory`. */
const listSpec = {
  method: 'get',
  path: '/memory',
  summary: 'Your memory items, newest first',
  tags,
  query: ListQuery,
  responses: { 200: { description: 'items', schema: z.object({ items: z.array(ItemSchema) }) } },
} satisfies OpSpec;

/** `POST /api/memory`. */
const createSpec = {
  method: 'post',
  path: '/memory',
  summary: 'Store a memory item (embedded with the configured embedder)',
  tags,
  body: CreateBody,
  responses: {
    201: { description: 'stored', schema: ItemSchema },
    400: { description: 'bad item (empty text, a scope without the field it needs)', schema: ErrorSchema },
    404: { description: 'unknown agent', schema: ErrorSchema },
    503: { description: 'the embedder is unavailable; nothing was stored', schema: ErrorSchema },
  },
} satisfies OpSpec;

/** `DELETE /api/memory/{id}`. */
const deleteSpec = {
  method: 'delete',
  path: '/memory/{id}',
  summary: 'Delete one of your memory items',
  tags,
  responses: { 204: { description: 'deleted' }, 404: { description: 'not yours or absent', schema: ErrorSchema } },
} satisfies OpSpec;

/** `POST /api/memory/search`. */
const searchSpec = {
  method: 'post',
  path: '/memory/search',
  summary: 'Search your memory items by meaning (semantic), by words (keyword) or both (hybrid)',
  tags,
  body: SearchBody,
  responses: {
    200: {
      description: 'results, best first; score: cosine similarity (semantic), BM25 / ts_rank (keyword), fused reciprocal ranks (hybrid)',
      schema: z.object({ results: z.array(z.object({ item: ItemSchema, score: z.number() })) }),
    },
    404: { description: 'unknown agent', schema: ErrorSchema },
    503: { description: 'the embedder is unavailable (semantic and hybrid)', schema: ErrorSchema },
  },
} satisfies OpSpec;

/** The caller's item counts per scope and per embedder, and the embedder in use (`GET /api/memory/stats`). */
const StatsSchema = z.object({
  items: z.number(),
  by_scope: z.record(z.string(), z.number()),
  by_embedder: z.record(z.string(), z.number()),
  embedder: z.object({
    name: z.string(),
    dims: z.number().nullable(),
    pending: z.number().describe('items of every user still to (re)embed with this embedder'),
    reindexing: z.boolean(),
    progress: ProgressSchema.nullable().describe("while re-embedding runs: items done of the total it found (every user's); null otherwise"),
  }),
});

/** `GET /api/memory/stats`. */
const statsSpec = {
  method: 'get',
  path: '/memory/stats',
  summary: 'How many memory items you have, per scope and per embedder, and the embedder in use',
  tags,
  responses: { 200: { description: 'stats', schema: StatsSchema } },
} satisfies OpSpec;

/** `POST /api/memory/reindex`. */
const reindexSpec = {
  method: 'post',
  path: '/memory/reindex',
  summary:
    'Re-embed every memory item without a vector of the configured embedder (admin; joins a running re-embedding): JSON when done, or SSE progress with Accept: text/event-stream',
  tags,
  responses: {
    200: {
      description: 'done (JSON: the count re-embedded), or an SSE stream of its progress',
      schema: z.object({ reindexed: z.number().describe('items re-embedded by this run') }),
      alternatives: { 'text/event-stream': ReindexStreamSchema },
    },
    403: { description: 'not the admin', schema: ErrorSchema },
    503: { description: 'the embedder is unavailable (JSON; the batches done so far stay embedded)', schema: ErrorSchema },
  },
} satisfies OpSpec;

/**
 * Re-embed (or join the running re-embedding) answering with its progress as Server-Sent Events
 * (issue requirement "a progress bar on ... reindexing"). Events are written in order; once the
 * client is gone the rest are dropped while the re-embedding goes on in the background.
 */
function reindexStream(c: Context<AppEnv>, items: SemanticMemory, wire: WireErrors): Response {
  return streamSSE(c, async (stream) => {
    let writing = Promise.resolve();
    const send = (event: string, data: object) =>
      (writing = writing.then(() => (stream.aborted ? undefined : stream.writeSSE({ event, data: JSON.stringify(data) }))).catch(() => undefined));
    try {
      const reindexed = await items.reindex((done, total) => void send('progress', { done, total }));
      await send('done', { reindexed });
    } catch (err) {
      const { code, message } = wire(err);
      await send('error', { code, message });
    }
  });
}

/** The memory dependencies, or UNAVAILABLE when the daemon runs without semantic memory. */
function memoryOf(deps: AppDeps): NonNullable<AppDeps['memory']> {
  if (!deps.memory) throw new DomainError('UNAVAILABLE', 'memory items are not available on this daemon');
  return deps.memory;
}

/**
 * The scope key for `scope` as seen by `agent` run for the caller (`agent` absent: the caller's own
 * user-wide keys). @throws DomainError BAD_REQUEST (a field a scope needs is missing), NOT_FOUND (agent).
 */
async function scopeKeyOf(deps: AppDeps, c: Context<AppEnv>, scope: MemoryScope, agent?: string, conversationId?: string): Promise<string> {
  const userId = c.get('userId');
  if (scope === 'agent' && !agent) throw new DomainError('BAD_REQUEST', 'scope agent needs agent', [{ field: 'agent', message: 'required for scope agent' }]);
  if (scope === 'conversation' && !conversationId) {
    throw new DomainError('BAD_REQUEST', 'scope conversation needs conversation_id', [
      { field: 'conversation_id', message: 'required for scope conversation' },
    ]);
  }
  const resolved = agent ? await deps.catalog.resolveAgent(agent, userId) : undefined;
  const row = resolved ? agentRow(resolved) : undefined;
  return memoryItemScopeKey(scope, {
    agentName: resolved?.agent.name ?? '',
    userId,
    ...(conversationId ? { conversationId } : {}),
    ...(row ? { agentRow: row } : {}),
  });
}

/** The caller's items matching the query's filters, newest first. @throws DomainError UNAVAILABLE (no semantic memory). */
async function listItems(deps: AppDeps, c: OpContext<typeof listSpec>): Promise<Response> {
  const q = c.req.valid('query');
  const items = await memoryOf(deps).items.list({
    user_id: c.get('userId'),
    limit: q.limit,
    offset: q.offset,
    ...(q.agent ? { agent: q.agent } : {}),
    ...(q.scope ? { scope: q.scope } : {}),
    ...(q.conversation ? { conversation_id: q.conversation } : {}),
    ...(q.text ? { text: q.text } : {}),
  });
  return c.json({ items: items.map(({ user_id: _u, ...i }) => i) });
}

/**
 * Store (and embed) one item for the caller under the scope key its scope and agent give.
 * @throws DomainError BAD_REQUEST, NOT_FOUND (agent), UNAVAILABLE (embedder; nothing stored).
 */
async function createItem(deps: AppDeps, c: OpContext<typeof createSpec>): Promise<Response> {
  const b = c.req.valid('json');
  const userId = c.get('userId');
  const scopeKey = await scopeKeyOf(deps, c, b.scope, b.agent, b.conversation_id);
  const { user_id: _u, ...item } = await memoryOf(deps).items.add({
    user_id: userId,
    scope: b.scope,
    scope_key: scopeKey,
    agent: b.agent ?? null,
    conversation_id: b.conversation_id ?? null,
    text: b.text,
    ...(b.metadata ? { metadata: b.metadata } : {}),
    ...(b.created_at ? { created_at: b.created_at } : {}),
    ...(b.updated_at ? { updated_at: b.updated_at } : {}),
  });
  return c.json(item, 201);
}

/**
 * The caller's items best matching the query; with `agent`, within the scope key that agent's runs
 * use. @throws DomainError NOT_FOUND (agent), UNAVAILABLE (embedder, for semantic and hybrid).
 */
async function searchItems(deps: AppDeps, c: OpContext<typeof searchSpec>): Promise<Response> {
  const b = c.req.valid('json');
  const userId = c.get('userId');
  const resolved = b.agent ? await deps.catalog.resolveAgent(b.agent, userId) : undefined;
  const scope = b.scope ?? resolved?.agent.memory?.scope;
  const keys = b.agent && scope ? [await scopeKeyOf(deps, c, scope, b.agent, b.conversation_id ?? 'none')] : undefined;
  const hits = await memoryOf(deps).items.search({
    user_id: userId,
    query: b.query,
    k: b.k,
    mode: b.mode,
    ...(keys ? { scope_keys: keys } : {}),
    ...(!keys && b.scope ? { scope: b.scope } : {}),
    ...(!keys && b.conversation_id ? { conversation_id: b.conversation_id } : {}),
  });
  return c.json({ results: hits.map(({ item: { user_id: _u, ...item }, score }) => ({ item, score })) });
}

/** Memory routes under `/api`. */
export function memoryRoutes(deps: AppDeps): Routes {
  const r = new Routes('/api');
  const wire = wireErrors(deps.secrets);
  r.op(listSpec, (c) => listItems(deps, c));
  r.op(createSpec, (c) => createItem(deps, c));
  r.op(deleteSpec, async (c) => {
    const raw = c.req.param('id')!;
    const id = Number(raw);
    if (!Number.isSafeInteger(id) || id <= 0 || !(await memoryOf(deps).items.delete(id, c.get('userId')))) {
      throw new DomainError('NOT_FOUND', `memory item ${raw} not found`);
    }
    return c.body(null, 204);
  });
  r.op(searchSpec, (c) => searchItems(deps, c));
  r.op(statsSpec, async (c) => c.json(await memoryOf(deps).items.stats(c.get('userId'))));
  r.op(reindexSpec, async (c) => {
    if (!c.get('isAdmin')) throw new DomainError('FORBIDDEN', 'only the admin may re-embed memory items');
    const items = memoryOf(deps).items;
    if ((c.req.header('accept') ?? '').includes('text/event-stream')) return reindexStream(c, items, wire);
    return c.json({ reindexed: await items.reindex() });
  });
  return r;
}
