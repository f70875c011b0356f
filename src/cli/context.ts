/** Shared bits of command handlers: the global options and the home's paths they select. */
import { basename } from 'node:path';
import { pathsFor, resolveHome, type Paths } from '../ipc/paths.js';

/** Global options every handler receives (merged with its own). */
export interface GlobalOptions {
  home?: string;
  json?: boolean;
}

/** Paths of the home selected by `--home` / `CAXTON_HOME` / `ARES_HOME` / `~/.caxton`. */
export function homePaths(opts: GlobalOptions): Paths {
  return pathsFor(resolveHome(opts.home));
}

/** The name the program was invoked as: `ares` when run through bin/ares, else `caxton`. */
export function programName(argv: readonly string[] = process.argv): 'caxton' | 'ares' {
  return basename(argv[1] ?? 'caxton') === 'ares' ? 'ares' : 'caxton';
}
