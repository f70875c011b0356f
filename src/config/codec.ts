/**
 * One entity <-> one text (SPEC §3). `parseEntity` is the single-file half of the config pipeline
 * (read -> parse -> normalize/lint -> schema-validate); the tree loader (load.ts) calls it for every file
 * and then adds the cross-file checks (duplicates, references). `writeEntity` writes a validated entity
 * as canonical TOON (the official encoder, never the `key: |` extension), readable TOML (top-level keys
 * before tables, multi-line strings as `'''` blocks when that is lossless) or pretty JSON.
 *
 * Canonical form: keys in schema order (nested entity objects such as `memory` too; free-form records
 * such as `parameters` keep their own order), `undefined` fields left out, empty objects left out (the
 * schema restores them as defaults), every other value written, defaults included, and one trailing
 * newline. So parse -> write -> parse gives the same value, and write(parse(write(v))) === write(v).
 */
import { encode as encodeToon } from '@toon-format/toon';
import { stringify as stringifyToml } from 'smol-toml';
import type { z } from 'zod';
import { ENTITY_SCHEMAS, type EntityFormat, type EntityKind, type EntityOf } from '../domain/entities.js';
import { DomainError } from '../domain/errors.js';
import { isWarning, knownKeysFor, zodIssuesToDetails, type Diagnostic } from './diagnostics.js';
import { readerForFormat, SyntaxDiagnosticError, type ReadableFormat } from './formats/index.js';
import { checkLimits, checkText } from './limits.js';
import { lintEntity } from './normalize.js';

export type { ReadableFormat } from './formats/index.js';

/** Result of parsing one entity text: the validated entity when there is no error, and every diagnostic. */
export interface EntityParse<K extends EntityKind> {
  /** The validated entity (defaults applied); absent when any diagnostic is an error. */
  value?: EntityOf<K>;
  /** Errors and warnings, each located at `file:line:col` with a SPEC §3 code and usually a hint. */
  diagnostics: Diagnostic[];
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Parse, normalize and schema-validate ONE entity text of `kind` (no cross-file references, no duplicate
 * names: those need the whole tree, see `loadConfigTree`). `file` is only used to label diagnostics.
 * Never throws for bad content: syntax errors, wrong shapes, unknown fields and the ADR-0032 [table] trap
 * all come back as located diagnostics.
 */
export function parseEntity<K extends EntityKind>(kind: K, text: string, format: ReadableFormat, file = '<input>'): EntityParse<K> {
  const reader = readerForFormat(format);
  const diagnostics: Diagnostic[] = [];
  const tooBig = checkText(text, { file, format: reader.format });
  if (tooBig.length > 0) return { diagnostics: tooBig };
  let raw: unknown;
  try {
    const result = reader.parse(text);
    raw = result.value;
    diagnostics.push(...result.warnings.map((w) => ({ ...w, file })));
  } catch (err) {
    if (err instanceof SyntaxDiagnosticError) {
      diagnostics.push({ code: 'E_SYNTAX', file, line: err.line, col: err.col, message: err.message, ...(err.hint ? { hint: err.hint } : {}) });
    } else {
      // A parser giving up in an unplanned way (e.g. stack overflow on hostile nesting) is still a syntax error of this file.
      diagnostics.push({ code: 'E_SYNTAX', file, line: 1, col: 1, message: `cannot parse: ${(err as Error).message ?? String(err)}`, hint: 'check that the file is a well-formed entity; deeply nested values are not allowed' });
    }
    return { diagnostics };
  }
  if (!isPlainObject(raw)) {
    diagnostics.push({ code: 'E_TYPE', file, line: 1, col: 1, message: `expected a ${kind.slice(0, -1)} object with key/value fields` });
    return { diagnostics };
  }
  const limits = checkLimits(raw, { file, text, format: reader.format });
  if (limits.length > 0) return { diagnostics: [...diagnostics, ...limits] };
  const schema = ENTITY_SCHEMAS[kind] as z.ZodType;
  const lint = lintEntity(kind, reader.format, file, text, raw);
  diagnostics.push(...lint.diagnostics);
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issues = zodIssuesToDetails(result.error.issues, { file, text, format: reader.format, value: raw, knownKeys: knownKeysFor(schema) });
    diagnostics.push(...issues.filter((d) => !(d.field && lint.replaces.has(d.field))));
    return { diagnostics };
  }
  if (diagnostics.some((d) => !isWarning(d))) return { diagnostics };
  return { value: result.data as EntityOf<K>, diagnostics };
}

