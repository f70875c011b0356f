/**
 * Signal-driven shutdown of a serving daemon (SPEC §8): on the first SIGTERM or SIGINT, drain the
 * listeners (src/daemon/drain.ts: new requests get 503, runs get the grace period, then are cancelled
 * and recorded), stop the MCP servers, then release everything else (socket and pid file last).
 */
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { ManagedRuntime } from '../runtime/run.js';
import { drainServers } from './drain.js';

/** What a shutdown needs. Times in ms. */
export interface ShutdownOptions {
  servers: Server[];
  runtime: Pick<ManagedRuntime, 'cancelAll' | 'idle'>;
  /** `[server] shutdown_grace_ms`. */
  graceMs: number;
  log: Logger;
  startedAt: number;
  /** Stop MCP server connections and children gracefully (runs after the drain). */
  stopMcp: () => Promise<unknown>;
  /** Release everything else (awaited: a PostgreSQL pool is ended); runs last, once in-flight work is over. Never rejects. */
  release: () => Promise<void>;
}

/**
 * Shut down on the first SIGTERM or SIGINT as the module comment says (later signals are ignored).
 * @returns resolves with the exit code (0) once everything is released; never rejects.
 */
export function stopOnSignal(opts: ShutdownOptions): Promise<number> {
  const { log } = opts;
  return new Promise<number>((resolveStopped) => {
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal, grace_ms: opts.graceMs }, 'shutting down: new requests get 503, waiting for in-flight requests');
      void drainServers({ servers: opts.servers, runtime: opts.runtime, graceMs: opts.graceMs, log })
        // MCP children end before the pid file goes, so "stopped" means no child process is left.
        .then(opts.stopMcp)
        .then(async () => {
          log.info({ uptime_ms: Date.now() - opts.startedAt }, 'caxton daemon stopped');
          await opts.release();
          resolveStopped(0);
        });
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}
