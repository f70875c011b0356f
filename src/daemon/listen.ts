/**
 * The daemon's two listeners (SPEC §8; ARCHITECTURE "Build, listen, serve are separate"): one app
 * served on TCP and on the control socket. The servers exist before the app so the app's status can
 * read the bound address; `serve` attaches the app and binds both, mapping bind failures to messages
 * a user can act on.
 */
import { chmodSync, unlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { AresConfig } from '../config/ares-toml.js';
import { DomainError } from '../domain/errors.js';
import { createCleanup } from './cleanup.js';

/** What the listeners hand requests to: Hono's `app.fetch`, told which transport a request came on. */
export type FetchHandler = (req: Request, env: Record<string, unknown>) => Response | Promise<Response>;

/** The TCP and control-socket servers of one daemon. */
export interface Listeners {
  tcp: Server;
  unix: Server;
  /** `http://HOST:PORT` of the bound TCP listener (IPv6 hosts in brackets); '' while not bound. */
  url(): string;
  /**
   * Serve `fetch` on both: the socket (after refusing to start when another daemon answers on it and
   * removing a stale one; mode 0600), then TCP. Socket requests carry `transport: 'socket'`, TCP ones
   * `transport: 'tcp'`.
   * @throws DomainError CONFLICT (another daemon on the socket, port in use, privileged port),
   *   CONFIG_INVALID (no such local address); other bind errors as they are.
   */
  serve(fetch: FetchHandler): Promise<void>;
  /** Close what `serve` bound (TCP, then the socket and its file). Never rejects. */
  close(): Promise<void>;
}

/**
 * Create both servers, not yet listening. TCP clients must send a whole request within
 * `request_timeout_ms` / `headers_timeout_ms` (checked every second; responses and streams are not
 * limited), and at most `max_connections` are open at once.
 */
export function createListeners(server: AresConfig['server'], socket: string): Listeners {
  const { request_timeout_ms: requestTimeout, headers_timeout_ms: headersTimeout } = server;
  const tcp = createServer({ requestTimeout, headersTimeout, connectionsCheckingInterval: 1000 });
  tcp.maxConnections = server.max_connections;
  const unix = createServer();
  const undo = createCleanup();
  const url = () => {
    const addr = tcp.address();
    if (!addr || typeof addr !== 'object') return '';
    return `http://${server.host.includes(':') ? `[${server.host}]` : server.host}:${addr.port}`;
  };
  return {
    tcp,
    unix,
    url,
    async serve(fetch) {
      unix.on(
        'request',
        getRequestListener((req, env) => fetch(req, { ...env, transport: 'socket' })),
      );
      tcp.on(
        'request',
        getRequestListener((req, env) => fetch(req, { ...env, transport: 'tcp' })),
      );
      await bindSocket(unix, socket);
      undo.push(() => unlinkQuietly(socket));
      undo.push(() => void unix.close());
      await bindTcp(tcp, server);
      undo.push(() => void tcp.close());
    },
    close: undo.run,
  };
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* none */
  }
}

/** Bind the control socket: refuse when another daemon answers on it, remove a stale one, mode 0600. */
async function bindSocket(unix: Server, path: string): Promise<void> {
  if (await socketAnswers(path)) throw new DomainError('CONFLICT', `another daemon answers on ${path}`);
  unlinkQuietly(path); // stale socket from a crash
  await listen(unix, { path });
  chmodSync(path, 0o600);
}

/** Bind TCP, mapping the errno of a failed bind to a DomainError naming the fix. */
async function bindTcp(tcp: Server, { port, host }: { port: number; host: string }): Promise<void> {
  try {
    await listen(tcp, { port, host });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new DomainError('CONFLICT', `port ${port} on ${host} is already in use; pick another with --port N or [server] port in ares.toml`);
    }
    if (code === 'EACCES') throw new DomainError('CONFLICT', `not allowed to listen on ${host}:${port} (ports below 1024 need privileges)`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new DomainError('CONFIG_INVALID', `cannot listen on host ${host}: no such local address`);
    throw err;
  }
}

function listen(server: Server, target: { port: number; host: string } | { path: string }): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolvePromise();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    if ('path' in target) server.listen(target.path);
    else server.listen(target.port, target.host);
  });
}

/** True when something accepts connections on the Unix socket at `path`. */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}
