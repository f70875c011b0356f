/**
 * `caxton migrate PATH... [--out DIR] [--force] [--json]` (SPEC §5): Markdown+YAML frontmatter agents ->
 * TOML, in batch. Prints per file `SOURCE -> TARGET` and what changed, or the diagnostics that stopped it;
 * exit 1 when any file failed (the others are still written).
 */
import { formatDiagnostic } from '../../config/diagnostics.js';
import { migratePaths } from '../../config/migrate.js';
import type { GlobalOptions } from '../context.js';
import { EXIT, printJson } from '../output.js';

/** Migrate the given files/directories; `--json` prints `{ok, results}`. */
export async function run(args: Array<string | string[]>, opts: GlobalOptions & { out?: string; force?: boolean }): Promise<number> {
  const results = migratePaths(args.flat(), { ...(opts.out ? { out: opts.out } : {}), force: opts.force === true });
  const failed = results.filter((r) => r.status === 'failed').length;
  if (opts.json) {
    printJson({ ok: failed === 0, results });
    return failed ? EXIT.FAILED : EXIT.OK;
  }
  for (const r of results) {
    if (r.status === 'written') {
      process.stdout.write(`migrated ${r.source} -> ${r.target}\n`);
      for (const c of r.changes) process.stdout.write(`  - ${c}\n`);
    } else {
      process.stdout.write(`failed ${r.source}${r.target ? ` (not written: ${r.target})` : ''}\n`);
    }
    for (const d of r.diagnostics) process.stdout.write(`${formatDiagnostic(d).replace(/^/gm, '  ')}\n`);
  }
  const written = results.length - failed;
  if (results.length === 0) process.stdout.write('no Markdown agents found\n');
  else process.stdout.write(`${written} migrated, ${failed} failed${written ? '; the .md sources were kept' : ''}\n`);
  return failed || results.length === 0 ? EXIT.FAILED : EXIT.OK;
}
