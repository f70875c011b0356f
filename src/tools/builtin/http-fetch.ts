/**
 * `http_fetch` builtin: GET a URL with undici for the model, within limits set in
 * `config/tools/http_fetch.toon` `config`:
 *   allow_hosts   hosts it may fetch: `example.com`, `*.example.com` (subdomains and the domain), `*`
 *                 (any public host; the default when the list is absent)
 *   allow_private false (default): refuse loopback, private, link-local, CGNAT, multicast and other
 *                 non-public addresses — checked on the address actually connected to (after DNS,
 *                 on every redirect), so a public name resolving to 127.0.0.1 is refused too
 *   max_bytes     body bytes kept (default 1,000,000); the rest is cut with a note
 *   max_redirects redirects followed (default 3), each checked like the first URL
 * Time is bounded by the tool's `timeout_secs` through the call's AbortSignal. Only http and https.
 */
import type { Agent } from 'undici';
import { isPrivateHost, publicOnlyAgent, refusedIn } from '../net-policy.js';
import type { ToolResult } from '../types.js';

/** Settings of http_fetch (tool entity `config`). Sizes in bytes. */
export interface HttpFetchConfig {
  allow_hosts?: readonly string[];
  allow_private?: boolean;
  max_bytes?: number;
  max_redirects?: number;
}

/** True when `host` matches one of `patterns` (`*`, `example.com`, `*.example.com`). */
export function hostAllowed(host: string, patterns: readonly string[] | undefined): boolean {
  if (!patterns) return true;
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return patterns.some((p) => {
    const q = p.toLowerCase();
    if (q === '*') return true;
    if (q.startsWith('*.')) return h === q.slice(2) || h.endsWith(q.slice(1));
    return h === q;
  });
}

// undici is imported on first use: loading it costs ~100 ms of daemon start-up (the daemon preloads it once ready).
let anyAgent: Agent | undefined;
const agentFor = (undici: typeof import('undici'), allowPrivate: boolean): Agent =>
  allowPrivate ? (anyAgent ??= new undici.Agent({ connections: 16 })) : publicOnlyAgent(undici);

const TEXTUAL = /^(text\/|application\/(json|xml|xhtml\+xml|javascript|ld\+json|rss\+xml|atom\+xml)|[^;]*\+json|[^;]*\+xml)/i;

const fail = (content: string): ToolResult => ({ content: `error: ${content}`, isError: true });

/**
 * `http_fetch {url, headers?}` -> `HTTP STATUS`, the content type and the body as text (cut at
 * `max_bytes`). Refusals (scheme, host, address) and network errors are error results.
 */
export async function httpFetch(args: unknown, config: HttpFetchConfig, signal: AbortSignal): Promise<ToolResult> {
  const a = (args ?? {}) as { url?: unknown; headers?: unknown };
  if (typeof a.url !== 'string') return fail('http_fetch needs {"url": "https://..."}');
  const maxBytes = config.max_bytes ?? 1_000_000;
  const maxRedirects = config.max_redirects ?? 3;
  const allowPrivate = config.allow_private === true;
  const headers: Record<string, string> = { 'user-agent': 'caxton-http-fetch/1', accept: 'text/html,application/json,text/plain;q=0.9,*/*;q=0.5' };
  if (a.headers && typeof a.headers === 'object') {
    for (const [k, v] of Object.entries(a.headers as Record<string, unknown>)) {
      if (typeof v === 'string' && !/^(host|cookie|authorization|proxy-authorization)$/i.test(k)) headers[k.toLowerCase()] = v;
    }
  }

  let url: URL;
  try {
    url = new URL(a.url);
  } catch {
    return fail(`not a valid URL: ${a.url}`);
  }
  for (let hop = 0; ; hop++) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return fail(`only http and https URLs can be fetched, not ${url.protocol}`);
    if (!hostAllowed(url.hostname, config.allow_hosts)) {
      return fail(`host ${url.hostname} is not in http_fetch's allow_hosts (config/tools/http_fetch.toon)`);
    }
    if (!allowPrivate && isPrivateHost(url.hostname)) {
      return fail(`${url.hostname} is a private or loopback address; set allow_private = true in http_fetch's config to allow it`);
    }
    const undici = await import('undici');
    let res: Awaited<ReturnType<typeof undici.request>>;
    try {
      res = await undici.request(url, { method: 'GET', headers, signal, dispatcher: agentFor(undici, allowPrivate) });
    } catch (err) {
      if (signal.aborted) throw err;
      const refused = refusedIn(err);
      if (refused) return fail(`${refused.message}; set allow_private = true in http_fetch's config to allow it`);
      return fail(`cannot fetch ${url.href}: ${(err as Error).message}${(err as { code?: string }).code ? ` (${(err as { code?: string }).code})` : ''}`);
    }
    const location = res.headers.location;
    if (res.statusCode >= 300 && res.statusCode < 400 && typeof location === 'string') {
      await res.body.dump();
      if (hop >= maxRedirects) return fail(`too many redirects (more than ${maxRedirects})`);
      url = new URL(location, url);
      continue;
    }
    const type = String(res.headers['content-type'] ?? 'application/octet-stream');
    const chunks: Buffer[] = [];
    let size = 0;
    let cut = false;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      const room = maxBytes - size;
      if (chunk.length >= room) {
        if (room > 0) chunks.push(chunk.subarray(0, room));
        size = maxBytes;
        cut = true;
        break;
      }
      chunks.push(chunk);
      size += chunk.length;
    }
    if (cut) res.body.destroy();
    const head = `HTTP ${res.statusCode}\ncontent-type: ${type}\nurl: ${url.href}\n\n`;
    if (!TEXTUAL.test(type)) {
      return { content: `${head}[binary content not shown: ${type}${cut ? `, more than ${maxBytes}` : `, ${size}`} bytes]`, isError: res.statusCode >= 400 };
    }
    const body = Buffer.concat(chunks).toString('utf8');
    return { content: `${head}${body}${cut ? `\n[truncated at ${maxBytes} bytes]` : ''}`, isError: res.statusCode >= 400 };
  }
}
