/**
 * SQLite memory items (migration 9): rows in `memory_items`, full text in the external-content FTS5
 * table `memory_items_fts` (porter stemming; triggers keep it in sync), vectors as float32 BLOBs.
 * Keyword search ranks by BM25 (FTS5 `rank`, negated so higher is better) over any word of the query
 * (or every word).
 * FTS5 answers `MATCH ... ORDER BY rank LIMIT n` with its own top-n, so the ranked matches of every
 * user are limited first (`KEYWORD_OVERFETCH` times `k`) and only then joined to the items and
 * filtered by owner and scope (CROSS JOIN keeps that order: otherwise the planner scans all the user's
 * items through the user index and probes the matches, about 25 times slower); when the filter leaves fewer than `k` of them and more matches exist,
 * the search runs again over all matches (a selective filter never loses results).
 */
import type Database from 'better-sqlite3';
import { queryWords, type MemoryFilter } from '../../domain/memory-items.js';
import type { MemoryScope } from '../../domain/memory-scope.js';
import { insertedItem, itemOf, vectorBytes, vectorOf, type ItemRow as Row } from '../rows.js';
import type { ItemVector, MemoryItemStore } from '../types.js';

/** Ranked full-text matches fetched per wanted result before the owner and scope filter. */
const KEYWORD_OVERFETCH = 4;

const COLUMNS = 'i.id, i.user_id, i.scope, i.scope_key, i.agent, i.conversation_id, i.text, i.metadata, i.embedder, i.created_at, i.updated_at';

/** SQL conditions and values for a filter on items aliased `i`. */
function where(f: MemoryFilter & { text?: string }): { sql: string; values: unknown[] } {
  const parts = ['i.user_id = ?'];
  const values: unknown[] = [f.user_id];
  if (f.scope_keys) {
    parts.push(`i.scope_key IN (${f.scope_keys.map(() => '?').join(',') || 'NULL'})`);
    values.push(...f.scope_keys);
  }
  for (const [column, value] of [
    ['scope', f.scope],
    ['agent', f.agent],
    ['conversation_id', f.conversation_id],
  ] as const) {
    if (value === undefined) continue;
    parts.push(`i.${column} = ?`);
    values.push(value);
  }
  if (f.text) {
    parts.push("i.text LIKE ? ESCAPE '\\'");
    values.push(`%${f.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  }
  return { sql: parts.join(' AND '), values };
}

/** The memory item store over one connection. List and keyword filters vary per call, so those statements are prepared per call. */
export function createMemoryItemStore(db: Database.Database): MemoryItemStore {
  const s = {
    insert: db.prepare(
      `INSERT INTO memory_items (user_id, scope, scope_key, agent, conversation_id, text, metadata, embedder, vector, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    ),
    delete: db.prepare('DELETE FROM memory_items WHERE id = ? AND user_id = ?'),
    vectors: db.prepare(
      'SELECT id, scope, scope_key, agent, conversation_id, vector FROM memory_items WHERE user_id = ? AND embedder = ? AND vector IS NOT NULL',
    ),
    unembedded: db.prepare('SELECT id, user_id, text FROM memory_items WHERE embedder IS NULL OR embedder <> ? ORDER BY id LIMIT ?'),
    unembeddedCount: db.prepare('SELECT count(*) FROM memory_items WHERE embedder IS NULL OR embedder <> ?').pluck(),
    setVector: db.prepare('UPDATE memory_items SET embedder = ?, vector = ? WHERE id = ?'),
    /** The ids arrive as one JSON array (`json_each`), so one statement serves any number of them. */
    byIds: db.prepare(`SELECT ${COLUMNS} FROM memory_items i WHERE i.user_id = ? AND i.id IN (SELECT value FROM json_each(?))`),
  };
  return {
    async insert(item, vector) {
      const metadata = JSON.stringify(item.metadata ?? {});
      const { id } = s.insert.get(
        item.user_id,
        item.scope,
        item.scope_key,
        item.agent ?? null,
        item.conversation_id ?? null,
        item.text,
        metadata,
        vector?.embedder ?? null,
        vector ? vectorBytes(vector.data) : null,
        item.created_at,
        item.updated_at,
      ) as { id: number };
      return insertedItem(id, item, vector);
    },
    async byIds(ids, userId) {
      if (ids.length === 0) return [];
      return (s.byIds.all(userId, JSON.stringify(ids)) as Row[]).map(itemOf);
    },
    async delete(id, userId) {
      return s.delete.run(id, userId).changes > 0;
    },
    async list(f) {
      const w = where(f);
      const rows = db
        .prepare(`SELECT ${COLUMNS} FROM memory_items i WHERE ${w.sql} ORDER BY i.created_at DESC, i.id DESC LIMIT ? OFFSET ?`)
        .all(...w.values, f.limit, f.offset ?? 0) as Row[];
      return rows.map(itemOf);
    },
    async keyword(q) {
      const words = queryWords(q.query);
      if (words.length === 0) return [];
      const w = where(q);
      const match = words.map((word) => `"${word}"`).join(q.every ? ' AND ' : ' OR ');
      const depth = q.k * KEYWORD_OVERFETCH;
      const ranked = (from: string, limit: unknown[]) =>
        (
          db
            .prepare(`SELECT ${COLUMNS}, -f.rank AS score FROM ${from} f CROSS JOIN memory_items i ON i.id = f.rowid WHERE ${w.sql} ORDER BY f.rank LIMIT ?`)
            .all(...limit, ...w.values, q.k) as (Row & { score: number })[]
        ).map(({ score, ...r }) => ({ item: itemOf(r), score }));
      const top = ranked('(SELECT rowid, rank FROM memory_items_fts WHERE memory_items_fts MATCH ? ORDER BY rank LIMIT ?)', [match, depth]);
      if (top.length === q.k) return top;
      const matches = db.prepare('SELECT count(*) FROM memory_items_fts WHERE memory_items_fts MATCH ?').pluck().get(match) as number;
      return matches <= depth ? top : ranked('(SELECT rowid, rank FROM memory_items_fts WHERE memory_items_fts MATCH ?)', [match]);
    },
    async vectors(userId, embedder) {
      const rows = s.vectors.all(userId, embedder) as (Omit<ItemVector, 'vector'> & { scope: MemoryScope; vector: Buffer })[];
      return rows.map((r) => ({ ...r, vector: vectorOf(r.vector) }));
    },
    async unembedded(embedder, limit) {
      return { items: s.unembedded.all(embedder, limit) as { id: number; user_id: string; text: string }[], total: s.unembeddedCount.get(embedder) as number };
    },
    async setVector(id, vector) {
      s.setVector.run(vector.embedder, vectorBytes(vector.data), id);
    },
    async counts(userId) {
      const filter = userId === undefined ? '' : 'WHERE user_id = ?';
      const args = userId === undefined ? [] : [userId];
      const tally = (column: string) =>
        Object.fromEntries(
          (
            db.prepare(`SELECT coalesce(${column}, 'none') AS k, count(*) AS n FROM memory_items ${filter} GROUP BY 1`).all(...args) as {
              k: string;
              n: number;
            }[]
          ).map((r) => [r.k, r.n]),
        );
      return { by_scope: tally('scope'), by_embedder: tally('embedder') };
    },
  };
}
