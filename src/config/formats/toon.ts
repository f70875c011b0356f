/**
 * TOON reader (official `@toon-format/toon`, strict mode), plus one read-only extension (SPEC §3): the
 * seed document's YAML-style `key: |` block, which official TOON rejects, is rewritten to a canonical
 * quoted string before decoding, with a W_DEPRECATED warning.
 */
import { decode } from '@toon-format/toon';
import { MAX_NESTING } from '../limits.js';
import { SyntaxDiagnosticError, type ParseResult, type ReaderWarning } from './syntax-error.js';

/** `KEY: |` alone on a line (a bare or quoted TOON key). */
const BLOCK_HEADER = /^(\s*)((?:"(?:[^"\\]|\\.)*"|[A-Za-z_][\w.-]*)):\s*\|\s*$/;

const indentOf = (line: string): number => line.search(/\S/);

/** Deepest indentation accepted (4 columns per level, MAX_NESTING levels). */
const MAX_INDENT = 4 * MAX_NESTING;

function quoteToon(value: string): string {
  const escaped = value.replace(/[\\"\n\r\t]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c]!);
  return `"${escaped}"`;
}

/**
 * Rewrite every `KEY: |` block into `KEY: "..."`. A block is the following lines indented deeper than the
 * key, plus blank lines between them; it ends before the first non-blank line at the key's indent or less.
 * The common indentation is stripped and whitespace-only lines become empty. The value has NO trailing
 * newline (unlike YAML's `|`, which keeps one): prompts are compared and exported without it.
 * A `KEY: |` with no deeper line after it is left alone (official TOON reads it as the string "|").
 * `lineMap[i]` is the 1-based original line of rewritten line i + 1, so decoder errors can be mapped back.
 */
function rewriteBlocks(text: string): { text: string; lineMap: number[]; warnings: ReaderWarning[] } {
  const lines = text.split('\n');
  const out: string[] = [];
  const lineMap: number[] = [];
  const warnings: ReaderWarning[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const header = BLOCK_HEADER.exec(line);
    let end = i;
    if (header) {
      const keyIndent = header[1]!.length;
      for (let j = i + 1; j < lines.length; j++) {
        const l = lines[j]!;
        if (l.trim() === '') continue;
        if (indentOf(l) <= keyIndent) break;
        end = j;
      }
    }
    if (!header || end === i) {
      out.push(line);
      lineMap.push(i + 1);
      continue;
    }
    const body = lines.slice(i + 1, end + 1).map((l) => l.replace(/\r$/, ''));
    const common = Math.min(...body.filter((l) => l.trim() !== '').map(indentOf));
    const value = body.map((l) => (l.trim() === '' ? '' : l.slice(common))).join('\n');
    out.push(`${header[1]}${header[2]}: ${quoteToon(value)}`);
    lineMap.push(i + 1);
    warnings.push({
      line: i + 1,
      col: header[1]!.length + 1,
      code: 'W_DEPRECATED',
      message: `\`${header[2]}: |\` block is not TOON; read as a multi-line string`,
      hint: 'write it as one quoted line with \\n escapes (caxton export does this for you)',
    });
    i = end;
  }
  return { text: out.join('\n'), lineMap, warnings };
}

/** Parse TOON text (accepting `key: |` blocks with a warning). @throws SyntaxDiagnosticError at the original line. */
export function parseToon(text: string): ParseResult {
  const rewritten = rewriteBlocks(text);
  // The decoder recurses once per indentation level; refuse absurd depth before it overflows the stack.
  const lines = rewritten.text.split('\n');
  const deep = lines.findIndex((l) => indentOf(l) > MAX_INDENT);
  if (deep >= 0) {
    throw new SyntaxDiagnosticError(
      `line indented ${indentOf(lines[deep]!)} columns: values may be nested at most ${MAX_NESTING} levels deep`,
      rewritten.lineMap[deep] ?? deep + 1,
      1,
      'flatten the structure; entity values are settings, not data dumps',
    );
  }
  try {
    return { value: decode(rewritten.text), warnings: rewritten.warnings };
  } catch (err) {
    const e = err as Error & { line?: number };
    const line = typeof e.line === 'number' ? (rewritten.lineMap[e.line - 1] ?? e.line) : 1;
    const message = e.message.replace(/^Line \d+:\s*/, '');
    throw new SyntaxDiagnosticError(
      message,
      line,
      1,
      'TOON writes multi-line strings as one quoted line with \\n escapes; see `caxton schema`',
    );
  }
}
