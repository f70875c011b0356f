/** `caxton server restart`: stop (if running), then start detached with the given flags. */
import { NotRunningError } from '../../client/http.js';
import { stopDaemon } from '../../client/daemon.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { run as start } from './server-start.js';

/** Restart the daemon; starting when none runs is not an error. */
export async function run(args: string[], opts: GlobalOptions & { port?: number; host?: string }): Promise<number> {
  try {
    await stopDaemon(homePaths(opts));
  } catch (err) {
    if (!(err instanceof NotRunningError)) throw err;
  }
  return start(args, { ...opts, foreground: false });
}
