/** JSON reader (JSON.parse, with the error position turned into line:col). */
import { SyntaxDiagnosticError, type ParseResult } from './syntax-error.js';

/** Parse JSON text. @throws SyntaxDiagnosticError located at the offending character. */
export function parseJson(text: string): ParseResult {
  try {
    return { value: JSON.parse(text), warnings: [] };
  } catch (err) {
    const msg = (err as Error).message;
    const m = /position (\d+)/.exec(msg);
    let line = 1;
    let col = 1;
    if (m) {
      const pos = Number(m[1]);
      const before = text.slice(0, pos);
      line = before.split('\n').length;
      col = pos - before.lastIndexOf('\n');
    }
    throw new SyntaxDiagnosticError(msg.replace(/ in JSON at position \d+.*$/, ''), line, col, 'check commas and quotes');
  }
}
