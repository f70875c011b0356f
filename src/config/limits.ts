/**
 * Size and shape limits of one entity (SPEC §3 "none crashes or hangs the loader"). The limits are far
 * above any real agent (a 1 Mi-character prompt is ~250k tokens) and keep every later step (prompts,
 * exports, logs) away from recursion and memory blow-ups.
 *
 * Two passes. `checkText` runs BEFORE a format reader decodes the text and only counts characters and
 * lines, so no entity text can hold the (synchronous) loader, and with it the daemon's event loop
 * during hot reload, for more than ~100 ms: a line longer than MAX_LINE_CHARS (it holds a string over
 * MAX_STRING_CHARS) is E_VALUE at that line and key, a text over MAX_ENTITY_CHARS is E_VALUE at 1:1,
 * and TOON and YAML, whose decoders cost ~10-70 µs per line, are held to MAX_DECODED_LINES. Budgets
 * measured with the shipped decoders: 1 Mi characters of one quoted TOON string ~100 ms, 8,000 TOON
 * keys ~60 ms, 2,000 YAML keys ~70 ms, a full-size JSON or TOML text under 60 ms. `checkLimits` runs
 * on the decoded value: nesting deeper than MAX_NESTING and strings longer than MAX_STRING_CHARS
 * (e.g. a TOML multi-line string) are E_VALUE at the key that holds them.
 */
import { locateKey, type Diagnostic, type SourceFormat } from './diagnostics.js';

/** Deepest nesting of objects/arrays inside one entity (the entity itself is level 1). */
export const MAX_NESTING = 64;
/** Longest string value, in UTF-16 code units (1 Mi). */
export const MAX_STRING_CHARS = 1024 * 1024;
/** Room for keys, quotes and other settings next to a full-size string, in UTF-16 code units (64 Ki). */
const SLACK_CHARS = 64 * 1024;
/** Longest line given to a decoder (UTF-16 code units): a full-size string with its key on one line fits. */
const MAX_LINE_CHARS = MAX_STRING_CHARS + SLACK_CHARS;
/** Longest entity text given to a decoder (UTF-16 code units): one full-size string plus its settings. */
const MAX_ENTITY_CHARS = MAX_STRING_CHARS + SLACK_CHARS;
/** Largest entity file read at all, in bytes (16 MiB); bigger files are refused by their size alone. */
export const MAX_ENTITY_BYTES = 16 * 1024 * 1024;
/** Most lines given to the decoders whose cost grows per line (TOON; YAML frontmatter of `.md` files). */
export const MAX_DECODED_LINES: Partial<Record<SourceFormat, number>> = { toon: 8_000, yaml: 2_000 };

const TOO_BIG_HINT = 'an entity is a definition, not data: keep large material in a tool, an MCP server or memory';
const TOO_LONG_HINT = 'no model context holds that much: shorten it, or keep large reference material in a tool or memory';

/** The key a line starts with (`key:`, `key =`, `"key":`), or undefined. */
function keyOfLine(line: string): string | undefined {
  return /^\s*"?([A-Za-z_][\w.-]*)"?\s*(?:\[\d*\])?\s*[:=]/.exec(line.slice(0, 256))?.[1];
}

/** The first line over MAX_LINE_CHARS as an E_VALUE at that line and its key, found with `indexOf` only. */
function longLine(text: string, file: string): Diagnostic | undefined {
  for (let start = 0, line = 1; start <= text.length; line++) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    if (end - start > MAX_LINE_CHARS) {
      const key = keyOfLine(text.slice(start, start + 256));
      const what = key ? `\`${key}\`` : `line ${line}`;
      const message = `${what} holds ${end - start} characters on one line; strings are limited to ${MAX_STRING_CHARS} characters`;
      return { code: 'E_VALUE', file, line, col: 1, ...(key ? { field: key } : {}), message, hint: TOO_LONG_HINT };
    }
    if (nl < 0) break;
    start = nl + 1;
  }
  return undefined;
}

/** Number of lines in `text`, counting no further than `max + 1`. */
function countLines(text: string, max: number): number {
  let lines = 1;
  for (let i = text.indexOf('\n'); i >= 0 && lines <= max; i = text.indexOf('\n', i + 1)) lines++;
  return lines;
}

/**
 * Size checks made before decoding `text` of `format` (see the module comment): at most one E_VALUE,
 * located at the over-long line or at 1:1; none when the text is within every budget.
 */
export function checkText(text: string, src: { file: string; format: SourceFormat }): Diagnostic[] {
  const long = longLine(text, src.file);
  if (long) return [long];
  const { file } = src;
  if (text.length > MAX_ENTITY_CHARS) {
    return [{ code: 'E_VALUE', file, line: 1, col: 1, message: `the text is ${text.length} characters long; entity texts are limited to ${MAX_ENTITY_CHARS} characters`, hint: TOO_BIG_HINT }];
  }
  const maxLines = MAX_DECODED_LINES[src.format];
  // Markdown: only the frontmatter (up to the closing `---`) is YAML; the body is not decoded.
  const fence = src.format === 'yaml' ? text.indexOf('\n---', 3) : -1;
  const decoded = fence < 0 ? text : text.slice(0, fence);
  if (maxLines !== undefined && countLines(decoded, maxLines) > maxLines) {
    const what = src.format === 'toon' ? 'TOON entity files are' : 'the YAML frontmatter of a Markdown entity file is';
    const message = `more than ${maxLines} lines to decode; ${what} limited to ${maxLines} lines`;
    const hint = src.format === 'toon' ? 'write long text as one quoted line with \\n escapes (caxton export does this), or use TOML or JSON' : 'convert the file with `caxton migrate`';
    return [{ code: 'E_VALUE', file, line: maxLines + 1, col: 1, message, hint }];
  }
  return [];
}

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
        hint: TOO_LONG_HINT,
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
