/** TOML reader (smol-toml). */
import { parse, TomlError } from 'smol-toml';
import { SyntaxDiagnosticError, type ParseResult } from './syntax-error.js';

/** Parse TOML text. @throws SyntaxDiagnosticError with smol-toml's line and column. */
export function parseToml(text: string): ParseResult {
  try {
    return { value: parse(text), warnings: [] };
  } catch (err) {
    if (err instanceof TomlError) {
      const first = (err.message.split('\n')[0] ?? 'invalid TOML').replace(/^Invalid TOML document: /, '');
      throw new SyntaxDiagnosticError(first, err.line, err.column, 'check quoting and brackets on that line');
    }
    throw err;
  }
}
