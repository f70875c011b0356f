/**
 * The result of one `caxton doctor` check (issue requirement "caxton doctor": one line per check,
 * the fix under each failure, `--json` as an array of these).
 */

/** `ok` passed; `warn` works but is likely to bite; `fail` is broken (exit 1); `skip` was not checked, `detail` says why. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** One check: what was checked, how it went, what was seen, and for `warn`/`fail` the command or edit that fixes it. */
export interface CheckResult {
  /** What was checked, e.g. `home modes`, `provider openai: key`, `model balanced: tool calling`. */
  check: string;
  status: CheckStatus;
  /** What was found (never a secret: keys and database passwords are left out). */
  detail: string;
  /** How to fix a `warn` or `fail`; absent otherwise. */
  fix?: string;
}

/** Build a result; `fix` is kept only when given. */
export function result(check: string, status: CheckStatus, detail: string, fix?: string): CheckResult {
  return { check, status, detail, ...(fix ? { fix } : {}) };
}

/** The message of any thrown value (for details). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
