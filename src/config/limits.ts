/**
 * Size and shape limits of one entity (SPEC §3 "none crashes or hangs the loader"): values nested deeper
 * than MAX_NESTING or strings longer than MAX_STRING_CHARS are E_VALUE at the key that holds them, and a
 * file larger than MAX_ENTITY_BYTES is refused before it is parsed. The limits are far above any real
 * agent (a 1 Mi-character prompt is ~250k tokens, more than any model's context) and keep every later
 * step (prompts, exports, logs) away from recursion and memory blow-ups.
 */
import { locateKey, type Diagnostic, type SourceFormat } from './diagnostics.js';

/** Deepest nesting of objects/arrays inside one entity (the entity itself is level 1). */
export const MAX_NESTING = 64;
/** Longest string value, in UTF-16 code units (1 Mi). */
export const MAX_STRING_CHARS = 1024 * 1024;
/** Largest entity file, in bytes (16 MiB); bigger files are not parsed at all. */
export const MAX_ENTITY_BYTES = 16 * 1024 * 1024;

/**
 * Find values over the limits in a parsed entity (iteratively: no recursion on hostile input). Reports at
 * most one nesting and one per over-long string, located at the top-level key that holds them.
 */
export function checkLimits(value: unknown, src: { file: string; text: string; format: SourceFormat }): Diagnostic[] {
  const out: Diagnostic[] = [];
  const stack: Array<{ v: unknown; path: Array<string | number>; depth: number }> = [{ v: value, path: [], depth: 0 }];
  let deepReported = false;
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop()!;
    const field = path.filter((p) => typeof p === 'string').join('.') || '(entity)';
    if (typeof v === 'string' && v.length > MAX_STRING_CHARS) {
      out.push({
        code: 'E_VALUE',
        file: src.file,
        ...locateKey(src.text, path.slice(0, 1), src.format),
        field,
        message: `\`${field}\` is ${v.length} characters long; the limit is ${MAX_STRING_CHARS}`,
        hint: 'no model context holds that much: shorten it, or keep large reference material in a tool or memory',
      });
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > MAX_NESTING) {
      if (!deepReported) {
        deepReported = true;
        out.push({
          code: 'E_VALUE',
          file: src.file,
          ...locateKey(src.text, path.slice(0, 1), src.format),
          field: String(path[0] ?? '(entity)'),
          message: `\`${String(path[0] ?? 'the entity')}\` is nested more than ${MAX_NESTING} levels deep`,
          hint: 'flatten the structure; entity values are settings, not data dumps',
        });
      }
      continue;
    }
    const entries: Array<[string | number, unknown]> = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    for (const [k, x] of entries) stack.push({ v: x, path: [...path, k], depth: depth + 1 });
  }
  return out;
}
