/**
 * CLI output conventions: errors to stderr as `error: message` (+ details and hints), JSON to stdout
 * with `--json`, and the exit code for each kind of failure (SPEC §5).
 */
import { NotRunningError } from '../client/http.js';
import { DomainError } from '../domain/errors.js';
import { toWireError, wireBody, type WireError } from '../domain/wire-error.js';

/** Exit codes of SPEC §5. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, NOT_RUNNING: 3 } as const;

/** Print `value` as pretty JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Report `err` on stderr (or as `{"error": ...}` JSON on stdout with --json) and return its exit code. */
export function fail(err: unknown, json: boolean): number {
  const code = err instanceof NotRunningError ? EXIT.NOT_RUNNING : EXIT.FAILED;
  if (json) {
    const wire: WireError =
      err instanceof DomainError
        ? toWireError(err)
        : { code: err instanceof NotRunningError ? 'NOT_RUNNING' : 'INTERNAL', message: (err as Error).message ?? String(err), details: [] };
    process.stdout.write(`${JSON.stringify(wireBody(wire))}\n`);
    return code;
  }
  const lines = [`error: ${(err as Error).message ?? String(err)}`];
  if (err instanceof DomainError) {
    for (const d of err.details) {
      const where = d.file ? `${d.file}:${d.line ?? 1}:${d.col ?? 1}: ` : d.field ? `${d.field}: ` : '';
      if (d.file || d.field) lines.push(`  ${where}${d.code ? `${d.code} ` : ''}${d.message}`);
      if (d.hint) lines.push(`  hint: ${d.hint}`);
    }
  }
  process.stderr.write(`${lines.join('\n')}\n`);
  return code;
}