/** Top-level fields of `kind` whose schema default is `{}`, so an empty object there need not be written. */
function emptyDefaults(kind: EntityKind): Set<string> {
  const shape = (ENTITY_SCHEMAS[kind] as unknown as { shape: Record<string, z.ZodType> }).shape;
  return new Set(
    Object.entries(shape)
      .filter(([, s]) => {
        const r = s.safeParse(undefined);
        return r.success && isPlainObject(r.data) && Object.keys(r.data).length === 0;
      })
      .map(([k]) => k),
  );
}
const EMPTY_DEFAULTS = new Map<EntityKind, Set<string>>();

/**
 * Copy `value` with object keys in schema order (unknown keys after, in their own order), dropping
 * `undefined` fields and top-level empty objects that the schema restores as defaults (`omit`).
 */
function canonical(value: unknown, keysAt: (path: PropertyKey[]) => string[], path: PropertyKey[], omit: Set<string>): unknown {
  if (Array.isArray(value)) return value.map((v) => canonical(v, () => [], [], omit));
  if (!isPlainObject(value)) return value;
  const known = keysAt(path);
  const keys = [...known.filter((k) => k in value), ...Object.keys(value).filter((k) => !known.includes(k))];
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const v = value[key];
    if (v === undefined) continue;
    if (path.length === 0 && omit.has(key) && isPlainObject(v) && Object.keys(v).length === 0) continue;
    out[key] = canonical(v, known.includes(key) ? keysAt : () => [], [...path, key], omit);
  }
  return out;
}

/** Throw BAD_REQUEST for values the target format cannot hold (null in TOML, NaN/Infinity in JSON and TOON). */
function assertRepresentable(value: unknown, format: EntityFormat, path: string[] = []): void {
  const where = path.join('.') || '(entity)';
  if (value === null && format === 'toml') {
    throw new DomainError('BAD_REQUEST', `\`${where}\` is null, which TOML cannot represent`, [
      { field: where, message: 'TOML has no null', hint: 'remove the field or export as JSON or TOON' },
    ]);
  }
  if (typeof value === 'number' && !Number.isFinite(value) && format !== 'toml') {
    throw new DomainError('BAD_REQUEST', `\`${where}\` is ${value}, which ${format.toUpperCase()} cannot represent`, [
      { field: where, message: 'not a finite number', hint: 'export as TOML or use a finite number' },
    ]);
  }
  if (Array.isArray(value)) value.forEach((v, i) => assertRepresentable(v, format, [...path, String(i)]));
  else if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) assertRepresentable(v, format, [...path, k]);
}

/** True when `s` can be written as a TOML multi-line literal string (`'''...'''`) and read back unchanged. */
function literalBlockSafe(s: string): boolean {
  // Literal strings allow tab and newline but no other control characters; no escape for `'''`, and a
  // trailing quote would merge with the closing delimiter.
  // eslint-disable-next-line no-control-regex -- these are the control characters TOML forbids here
  return s.includes('\n') && !s.includes("'''") && !s.endsWith("'") && !/[\u0000-\u0008\u000B-\u001F\u007F]/.test(s);
}

/** TOML: smol-toml writes the structure (top-level keys before tables); multi-line strings become `'''` blocks. */
function writeToml(value: Record<string, unknown>): string {
  const blocks: string[] = [];
  let nonce = 0;
  const all = JSON.stringify(value);
  while (all.includes(`@@cx${nonce}-`)) nonce++;
  const swap = (v: unknown): unknown => {
    if (typeof v === 'string' && literalBlockSafe(v)) {
      blocks.push(v);
      return `@@cx${nonce}-${blocks.length - 1}@@`;
    }
    if (Array.isArray(v)) return v.map(swap);
    if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, swap(x)]));
    return v;
  };
  let text = stringifyToml(swap(value) as Record<string, unknown>);
  text = text.replace(new RegExp(`"@@cx${nonce}-(\\d+)@@"`, 'g'), (_, i: string) => `'''\n${blocks[Number(i)]}'''`);
  return `${text.trim()}\n`;
}

/**
 * Write a validated entity of `kind` as canonical `format` text (see the module comment), ending in one
 * newline. @throws DomainError BAD_REQUEST when a free-form field holds a value the format cannot represent
 * (null in TOML; NaN or Infinity in JSON/TOON).
 */
export function writeEntity<K extends EntityKind>(kind: K, value: EntityOf<K>, format: EntityFormat): string {
  let omit = EMPTY_DEFAULTS.get(kind);
  if (!omit) EMPTY_DEFAULTS.set(kind, (omit = emptyDefaults(kind)));
  const ordered = canonical(value, knownKeysFor(ENTITY_SCHEMAS[kind] as z.ZodType), [], omit) as Record<string, unknown>;
  assertRepresentable(ordered, format);
  switch (format) {
    case 'toon':
      return `${encodeToon(ordered)}\n`;
    case 'toml':
      return writeToml(ordered);
    case 'json':
      return `${JSON.stringify(ordered, null, 2)}\n`;
  }
}
