/**
 * Messages between `caxton server start` and the detached daemon it spawns (over the Node IPC
 * channel, only until the daemon is ready): either it is serving, or it failed and why.
 */
import type { ErrorDetail } from '../domain/errors.js';

/** The daemon is serving: where to reach it. */
export interface ReadyMessage {
  type: 'ready';
  pid: number;
  url: string;
  socket: string;
}

/** The daemon could not start. `code` is a DomainError code (`CONFLICT` + `pid` = already running). */
export interface StartErrorMessage {
  type: 'error';
  code: string;
  message: string;
  pid?: number;
  /** The error's located details and hints (e.g. `ares.toml:2:8`, "use a shorter --home"). */
  details?: ErrorDetail[];
}

export type DaemonMessage = ReadyMessage | StartErrorMessage;

/** Env var that tells a `server start --foreground` process it was spawned by `server start` and must report over IPC. */
export const DAEMON_CHILD_ENV = 'CAXTON_DAEMON_CHILD';
