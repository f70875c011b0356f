/**
 * PostgreSQL memory items (migration 9), with the SQLite store's semantics (src/store/sqlite/memory-items.ts):
 * vectors as float32 `bytea`, keyword search by `ts_rank` over `to_tsvector('english', text)` (the
 * GIN-indexed expression) matching any word of the query
 * (or every word, English stop words left out). Filters are parameters that may be NULL,
 * so every statement has one fixed text and is prepared once per connection.
 */
import { queryWords, type MemoryFilter } from '../../domain/memory-items.js';
import type { MemoryScope } from '../../domain/memory-scope.js';
import { insertedItem, itemOf, vectorBytes, vectorOf, type ItemRow as Row } from '../rows.js';
import type { ItemVector, MemoryItemStore } from '../types.js';
import type { Db } from './client.js';

const COLUMNS = 'i.id, i.user_id, i.scope, i.scope_key, i.agent, i.conversation_id, i.text, i.metadata, i.embedder, i.created_at, i.updated_at';
/** Filter parameters $1..$6: user, scope keys (text[]), scope, agent, conversation, literal text (ILIKE pattern). */
const FILTER = `i.user_id = $1 AND ($2::text[] IS NULL OR i.scope_key = ANY($2::text[])) AND ($3::text IS NULL OR i.scope = $3)
  AND ($4::text IS NULL OR i.agent = $4) AND ($5::text IS NULL OR i.conversation_id = $5) AND ($6::text IS NULL OR i.text ILIKE $6 ESCAPE '\\')`;

const S = {
  insert: {
    name: 'cx_item_insert',
    text: `INSERT INTO memory_items (user_id, scope, scope_key, agent, conversation_id, text, metadata, embedder, vector, created_at, updated_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
  },
  byIds: { name: 'cx_item_by_ids', text: `SELECT ${COLUMNS} FROM memory_items i WHERE i.user_id = $1 AND i.id = ANY($2::bigint[])` },
  delete: { name: 'cx_item_delete', text: 'DELETE FROM memory_items WHERE id = $1 AND user_id = $2' },
  list: { name: 'cx_item_list', text: `SELECT ${COLUMNS} FROM memory_items i WHERE ${FILTER} ORDER BY i.created_at DESC, i.id DESC LIMIT $7 OFFSET $8` },
  keyword: {
    name: 'cx_item_keyword',
    text: `SELECT ${COLUMNS}, ts_rank(to_tsvector('english', i.text), q) AS score
      FROM memory_items i, websearch_to_tsquery('english', $7) q
      WHERE to_tsvector('english', i.text) @@ q AND ${FILTER} ORDER BY score DESC, i.id LIMIT $8`,
  },
  vectors: {
    name: 'cx_item_vectors',
    text: 'SELECT id, scope, scope_key, agent, conversation_id, vector FROM memory_items WHERE user_id = $1 AND embedder = $2 AND vector IS NOT NULL',
  },
  unembedded: { name: 'cx_item_unembedded', text: 'SELECT id, user_id, text FROM memory_items WHERE embedder IS NULL OR embedder <> $1 ORDER BY id LIMIT $2' },
  unembeddedCount: { name: 'cx_item_unembedded_count', text: 'SELECT count(*)::bigint AS n FROM memory_items WHERE embedder IS NULL OR embedder <> $1' },
  setVector: { name: 'cx_item_set_vector', text: 'UPDATE memory_items SET embedder = $1, vector = $2 WHERE id = $3' },
  countScope: {
    name: 'cx_item_count_scope',
    text: 'SELECT scope AS k, count(*)::bigint AS n FROM memory_items WHERE $1::text IS NULL OR user_id = $1 GROUP BY 1',
  },
  countEmbedder: {
    name: 'cx_item_count_embedder',
    text: "SELECT coalesce(embedder, 'none') AS k, count(*)::bigint AS n FROM memory_items WHERE $1::text IS NULL OR user_id = $1 GROUP BY 1",
  },
};

/** The six filter parameters of `FILTER`. */
const filterValues = (f: MemoryFilter & { text?: string }): unknown[] => [
  f.user_id,
  f.scope_keys ? [...f.scope_keys] : null,
  f.scope ?? null,
  f.agent ?? null,
  f.conversation_id ?? null,
  f.text ? `%${f.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null,
];

/** The memory item store over the pool. */
export function createMemoryItemStore(db: Db): MemoryItemStore {
  return {
    async insert(item, vector) {
      const values = [
        item.user_id,
        item.scope,
        item.scope_key,
        item.agent ?? null,
        item.conversation_id ?? null,
        item.text,
        JSON.stringify(item.metadata ?? {}),
        vector?.embedder ?? null,
        vector ? vectorBytes(vector.data) : null,
        item.created_at,
        item.updated_at,
      ];
      const id = (await db.run<{ id: number }>(S.insert, values)).rows[0]!.id;
      return insertedItem(id, item, vector);
    },
    async byIds(ids, userId) {
      if (ids.length === 0) return [];
      return (await db.run<Row>(S.byIds, [userId, [...ids]])).rows.map(itemOf);
    },
    delete: async (id, userId) => ((await db.run(S.delete, [id, userId])).rowCount ?? 0) > 0,
    list: async (f) => (await db.run<Row>(S.list, [...filterValues(f), f.limit, f.offset ?? 0])).rows.map(itemOf),
    async keyword(q) {
      const words = queryWords(q.query);
      if (words.length === 0) return [];
      const rows = (await db.run<Row & { score: number }>(S.keyword, [...filterValues(q), words.join(q.every ? ' ' : ' or '), q.k])).rows;
      return rows.map(({ score, ...r }) => ({ item: itemOf(r), score }));
    },
    async vectors(userId, embedder) {
      const rows = (await db.run<Omit<ItemVector, 'vector'> & { scope: MemoryScope; vector: Buffer }>(S.vectors, [userId, embedder])).rows;
      return rows.map((r) => ({ ...r, vector: vectorOf(r.vector) }));
    },
    async unembedded(embedder, limit) {
      const items = (await db.run<{ id: number; user_id: string; text: string }>(S.unembedded, [embedder, limit])).rows;
      const total = (await db.run<{ n: number }>(S.unembeddedCount, [embedder])).rows[0]?.n ?? 0;
      return { items, total };
    },
    async setVector(id, vector) {
      await db.run(S.setVector, [vector.embedder, vectorBytes(vector.data), id]);
    },
    async counts(userId) {
      const tally = async (stmt: { name: string; text: string }) =>
        Object.fromEntries((await db.run<{ k: string; n: number }>(stmt, [userId ?? null])).rows.map((r) => [r.k, r.n]));
      return { by_scope: await tally(S.countScope), by_embedder: await tally(S.countEmbedder) };
    },
  };
}
