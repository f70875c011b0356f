/**
 * `caxton validate PATH... [--kind K] [--json]` (SPEC §5): check entity files, kind directories, config
 * trees and ares.toml without a daemon. Prints `FILE:LINE:COL: CODE message` + `  hint:` lines and a
 * summary; exit 1 when there is any error, 0 with warnings only.
 */
import { formatDiagnostic } from '../../config/diagnostics.js';
import { validatePaths } from '../../config/validate.js';
import type { EntityKind } from '../../domain/entities.js';
import type { GlobalOptions } from '../context.js';
import { EXIT, printJson } from '../output.js';

/** Validate the given paths; `--json` prints `{ok, files, errors, warnings, diagnostics}`. */
export async function run(args: Array<string | string[]>, opts: GlobalOptions & { kind?: EntityKind }): Promise<number> {
  const report = validatePaths(args.flat(), opts.kind ? { kind: opts.kind } : {});
  if (opts.json) {
    printJson({ ok: report.errors === 0, ...report });
  } else {
    for (const d of report.diagnostics) process.stdout.write(`${formatDiagnostic(d)}\n`);
    for (const note of report.notes) process.stdout.write(`note: ${note}\n`);
    const n = report.files.length;
    process.stdout.write(
      `${report.errors === 0 ? 'ok' : 'invalid'}: ${n} file${n === 1 ? '' : 's'} checked, ` +
        `${report.errors} error${report.errors === 1 ? '' : 's'}, ${report.warnings} warning${report.warnings === 1 ? '' : 's'}\n`,
    );
  }
  return report.errors > 0 ? EXIT.FAILED : EXIT.OK;
}
