/**
 * Home directory layout (SPEC §2). Resolve once and pass the `Paths` object around instead of
 * module-level constants (ARCHITECTURE, after Nx's daemon).
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { DomainError } from '../domain/errors.js';

/** Every path the CLI and the daemon use, absolute. */
export interface Paths {
  home: string;
  aresToml: string;
  configDir: string;
  dataDir: string;
  runDir: string;
  pidFile: string;
  socket: string;
  logsDir: string;
  logFile: string;
}

/** Longest Unix socket path Linux accepts (sun_path is 108 bytes including the NUL). macOS: 103. */
export const MAX_SOCKET_PATH_BYTES = process.platform === 'darwin' ? 103 : 107;

/** `--home`, else `CAXTON_HOME`, else `ARES_HOME`, else `~/.caxton` (SPEC §2). */
export function resolveHome(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag || env.CAXTON_HOME || env.ARES_HOME || join(homedir(), '.caxton');
  return resolve(chosen);
}

/** The layout of SPEC §2 under `home`. */
export function pathsFor(home: string): Paths {
  const runDir = join(home, 'run');
  const logsDir = join(home, 'logs');
  return {
    home,
    aresToml: join(home, 'ares.toml'),
    configDir: join(home, 'config'),
    dataDir: join(home, 'data'),
    runDir,
    pidFile: join(runDir, 'caxton.pid'),
    socket: join(runDir, 'caxton.sock'),
    logsDir,
    logFile: join(logsDir, 'caxton.log'),
  };
}

/** @throws DomainError BAD_REQUEST when the control socket path is too long for the OS, with a fix. */
export function checkSocketPath(paths: Paths): void {
  const bytes = Buffer.byteLength(paths.socket);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new DomainError('BAD_REQUEST', `control socket path is ${bytes} bytes, longer than the ${MAX_SOCKET_PATH_BYTES} this OS allows: ${paths.socket}`, [
      { field: 'home', message: 'home directory path too long', hint: 'use a shorter --home (or CAXTON_HOME), e.g. ~/.caxton' },
    ]);
  }
}
