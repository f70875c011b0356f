/**
 * The in-memory vector index of one user's memory items for one embedder (semantic search of
 * STORY-031: "100K+ items", "within 50 ms"; goal < 20 ms p50 on a loaded 2-core machine).
 *
 * Each row is kept twice: as float32 (`data`, the exact vector) and quantised to int8 (`q8`, each
 * component times `127 * sqrt(dims) / 4`, clipped: four times the typical component of a unit vector
 * still fits). A search scans every int8 row with usearch's native `exactSearch` (SIMD inner products,
 * about 5 ms at 100 000 x 512 here, against about 22 ms for native float32 and 60-135 ms for a float32
 * loop in JavaScript), keeps the best `CANDIDATES(k)` rows, and re-scores them with the float vectors:
 * the scores returned are exact cosines, and the ranking matches an exact float scan unless a true
 * top-k row falls out of the int8 candidates (bench/memory.mjs measures recall@10 = 1.0 on 100 000
 * items). An approximate graph index (usearch HNSW) was measured and set aside: it searches in about
 * 1 ms, but adding 100 000 items did not finish within 10 minutes here (load 2-19), a cost paid again at every start unless
 * persisted next to the database (docs/memory.md, bench/README.md).
 *
 * Filters (an agent's scope keys, API filters) are applied to rows: when at least half the rows pass,
 * the int8 scan over-fetches and filters; otherwise, or when too few candidates survive, the passing
 * rows are gathered into a scratch int8 matrix and scanned alone, so a selective filter never misses
 * its own rows.
 */
import usearch from 'usearch';
import type { ItemVector } from '../store/types.js';

/** What a row knows of its item, for filters: everything of `ItemVector` but the vector. */
export type RowMeta = Omit<ItemVector, 'vector'>;

/** The vectors of one user's items made by one embedder; rows of `dims` components. */
export interface VectorIndex {
  embedder: string;
  dims: number;
  meta: RowMeta[];
  /** Float32 rows (the exact vectors), room for more past `n`. */
  data: Float32Array;
  /** The same rows quantised to int8 by `scale`. */
  q8: Int8Array;
  /** Quantisation factor: int8 component = round(float component * scale), clipped to +-127. */
  scale: number;
  /** Rows in use. */
  n: number;
}

/** Int8 candidates re-scored in float for a top-`k` search. */
const candidates = (k: number) => Math.max(4 * k, 40);

/** `v` quantised by `scale` into `out` at `offset`. */
function quantise(v: Float32Array, scale: number, out: Int8Array, offset: number): void {
  for (let j = 0; j < v.length; j++) out[offset + j] = Math.max(-127, Math.min(127, Math.round(v[j]! * scale)));
}

/** An index of `vectors` (unit length), rows of another length than the first left out. */
export function buildIndex(embedder: string, vectors: ItemVector[]): VectorIndex {
  const dims = vectors[0]?.vector.length ?? 0;
  const rows = vectors.filter((v) => v.vector.length === dims);
  const index: VectorIndex = {
    embedder,
    dims,
    meta: [],
    data: new Float32Array(Math.max(16, rows.length) * dims),
    q8: new Int8Array(Math.max(16, rows.length) * dims),
    scale: (127 * Math.sqrt(dims)) / 4,
    n: 0,
  };
  for (const { vector, ...m } of rows) append(index, m, vector);
  return index;
}

/** Append one row, growing the arrays by doubling; a vector of another length is ignored. */
export function append(index: VectorIndex, meta: RowMeta, vector: Float32Array): void {
  if (index.n === 0 && index.dims === 0) {
    index.dims = vector.length;
    index.scale = (127 * Math.sqrt(vector.length)) / 4;
  }
  if (vector.length !== index.dims) return;
  if ((index.n + 1) * index.dims > index.data.length) {
    const rows = Math.max(16, index.n * 2);
    const data = new Float32Array(rows * index.dims);
    const q8 = new Int8Array(rows * index.dims);
    data.set(index.data.subarray(0, index.n * index.dims));
    q8.set(index.q8.subarray(0, index.n * index.dims));
    Object.assign(index, { data, q8 });
  }
  index.data.set(vector, index.n * index.dims);
  quantise(vector, index.scale, index.q8, index.n * index.dims);
  index.meta[index.n] = meta;
  index.n++;
}

