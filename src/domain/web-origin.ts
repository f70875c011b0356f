/**
 * `Host` and `Origin` values as the browser boundary reads them (SPEC §6 "Web pages are not clients"):
 * shared by the `[server]` keys of ares.toml (validation) and the API's guards (src/api/boundary.ts).
 */

/** A parsed `Host` value: hostname lowercase (IPv6 in brackets), port '' when absent or 80. */
export interface HostParts {
  hostname: string;
  port: string;
}

/** Parse a `Host` value (`name`, `name:port`, `[v6]:port`); undefined when malformed. */
export function parseHost(value: string): HostParts | undefined {
  if (!value || /[\s/?#@\\]/.test(value)) return undefined;
  try {
    const url = new URL(`http://${value}`);
    return { hostname: url.hostname, port: url.port };
  } catch {
    return undefined;
  }
}

/** True when `value` is a well-formed `Host` value (for `[server] allowed_hosts`). */
export function isHostPattern(value: string): boolean {
  return parseHost(value) !== undefined;
}

/** True for names and addresses only this machine can reach: `localhost`, 127.0.0.0/8, `[::1]`. */
export function isLoopbackName(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** `scheme://host[:port]` of an http(s) origin, or undefined for anything else (`null`, `file://`, garbage). */
export function normalizeOrigin(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}
