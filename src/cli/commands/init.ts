/** `caxton init [--force] [--provider openai|ollama|offline]` (SPEC §2). Works without the daemon. */
import { initHome, type InitProvider } from '../../config/init.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';

/** Write ares.toml and config/ into the home; report what was written and what was kept. */
export async function run(_args: string[], opts: GlobalOptions & { force?: boolean; provider?: InitProvider }): Promise<number> {
  const paths = homePaths(opts);
  const result = initHome(paths.home, { force: opts.force === true, ...(opts.provider ? { provider: opts.provider } : {}) });
  if (opts.json) {
    printJson({ home: paths.home, ...result });
    return 0;
  }
  process.stdout.write(`initialised ${paths.home} (models use provider: ${result.provider})\n`);
  if (result.provider === 'offline')
    process.stdout.write('  offline: canned demo replies; for OpenAI, set OPENAI_API_KEY and run `caxton init --force --provider openai`\n');
  process.stdout.write(`  wrote ${result.written.length} file(s)`);
  process.stdout.write(result.kept.length ? `, kept ${result.kept.length} existing (use --force to overwrite)\n` : '\n');
  process.stdout.write('next: caxton server start\n');
  return 0;
}
