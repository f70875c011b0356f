/** Shared bits of command handlers: resolving the home's paths from the global options. */
import { pathsFor, resolveHome, type Paths } from '../ipc/paths.js';
import type { GlobalOptions } from './main.js';

/** Paths of the home selected by `--home` / `CAXTON_HOME` / `ARES_HOME` / `~/.caxton`. */
export function homePaths(opts: GlobalOptions): Paths {
  return pathsFor(resolveHome(opts.home));
}
