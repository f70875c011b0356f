/**
 * Who sent a request, for per-address limits and logs: the TCP peer, or, when the peer is a trusted
 * reverse proxy (`[server] trusted_proxies`), the address it names in `X-Forwarded-For` (the nearest
 * one not itself trusted, as `proxy-addr` walks the list from the right). From an untrusted peer the
 * header is ignored, so a client cannot choose the address it is counted under.
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import proxyaddr from 'proxy-addr';
import type { AppEnv } from './deps.js';

/** The client address of a request (see `clientAddressResolver`). */
export type ClientAddressOf = (c: Context<AppEnv>) => string;

/**
 * The client address of `incoming` given the compiled trust (`proxyaddr.compile`): the peer when it is
 * not trusted, else the nearest `X-Forwarded-For` entry that is not trusted (or the farthest entry when
 * all are). `unknown` when there is no request or its socket has no peer address (already closed).
 */
export function clientAddressOf(incoming: IncomingMessage | undefined, trust: (addr: string, i: number) => boolean): string {
  if (!incoming?.socket?.remoteAddress) return 'unknown';
  return proxyaddr(incoming, trust);
}

/**
 * Compile `trustedProxies` (IP addresses, CIDR ranges, `loopback`/`linklocal`/`uniquelocal`; checked
 * when ares.toml is loaded) once and answer per request: `control-socket` for the Unix socket, the
 * TCP client's address (`clientAddressOf`), or `unknown` without a socket (in-process `app.request()`):
 * such requests share one count.
 * @throws TypeError from `proxy-addr` when an entry is not an address, range or class name.
 */
export function clientAddressResolver(trustedProxies: readonly string[]): ClientAddressOf {
  const trust = proxyaddr.compile([...trustedProxies]);
  return (c) => (c.env?.transport === 'socket' ? 'control-socket' : clientAddressOf(c.env?.incoming, trust));
}
