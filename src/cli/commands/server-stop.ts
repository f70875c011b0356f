/** `caxton server stop`: graceful stop; exit 3 when no daemon runs (SPEC §5). */
import { stopDaemon } from '../../client/daemon.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';

/** Stop the daemon and wait for it to exit. */
export async function run(_args: string[], opts: GlobalOptions): Promise<number> {
  const pid = await stopDaemon(homePaths(opts));
  if (opts.json) printJson({ stopped: true, pid });
  else process.stdout.write(`caxton stopped (pid ${pid})\n`);
  return 0;
}
