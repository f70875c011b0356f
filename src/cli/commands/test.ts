/**
 * `caxton test [PATH...] [--filter TEXT] [--json] [--reporter junit --output FILE] [--record | --replay]
 * [--update] [--concurrency N] [--trace]` (docs/testing.md; STORY-014, and STORY-018 for `--trace`):
 * run scenario files without a daemon.
 * Exit 0 when every case passes, 1 when any fails, 2 on a usage error (bad flags, a scenario file
 * with errors: its located diagnostics are printed and no case runs).
 */
import { formatDiagnostic } from '../../config/diagnostics.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { EXIT, printJson } from '../output.js';

/** Options of `caxton test`. */
interface TestOptions extends GlobalOptions {
  filter?: string;
  reporter?: 'junit';
  output?: string;
  record?: boolean;
  replay?: boolean;
  update?: boolean;
  concurrency?: number;
  trace?: boolean;
}

/** `error: ...` on stderr and the usage exit code. */
function usage(message: string): number {
  process.stderr.write(`error: ${message}\n`);
  return EXIT.USAGE;
}

/** Run the suites; see the module comment for exit codes. */
export async function run(args: Array<string | string[]>, opts: TestOptions): Promise<number> {
  if (opts.record && (opts.replay || opts.update)) return usage('--record cannot be combined with --replay or --update');
  if (opts.reporter && !opts.output) return usage('--reporter junit needs --output FILE');
  const paths = homePaths(opts);
  const { loadSuites } = await import('../../testing/suites.js');
  const { suites, diagnostics } = loadSuites(args.flat(), paths);
  if (diagnostics.length > 0) {
    for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    return usage(`${diagnostics.length} problem${diagnostics.length === 1 ? '' : 's'} in scenario files; no case was run`);
  }
  if (suites.length === 0) return usage('no scenario files found (NAME.test.toml under config/ or tests/ of the home, or the paths given)');
  const { runSuites } = await import('../../testing/runner.js');
  const { formatReport, writeJunit } = await import('../../testing/report.js');
  const mode = opts.record ? 'record' : opts.update ? 'update' : opts.replay ? 'replay' : 'auto';
  const report = await runSuites(suites, {
    paths,
    mode,
    ...(opts.filter ? { filter: opts.filter } : {}),
    ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
  });
  if (opts.reporter === 'junit' && opts.output) writeJunit(report, opts.output);
  if (opts.json) printJson({ ok: report.failed === 0, ...report });
  else process.stdout.write(formatReport(report, opts.trace === true));
  return report.failed === 0 ? EXIT.OK : EXIT.FAILED;
}
