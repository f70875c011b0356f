/**
 * Reading entity files as text: strict UTF-8 (an invalid byte sequence is a located E_SYNTAX, not a
 * silent U+FFFD that later fails somewhere confusing) and a leading byte-order mark dropped.
 */
import { isUtf8 } from 'node:buffer';
import { readFileSync, statSync } from 'node:fs';
import type { Diagnostic } from './diagnostics.js';
import { MAX_ENTITY_BYTES } from './limits.js';

/** Decoded text, or the located diagnostic explaining why the bytes are not UTF-8 text. */
export type TextResult = { text: string; diagnostic?: undefined } | { text?: undefined; diagnostic: Diagnostic };

/**
 * Decode `bytes` as UTF-8. On invalid input, the diagnostic points at the line of the first bad sequence
 * and the column (in characters) where it starts.
 */
function decodeUtf8(bytes: Uint8Array, file: string): TextResult {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isUtf8(buf)) return { text: buf.toString('utf8').replace(/^\uFEFF/, '') };
  let line = 1;
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, start);
    const end = nl < 0 ? buf.length : nl;
    const slice = buf.subarray(start, end);
    if (!isUtf8(slice)) {
      const col = slice.toString('utf8').indexOf('\uFFFD') + 1;
      return {
        diagnostic: {
          code: 'E_SYNTAX',
          file,
          line,
          col: Math.max(col, 1),
          message: 'the file is not valid UTF-8 text',
          hint: 'save the file as UTF-8 (entity files are text; binary data does not belong here)',
        },
      };
    }
    if (nl < 0) break;
    line++;
    start = nl + 1;
  }
  // Only reachable if a sequence spans a newline byte, which UTF-8 never does; report at 1:1.
  return { diagnostic: { code: 'E_SYNTAX', file, line: 1, col: 1, message: 'the file is not valid UTF-8 text' } };
}

/**
 * Read `path` as UTF-8 text for diagnostics labelled `file`. Unreadable files (permissions, a directory)
 * become an E_SYNTAX diagnostic at 1:1 too, so one bad file never stops a load; a file over
 * MAX_ENTITY_BYTES is E_VALUE at 1:1 and is not read at all.
 */
export function readEntityText(path: string, file: string): TextResult {
  let bytes: Buffer;
  try {
    const size = statSync(path).size;
    if (size > MAX_ENTITY_BYTES) {
      return {
        diagnostic: {
          code: 'E_VALUE',
          file,
          line: 1,
          col: 1,
          message: `the file is ${(size / 1024 / 1024).toFixed(1)} MiB; entity files are limited to 16 MiB`,
          hint: 'an entity is a definition, not data: keep large material in a tool, an MCP server or memory',
        },
      };
    }
    bytes = readFileSync(path);
  } catch (err) {
    return { diagnostic: { code: 'E_SYNTAX', file, line: 1, col: 1, message: `cannot read file: ${(err as Error).message}` } };
  }
  return decodeUtf8(bytes, file);
}
