/** The error every format reader throws for text it cannot parse. */

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
