/**
 * The builtin ToolSet: calculator, current_time, http_fetch, memory_get/memory_set/
 * memory_search/memory_store and web_search. Each tool's description, `timeout_secs`, `enabled` and `config` come
 * from its entity in `config/tools/NAME.toon` when there is one (hot-reloaded), else from the
 * defaults here. A disabled tool, and web_search without a backend, are listed as unavailable with
 * the reason. Definitions are rebuilt only when the config snapshot changes.
 */
import { BUILTIN_TOOL_NAMES, type BuiltinToolName } from '../../domain/builtin-tools.js';
import type { Tool } from '../../domain/entities.js';
import type { SemanticMemory } from '../../domain/memory-items.js';
import type { MemoryStore } from '../../store/types.js';
import type { ToolContext, ToolDefinition, ToolResult, ToolSetWithUnavailable, UnavailableTool } from '../types.js';
import { calculate } from './calculator.js';
import { currentTime } from './current-time.js';
import { httpFetch, type HttpFetchConfig } from './http-fetch.js';
import { memoryGet, memorySearch, memorySet, memoryStore } from './memory.js';
import { webSearch, webSearchUnavailable, type WebSearchConfig } from './web-search.js';

type Run = (args: unknown, ctx: ToolContext, config: Record<string, unknown>) => ToolResult | Promise<ToolResult>;

interface Builtin {
  description: string;
  timeoutSecs: number;
  parameters: Record<string, unknown>;
  run: Run;
}

const obj = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', properties, required, additionalProperties: false });

/** What each builtin is (description and JSON Schema shown to models) and does. */
function builtins(memory: MemoryStore, items: SemanticMemory | undefined): Record<BuiltinToolName, Builtin> {
  return {
    calculator: {
      description:
        'Evaluate an arithmetic expression: + - * / % ^, parentheses, n!, pi, e, and functions such as sqrt, round(x, digits), log(x, base), min, max.',
      timeoutSecs: 5,
      parameters: obj({ expression: { type: 'string', description: 'e.g. "49.99 * 3 * (1 - 0.15)"' } }, ['expression']),
      run: (args) => {
        const expression = (args as { expression?: unknown } | null)?.expression;
        if (typeof expression !== 'string') return { content: 'error: calculator needs {"expression": "..."}', isError: true };
        try {
          return { content: calculate(expression) };
        } catch (err) {
          return { content: `error: ${(err as Error).message}`, isError: true };
        }
      },
    },
    current_time: {
      description: 'The current date and time in UTC, and in an IANA time zone when one is given.',
      timeoutSecs: 5,
      parameters: obj({ timezone: { type: 'string', description: 'IANA time zone, e.g. "Europe/Berlin"' } }),
      run: (args) => currentTime(args),
    },
    http_fetch: {
      description: 'Fetch a web page or API response over HTTP(S) GET and return its status, content type and text.',
      timeoutSecs: 15,
      parameters: obj(
        { url: { type: 'string', description: 'http:// or https:// URL' }, headers: { type: 'object', additionalProperties: { type: 'string' } } },
        ['url'],
      ),
      run: (args, ctx, config) => httpFetch(args, config as HttpFetchConfig, ctx.signal),
    },
    memory_get: {
      description: 'Read a note you stored earlier under a key.',
      timeoutSecs: 5,
      parameters: obj({ key: { type: 'string' } }, ['key']),
      run: (args, ctx) => memoryGet(memory, args, ctx),
    },
    memory_set: {
      description: 'Store a note under a key (replaces what was there) so you can read it in later conversations.',
      timeoutSecs: 5,
      parameters: obj({ key: { type: 'string' }, value: { type: 'string' } }, ['key', 'value']),
      run: (args, ctx) => memorySet(memory, args, ctx),
    },
    memory_search: {
      description:
        'Find stored memories relevant to the query: memory items ranked by meaning ("semantic"), by words ("keyword") or both ("hybrid", the default), then notes whose key or text contains the query.',
      timeoutSecs: 10,
      parameters: obj(
        {
          query: { type: 'string' },
          k: { type: 'integer', minimum: 1, maximum: 20, description: 'results at most (default 20)' },
          mode: { type: 'string', enum: ['semantic', 'keyword', 'hybrid'] },
        },
        ['query'],
      ),
      run: (args, ctx) => memorySearch(memory, items, args, ctx),
    },
    memory_store: {
      description: 'Remember a fact or note for later conversations; memory_search finds it again by meaning or by words.',
      timeoutSecs: 10,
      parameters: obj({ text: { type: 'string' }, metadata: { type: 'object', description: 'optional JSON object stored with the text' } }, ['text']),
      run: (args, ctx) => (items ? memoryStore(items, args, ctx) : { content: 'error: memory items are not available in this daemon', isError: true }),
    },
    web_search: {
      description: 'Search the web and return the top results (title, url, snippet).',
      timeoutSecs: 30,
      parameters: obj({ query: { type: 'string' } }, ['query']),
      run: (args, ctx, config) => webSearch(args, config as WebSearchConfig, ctx.signal),
    },
  };
}

