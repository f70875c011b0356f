/**
 * Graceful shutdown of the daemon's HTTP listeners (SPEC §8; the requirement "shutdown keeps the
 * record": every run cut by the grace period is recorded, every client gets a stated end, no request
 * is reset):
 *
 * 1. at once, every request not yet dispatched, on a new or a kept-alive connection, is answered 503
 *    UNAVAILABLE with `Connection: close` (the listeners stay open, so a request the kernel already
 *    accepted is answered instead of reset);
 * 2. runs in flight get until `graceMs` to finish; then the runtime cancels them with the reason
 *    `daemon shutting down`: each is recorded `cancelled` and its client gets that end (JSON 503,
 *    SSE `error` event, /v1 error chunk and `[DONE]`);
 * 3. once no run is left (or `writeWaitMs` after the cancel), the listeners close; connections still
 *    writing their last bytes get up to `writeWaitMs` more, then every connection is closed.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { errorBody } from '../api/errors.js';
import type { ManagedRuntime } from '../runtime/run.js';

/** The reason recorded on runs cut by the grace period (`agent_executions.error_message`). */
export const SHUTDOWN_REASON = 'daemon shutting down';

/** What a request arriving during shutdown is told (503 UNAVAILABLE). */
const REFUSAL = JSON.stringify(errorBody('UNAVAILABLE', 'the daemon is shutting down; retry once it has restarted'));

/** How long (ms) a refused request's body may take to arrive before the 503 is sent anyway. */
const BODY_WAIT_MS = 1_000;

/** What `drainServers` needs. Times in ms. */
export interface DrainOptions {
  /** The HTTP servers (TCP and control socket) to drain. */
  servers: Server[];
  runtime: Pick<ManagedRuntime, 'cancelAll' | 'idle'>;
  /** `[server] shutdown_grace_ms`: how long runs in flight may take before they are cancelled. */
  graceMs: number;
  /** How long cancelled runs and open responses get to write their last bytes (default 2000). */
  writeWaitMs?: number;
  log: { warn(msg: string): void };
}

/**
 * Answer one request with 503 and `Connection: close` after reading its body (bounded by
 * BODY_WAIT_MS), so the client receives the answer instead of a reset for unread bytes.
 */
function refuse(req: IncomingMessage, res: ServerResponse): void {
  const send = () => {
    if (res.headersSent) return;
    res.writeHead(503, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(REFUSAL), connection: 'close' });
    res.end(REFUSAL);
  };
  req.once('end', send);
  req.once('error', send);
  setTimeout(send, BODY_WAIT_MS).unref();
  req.resume();
}

const delay = (ms: number) => new Promise<void>((wake) => setTimeout(wake, ms).unref());

/** Drain and close `servers` as the module comment says. Resolves once both are closed; never rejects. */
export async function drainServers(opts: DrainOptions): Promise<void> {
  const { servers, runtime, graceMs, log } = opts;
  const writeWaitMs = opts.writeWaitMs ?? 2_000;
  for (const s of servers) {
    s.removeAllListeners('request');
    s.on('request', refuse);
  }
  const runsOver = runtime.idle().then(() => true);
  if (!(await Promise.race([runsOver, delay(graceMs).then(() => false)]))) {
    log.warn(`grace period over: cancelling runs in flight (${SHUTDOWN_REASON})`);
    runtime.cancelAll(SHUTDOWN_REASON);
    await Promise.race([runsOver, delay(writeWaitMs)]);
  }
  // Give bytes already received one turn of the event loop to be parsed (and refused) before closing.
  await new Promise((wake) => setImmediate(wake));
  const idle = setInterval(() => {
    for (const s of servers) s.closeIdleConnections();
  }, 50);
  const hard = setTimeout(() => {
    for (const s of servers) s.closeAllConnections();
  }, writeWaitMs);
  await Promise.all(servers.map((s) => new Promise<void>((closed) => s.close(() => closed()))));
  clearInterval(idle);
  clearTimeout(hard);
  // A run whose client was cut off above records that on its way out; let it before the store closes.
  await Promise.race([runtime.idle(), delay(writeWaitMs)]);
}
