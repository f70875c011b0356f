/**
 * Which network addresses tools may reach on a user's behalf (SSRF guard for the `http_fetch` builtin
 * and user-tier Streamable HTTP MCP servers). A "private" address is anything not on the public
 * Internet: loopback, RFC 1918 private networks, link-local (169.254.x.x, e.g. cloud metadata),
 * CGNAT, documentation/benchmark ranges, multicast, and their IPv6 counterparts (IPv4-mapped
 * addresses are checked as IPv4). Names are checked on every address they resolve to, at connect
 * time (a public name may be re-pointed at 127.0.0.1 later), through an undici Agent whose connector
 * refuses private IP literals and whose DNS lookup refuses private answers; redirects go through the
 * same connector, so they are checked too.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import type { Agent } from 'undici';

const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, bits, 'ipv6');
}

/** True for addresses that are not on the public Internet (loopback, private, link-local, ...); also for non-addresses. */
export function isPrivateAddress(ip: string): boolean {
  const bare = ip.replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped) return blocked.check(mapped[1]!, 'ipv4');
  const v = isIP(bare);
  if (v === 4) return blocked.check(bare, 'ipv4');
  if (v === 6) return blocked.check(bare, 'ipv6');
  return true; // not an address at all: refuse
}

/**
 * True when a URL's `hostname` is private without asking DNS: a private IP literal, or `localhost`
 * / `*.localhost` (RFC 6761 names that always mean this machine).
 */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  if (isIP(host)) return isPrivateAddress(host);
  return host === 'localhost' || host.endsWith('.localhost');
}

/** The error a refused connection fails with (found in the `cause` chain of undici's errors). */
export class RefusedAddress extends Error {
  override name = 'RefusedAddress';
}

/** The RefusedAddress in `err`'s `cause` chain, if any (undici wraps connector errors in `fetch failed`). */
export function refusedIn(err: unknown): RefusedAddress | undefined {
  for (let e = err as { cause?: unknown } | undefined, i = 0; e && i < 8; e = e.cause as typeof e, i++) {
    if (e instanceof RefusedAddress) return e;
  }
  return undefined;
}

type LookupCb = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A DNS lookup (for net.connect inside undici) that refuses a name when `refuse` says so of any of its addresses. */
function refusingLookup(refuse: (ip: string) => boolean) {
  return (hostname: string, options: LookupOneOptions | LookupAllOptions, cb: LookupCb): void => {
    dnsLookup(hostname, { ...options, all: true } as LookupAllOptions, (err, addresses) => {
      if (err) return cb(err, []);
      const bad = addresses.find((a) => refuse(a.address));
      if (bad) return cb(new RefusedAddress(`${hostname} resolves to ${bad.address}, a private or loopback address`), []);
      if ((options as LookupAllOptions).all) return cb(null, addresses);
      const first = addresses[0];
      if (!first) return cb(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
      cb(null, first.address, first.family);
    });
  };
}

/**
 * An undici Agent that connects only where `refuse` allows: IP literals are checked before
 * connecting, names on every address DNS gives. Refusals fail with a RefusedAddress.
 */
function guardedAgent(undici: typeof import('undici'), refuse: (ip: string) => boolean): Agent {
  const base = undici.buildConnector({ lookup: refusingLookup(refuse) as never });
  return new undici.Agent({
    connections: 16,
    connect: (opts, cb) => {
      const host = opts.hostname.replace(/^\[|\]$/g, '');
      if (isIP(host) && refuse(host)) return cb(new RefusedAddress(`${opts.hostname} is a private or loopback address`), null);
      base(opts, cb);
    },
  });
}

let publicAgent: Agent | undefined;

/**
 * The shared undici Agent that only connects to public addresses (`isPrivateAddress` refuses),
 * see `guardedAgent`. `undici` is passed in because it is imported lazily (~100 ms of start-up otherwise).
 */
export function publicOnlyAgent(undici: typeof import('undici')): Agent {
  return (publicAgent ??= guardedAgent(undici, isPrivateAddress));
}

/** WHATWG `fetch` as the MCP SDK's transports take it. */
export type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;

/**
 * A `fetch` (undici's implementation) whose connections go only where `refuse` allows (its own
 * Agent, kept for the fetch's lifetime). `publicOnlyFetch` is this with `isPrivateAddress`; other
 * predicates are for benchmarks of the same path.
 */
export function guardedFetch(refuse: (ip: string) => boolean): FetchLike {
  let agent: Agent | undefined;
  return async (url, init) => {
    const undici = await import('undici');
    agent ??= refuse === isPrivateAddress ? publicOnlyAgent(undici) : guardedAgent(undici, refuse);
    return (await undici.fetch(url, { ...(init as object), dispatcher: agent } as never)) as unknown as Response;
  };
}

/**
 * A `fetch` that only reaches public addresses, for transports that take a custom fetch (the MCP
 * SDK's Streamable HTTP client of user-tier servers that are not trusted).
 */
export const publicOnlyFetch: FetchLike = guardedFetch(isPrivateAddress);

/** Time a creation-time DNS check may take (ms) before the URL is accepted and left to the connect-time check. */
const CHECK_DNS_MS = 2_000;

/**
 * Why `url` may not be used by a user whose servers must stay on public addresses, or undefined when
 * it may. Checks the scheme (http/https), the literal host, and — for names — what DNS answers now
 * (a name that does not resolve, or not within 2 s, is accepted: the connect-time check still applies).
 */
export async function publicUrlRefusal(url: string): Promise<string | undefined> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `not a valid URL: ${url}`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `only http and https URLs are allowed, not ${u.protocol}`;
  if (isPrivateHost(u.hostname)) return `${u.hostname} is a private, loopback or link-local address`;
  if (isIP(u.hostname.replace(/^\[|\]$/g, ''))) return undefined;
  const addresses = await new Promise<LookupAddress[]>((res) => {
    const timer = setTimeout(() => res([]), CHECK_DNS_MS);
    timer.unref();
    dnsLookup(u.hostname, { all: true }, (err, found) => {
      clearTimeout(timer);
      res(err ? [] : found);
    });
  });
  const bad = addresses.find((a) => isPrivateAddress(a.address));
  return bad ? `${u.hostname} resolves to ${bad.address}, a private, loopback or link-local address` : undefined;
}