/** What the builtin set needs: the memory stores and the tool entities of the current config snapshot. */
export interface BuiltinToolsOptions {
  memory: MemoryStore;
  /** Memory items (semantic memory) behind `memory_store` and `memory_search`. */
  items?: SemanticMemory;
  /** Tool entities by name (the config snapshot's `tools`); read on every list, rebuilt only when it changes. */
  entities?: () => ReadonlyMap<string, { value: Tool }>;
}

/** Create the builtin ToolSet. */
export function createBuiltinTools(opts: BuiltinToolsOptions): ToolSetWithUnavailable {
  const table = builtins(opts.memory, opts.items);
  const empty: ReadonlyMap<string, { value: Tool }> = new Map();
  let cachedFor: ReadonlyMap<string, { value: Tool }> | undefined;
  let defs: ToolDefinition[] = [];
  let down: UnavailableTool[] = [];
  const configs = new Map<string, Record<string, unknown>>();

  const refresh = () => {
    const entities = opts.entities?.() ?? empty;
    if (entities === cachedFor) return;
    cachedFor = entities;
    defs = [];
    down = [];
    configs.clear();
    for (const name of BUILTIN_TOOL_NAMES) {
      const b = table[name];
      const entity = entities.get(name)?.value;
      if (entity && entity.type !== 'builtin') continue; // a user's own tool of that name, not ours
      if (entity && !entity.enabled) {
        down.push({ name, reason: `disabled (enabled = false in config/tools/${name})` });
        continue;
      }
      const config = entity?.config ?? {};
      if (name === 'web_search') {
        const why = webSearchUnavailable(config as WebSearchConfig);
        if (why) {
          down.push({ name, reason: why });
          continue;
        }
      }
      configs.set(name, config);
      defs.push({
        name,
        spec: { name, description: entity?.description ?? b.description, parameters: b.parameters },
        timeoutMs: Math.round((entity?.timeout_secs ?? b.timeoutSecs) * 1000),
      });
    }
    for (const [name, { value }] of entities) {
      if (value.type === 'builtin' && !(BUILTIN_TOOL_NAMES as readonly string[]).includes(name)) {
        down.push({
          name,
          reason: `config/tools/${name} says type = builtin, but there is no builtin tool named ${name} (builtins: ${BUILTIN_TOOL_NAMES.join(', ')})`,
        });
      }
    }
  };

  return {
    list() {
      refresh();
      return defs;
    },
    unavailable() {
      refresh();
      return down;
    },
    async call(name, args, ctx) {
      refresh();
      const config = configs.get(name);
      if (!config) return { content: `error: builtin tool ${name} is not available`, isError: true };
      return table[name as BuiltinToolName].run(args, ctx, config);
    },
  };
}
