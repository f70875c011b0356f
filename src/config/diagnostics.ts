/**
 * Config diagnostics (SPEC §3): located problems with a code and a hint, printed as
 * `FILE:LINE:COL: CODE message` + `  hint: ...`. Diagnostics are values; loaders collect them all in
 * one pass instead of stopping at the first.
 */
import type { z } from 'zod';
import type { ErrorDetail } from '../domain/errors.js';
import { didYouMean } from '../domain/suggest.js';

/** Diagnostic codes of SPEC §3. `W_*` are warnings; everything else is an error. */
export type DiagnosticCode =
  | 'E_SYNTAX'
  | 'E_MISSING_FIELD'
  | 'E_UNKNOWN_FIELD'
  | 'E_TYPE'
  | 'E_VALUE'
  | 'E_REFERENCE'
  | 'E_DUPLICATE'
  | 'W_DEPRECATED'
  | 'W_UNUSED';

/** One located problem. `line`/`col` are 1-based. */
export interface Diagnostic extends ErrorDetail {
  code: DiagnosticCode;
  file: string;
  line: number;
  col: number;
}

/** The text formats a key can be located in. */
export type SourceFormat = 'toon' | 'toml' | 'json' | 'yaml';

/** True for warning codes (they never block loading). */
export function isWarning(d: { code?: string }): boolean {
  return d.code?.startsWith('W_') ?? false;
}

/** `FILE:LINE:COL: CODE message` plus an indented `hint:` line when there is one. */
export function formatDiagnostic(d: ErrorDetail): string {
  const where = d.file ? `${d.file}:${d.line ?? 1}:${d.col ?? 1}: ` : '';
  const head = `${where}${d.code ? `${d.code} ` : ''}${d.message}`;
  return d.hint ? `${head}\n  hint: ${d.hint}` : head;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Best-effort position of the key at `path` (e.g. ['server','port']) in `text`: the line where its last
 * segment is written, searched after the line of its parent table/key. Falls back to 1:1. For 'yaml',
 * `text` may be a whole Markdown file: only its leading `---` frontmatter is searched, and lines are
 * numbered in the whole file.
 */
export function locateKey(text: string, path: ReadonlyArray<string | number>, format: SourceFormat): { line: number; col: number } {
  const keys = path.filter((p): p is string => typeof p === 'string');
  if (keys.length === 0) return { line: 1, col: 1 };
  let lines = text.split('\n');
  if (format === 'yaml' && /^---\s*$/.test(lines[0] ?? '')) {
    const close = lines.findIndex((l, i) => i > 0 && /^---\s*$/.test(l));
    if (close > 0) lines = lines.slice(0, close);
  }
  let from = 0;
  let found = { line: 1, col: 1 };
  for (let depth = 0; depth < keys.length; depth++) {
    const key = escapeRe(keys[depth]!);
    const patterns: RegExp[] =
      format === 'toml'
        ? [
            new RegExp(`^\\s*\\[\\[?\\s*(?:[\\w"'.-]+\\.)?"?${key}"?\\s*\\]`),
            new RegExp(`^\\s*(?:[\\w"'-]+\\.)*"?${key}"?\\s*=`),
          ]
        : format === 'json'
          ? [new RegExp(`"${key}"\\s*:`)]
          : [new RegExp(`^\\s*"?${key}"?(?:\\[[^\\]]*\\])?(?:\\{[^}]*\\})?\\s*:`)];
    let hit = -1;
    for (let i = from; i < lines.length && hit < 0; i++) {
      const line = lines[i]!;
      if (patterns.some((re) => re.test(line))) hit = i;
    }
    if (hit < 0) break;
    // JSON may hold many keys on one line: point at the key itself; other formats have one key per line.
    const col = (format === 'json' ? lines[hit]!.search(patterns[0]!) : lines[hit]!.search(/\S/)) + 1;
    found = { line: hit + 1, col: Math.max(col, 1) };
    from = hit + 1;
  }
  return found;
}

/** For did-you-mean hints: the keys a zod object schema allows at `path` (unwrapping defaults/optionals). */
export function knownKeysFor(schema: z.ZodType): (path: PropertyKey[]) => string[] {
  return (path) => {
    let s: unknown = schema;
    for (const key of path) {
      const shape = shapeOf(s);
      s = shape?.[String(key)];
    }
    return Object.keys(shapeOf(s) ?? {});
  };
}

function shapeOf(schema: unknown): Record<string, unknown> | undefined {
  let s = schema as { def?: { type?: string; innerType?: unknown; in?: unknown; shape?: Record<string, unknown> } } | undefined;
  for (let i = 0; i < 8 && s?.def; i++) {
    if (s.def.shape) return s.def.shape;
    s = (s.def.innerType ?? s.def.in) as typeof s;
  }
  return undefined;
}

/** Map zod issue kinds to SPEC §3 codes. */
function codeOf(issue: z.core.$ZodIssue, value: unknown): DiagnosticCode {
  if (issue.code === 'unrecognized_keys') return 'E_UNKNOWN_FIELD';
  if (issue.code === 'invalid_type') return value === undefined ? 'E_MISSING_FIELD' : 'E_TYPE';
  return 'E_VALUE';
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/**
 * Turn zod issues into located diagnostics. `knownKeys` maps an object path (joined by '.') to its
 * allowed keys for did-you-mean hints on unknown fields.
 */
export function zodIssuesToDetails(
  issues: ReadonlyArray<z.core.$ZodIssue>,
  src: { file: string; text: string; format: SourceFormat; value?: unknown; knownKeys?: (path: PropertyKey[]) => string[] },
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of issues) {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const keyPath = [...path, key];
        const pos = locateKey(src.text, keyPath, src.format);
        const known = src.knownKeys?.(issue.path as PropertyKey[]) ?? [];
        const guess = didYouMean(key, known);
        out.push({
          code: 'E_UNKNOWN_FIELD',
          file: src.file,
          ...pos,
          field: keyPath.join('.'),
          message: `unknown field \`${keyPath.join('.')}\``,
          hint: guess ? `did you mean \`${guess}\`?` : 'remove it, or keep custom data under `extra`',
        });
      }
      continue;
    }
    const value = src.value === undefined ? undefined : valueAt(src.value, issue.path as PropertyKey[]);
    const code = codeOf(issue, value);
    const pos = locateKey(src.text, path, src.format);
    const field = path.join('.') || '(file)';
    out.push({
      code,
      file: src.file,
      ...pos,
      field,
      message: code === 'E_MISSING_FIELD' ? `missing required field \`${field}\`` : `\`${field}\` ${issue.message}`,
      hint: code === 'E_MISSING_FIELD' ? `add \`${field}\` to the file` : 'see `caxton schema` for the allowed values',
    });
  }
  return out;
}
