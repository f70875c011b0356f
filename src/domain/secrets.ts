/**
 * Secret scrubbing by value: every string leaving the daemon (HTTP bodies, SSE and /v1 events,
 * execution rows, status, exports, log lines) is passed through one `SecretScrubber` that replaces
 * the VALUES of configured secrets with `[redacted]`, whatever they look like (no `sk-...` patterns).
 *
 * What counts as a secret (the daemon registers them, src/daemon/secrets.ts):
 * - provider API keys (`api_key`, or the env var named by `api_key_env`) and the JWT secret;
 * - MCP server `env` values (system and user tier) whose NAME matches `SECRET_NAME`
 *   (key, token, secret, passw..., authorization, credential, cookie), or whose raw value references a
 *   `${VAR}` with such a name;
 * - user-tier tool `config` values under keys matching `SECRET_NAME` (the keys the API hides from
 *   non-owners).
 * Values shorter than `MIN_SECRET_CHARS` are never scrubbed: replacing `true` or `8080` everywhere
 * would garble output without protecting anything.
 *
 * Cost: one precompiled RegExp (an alternation of the escaped values, longest first), rebuilt lazily on
 * the first `scrub` after the set changed; with no secrets `scrub` returns its input at once.
 */

/** Names (env var names, config keys) whose values are secrets. */
export const SECRET_NAME = /key|token|secret|passw|authorization|credential|cookie/i;

/** Shortest value (characters) treated as a secret. */
export const MIN_SECRET_CHARS = 8;

/** What a secret value is replaced with. */
export const REDACTED = '[redacted]';

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Secret values of an MCP server's `env`: entries whose name matches `SECRET_NAME` or whose raw value
 * references (`${VAR}`) a variable whose name does. `expanded` is `raw` with references resolved
 * (defaults to `raw`). Values shorter than `MIN_SECRET_CHARS` are left out.
 */
export function secretEnvValues(raw: Readonly<Record<string, string>>, expanded: Readonly<Record<string, string | undefined>> = raw): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(raw)) {
    const refs = [...value.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!);
    if (!SECRET_NAME.test(name) && !refs.some((r) => SECRET_NAME.test(r))) continue;
    const v = expanded[name];
    if (v !== undefined && v.length >= MIN_SECRET_CHARS) out.push(v);
  }
  return out;
}

/** String values under `SECRET_NAME` keys anywhere in `config` (nested objects and arrays included). */
export function secretConfigValues(config: unknown): string[] {
  const out: string[] = [];
  const all = (v: unknown): void => {
    if (typeof v === 'string') {
      if (v.length >= MIN_SECRET_CHARS) out.push(v);
    } else if (Array.isArray(v)) v.forEach(all);
    else if (v && typeof v === 'object') Object.values(v).forEach(all);
  };
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) (SECRET_NAME.test(k) ? all : walk)(x);
    }
  };
  walk(config);
  return out;
}

/**
 * The set of secret values, grouped by source (`providers`, `jwt`, `mcp`, `row:ID`, ...) so one
 * source can be replaced (or emptied) without touching the others.
 */
export class SecretScrubber {
  private readonly sources = new Map<string, readonly string[]>();
  private re: RegExp | undefined;
  private dirty = false;

  /** Start with `values` under source `initial` (e.g. one provider's own key). */
  constructor(values: Iterable<string | undefined> = []) {
    this.set('initial', values);
  }

  /** Replace the values of `source`; short and empty values are ignored. Marks the matcher stale only when something changed. */
  set(source: string, values: Iterable<string | undefined>): void {
    const next = [...new Set([...values].filter((v): v is string => typeof v === 'string' && v.length >= MIN_SECRET_CHARS))].sort();
    const prev = this.sources.get(source) ?? [];
    if (prev.length === next.length && prev.every((v, i) => v === next[i])) return;
    if (next.length) this.sources.set(source, next);
    else this.sources.delete(source);
    this.dirty = true;
  }

  /** True when there is nothing to scrub. */
  get empty(): boolean {
    return this.sources.size === 0;
  }

  /** `text` with every secret value replaced by `[redacted]`. */
  scrub = (text: string): string => {
    const re = this.matcher();
    return re && text.length >= MIN_SECRET_CHARS ? text.replace(re, REDACTED) : text;
  };

  /** The matcher for the current set: each value raw and as it appears inside a JSON string. */
  private matcher(): RegExp | undefined {
    if (!this.dirty) return this.re;
    this.dirty = false;
    const forms = new Set<string>();
    for (const values of this.sources.values()) {
      for (const v of values) {
        forms.add(v);
        forms.add(JSON.stringify(v).slice(1, -1));
      }
    }
    const sorted = [...forms].sort((a, b) => b.length - a.length);
    this.re = sorted.length ? new RegExp(sorted.map(escapeRe).join('|'), 'g') : undefined;
    return this.re;
  }
}

/** What layers outside the daemon receive: scrub a string, and know whether there is anything to scrub. */
export type Scrubber = Pick<SecretScrubber, 'scrub' | 'empty'>;