/** Remove the row of item `id` (the last row moves into its place). */
export function remove(index: VectorIndex, id: number): void {
  const i = index.meta.findIndex((m, j) => j < index.n && m.id === id);
  if (i < 0) return;
  const last = index.n - 1;
  const d = index.dims;
  if (i !== last) {
    index.data.copyWithin(i * d, last * d, (last + 1) * d);
    index.q8.copyWithin(i * d, last * d, (last + 1) * d);
    index.meta[i] = index.meta[last]!;
  }
  index.meta.length = last;
  index.n = last;
}

/** Dot product of `query` with the float row `r`; unrolled by four (about 1.5x faster in V8). */
function dotAt(index: VectorIndex, r: number, query: Float32Array): number {
  const { data, dims } = index;
  const base = r * dims;
  const end = dims - (dims % 4);
  let d0 = 0;
  let d1 = 0;
  let d2 = 0;
  let d3 = 0;
  let j = 0;
  for (; j < end; j += 4) {
    d0 += data[base + j]! * query[j]!;
    d1 += data[base + j + 1]! * query[j + 1]!;
    d2 += data[base + j + 2]! * query[j + 2]!;
    d3 += data[base + j + 3]! * query[j + 3]!;
  }
  for (; j < dims; j++) d0 += data[base + j]! * query[j]!;
  return d0 + d1 + d2 + d3;
}

/**
 * Rows of the int8 matrix `matrix` (`rows` x `dims`, its own buffer: the native call reads from the
 * buffer's start) nearest to `q8`, at most `count`, best first.
 */
function scan(matrix: Int8Array, rows: number, dims: number, q8: Int8Array, count: number): number[] {
  const wanted = Math.min(count, rows);
  if (wanted === 0) return [];
  const found = usearch.exactSearch(matrix.subarray(0, rows * dims), q8, dims, wanted, usearch.MetricKind.IP, 1) as { keys: BigUint64Array };
  return Array.from(found.keys, Number);
}

/** The int8 candidates among rows passing `keep` (all rows without it). */
function candidateRows(index: VectorIndex, q8: Int8Array, want: number, keep?: (m: RowMeta) => boolean): number[] {
  const { n, dims, meta } = index;
  if (!keep) return scan(index.q8, n, dims, q8, want);
  const passing: number[] = [];
  for (let r = 0; r < n; r++) if (keep(meta[r]!)) passing.push(r);
  if (passing.length === n) return scan(index.q8, n, dims, q8, want);
  if (passing.length * 2 >= n) {
    const over = scan(index.q8, n, dims, q8, Math.ceil((want * n) / passing.length) * 2).filter((r) => keep(meta[r]!));
    if (over.length >= Math.min(want, passing.length)) return over.slice(0, want);
  }
  const gathered = new Int8Array(passing.length * dims);
  passing.forEach((r, i) => gathered.set(index.q8.subarray(r * dims, (r + 1) * dims), i * dims));
  return scan(gathered, passing.length, dims, q8, want).map((i) => passing[i]!);
}

/**
 * The `k` rows most similar to `query` (a unit vector; cosine similarity), best first, among rows
 * passing `keep`: int8 candidates re-scored exactly in float (see the module comment). A query of
 * another length than the index's rows finds nothing.
 */
export function nearest(index: VectorIndex, query: Float32Array, k: number, keep?: (m: RowMeta) => boolean): { id: number; score: number }[] {
  if (query.length !== index.dims || index.n === 0) return [];
  const q8 = new Int8Array(index.dims);
  quantise(query, index.scale, q8, 0);
  return candidateRows(index, q8, candidates(k), keep)
    .map((r) => ({ id: index.meta[r]!.id, score: dotAt(index, r, query) }))
    .sort((a, b) => b.score - a.score || a.id - b.id)
    .slice(0, k);
}
