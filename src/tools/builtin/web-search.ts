/**
 * `web_search` builtin: only available when a search backend is configured in
 * `config/tools/web_search.toon` `config.backend_url` — a SearXNG instance with its JSON API enabled
 * (`GET {backend_url}/search?q=...&format=json`). Without one, the tool is listed as unavailable
 * with that reason instead of being offered to models.
 */
import type { ToolResult } from '../types.js';

/** Settings of web_search (tool entity `config`). */
export interface WebSearchConfig {
  backend_url?: string;
  /** Results returned (default 5, at most 20). */
  max_results?: number;
}

/** Why web_search is unavailable, or undefined when it can run. */
export function webSearchUnavailable(config: WebSearchConfig | undefined): string | undefined {
  if (!config?.backend_url) {
    return 'no search backend is configured: set config.backend_url in config/tools/web_search.toon to a SearXNG instance (JSON API enabled)';
  }
  try {
    new URL(config.backend_url);
    return undefined;
  } catch {
    return `config.backend_url of web_search is not a URL: ${config.backend_url}`;
  }
}

/** `web_search {query}` -> up to `max_results` results as JSON lines `{title, url, snippet}`. */
export async function webSearch(args: unknown, config: WebSearchConfig, signal: AbortSignal): Promise<ToolResult> {
  const query = (args as { query?: unknown } | null)?.query;
  if (typeof query !== 'string' || query.trim() === '') return { content: 'error: web_search needs {"query": "..."}', isError: true };
  const url = new URL('search', config.backend_url!.endsWith('/') ? config.backend_url : `${config.backend_url}/`);
  url.searchParams.set('q', query);
  url.searchParams.set('format', 'json');
  try {
    // Imported on first use (start-up cost, see http-fetch.ts).
    const { request } = await import('undici');
    const res = await request(url, { signal, headers: { accept: 'application/json' } });
    if (res.statusCode !== 200) {
      await res.body.dump();
      return { content: `error: the search backend answered HTTP ${res.statusCode}`, isError: true };
    }
    const body = (await res.body.json()) as { results?: { title?: string; url?: string; content?: string }[] };
    const n = Math.max(1, Math.min(20, config.max_results ?? 5));
    const results = (body.results ?? []).slice(0, n).map((r) => JSON.stringify({ title: r.title ?? '', url: r.url ?? '', snippet: r.content ?? '' }));
    return { content: results.length ? results.join('\n') : `no results for "${query}"` };
  } catch (err) {
    if (signal.aborted) throw err;
    return { content: `error: the search backend failed: ${(err as Error).message}`, isError: true };
  }
}
