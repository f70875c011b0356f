/** TOON reader (official `@toon-format/toon`, strict mode). */
import { decode } from '@toon-format/toon';
import { SyntaxDiagnosticError } from './syntax-error.js';

/** Parse TOON text. @throws SyntaxDiagnosticError with the decoder's line. */
export function parseToon(text: string): unknown {
  try {
    return decode(text);
  } catch (err) {
    const e = err as Error & { line?: number };
    const line = typeof e.line === 'number' ? e.line : 1;
    const message = e.message.replace(/^Line \d+:\s*/, '');
    throw new SyntaxDiagnosticError(
      message,
      line,
      1,
      'TOON writes multi-line strings as one quoted line with \\n escapes; see `caxton schema`',
    );
  }
}
