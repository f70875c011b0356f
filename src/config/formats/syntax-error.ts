/** What format readers produce besides values: the error they throw and the warnings they return. */

/** A located syntax problem raised by a format reader (line/col 1-based). */
export class SyntaxDiagnosticError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly col: number,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'SyntaxDiagnosticError';
  }
}

/** A located warning found while reading a file (line/col 1-based, in the original text). Never blocks loading. */
export interface ReaderWarning {
  line: number;
  col: number;
  code: 'W_DEPRECATED' | 'W_UNUSED';
  message: string;
  hint?: string;
}

/** What a reader's `parse` returns: the plain value and any warnings about how it was written. */
export interface ParseResult {
  value: unknown;
  warnings: ReaderWarning[];
}
