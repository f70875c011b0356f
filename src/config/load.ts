/**
 * Load a `config/` tree (SPEC §2, §3): read -> parse + normalize/lint + validate each file (`parseEntity`
 * of codec.ts, the same path as one-entity imports) -> duplicates -> check references -> snapshot. All diagnostics are
 * collected in one pass; an entity with an error is left out of the snapshot, the others load.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ENTITY_KINDS, type Agent, type EntityKind } from '../domain/entities.js';
import { checkAgentReferences, type ReferenceScope } from '../domain/references.js';
import { didYouMean } from '../domain/suggest.js';
import { parseToolRef } from '../domain/tool-refs.js';
import { parseEntity } from './codec.js';
import { locateKey, type Diagnostic, type SourceFormat } from './diagnostics.js';
import { formatOfFile, readerForFormat } from './formats/index.js';
import type { ConfigSnapshot, Loaded } from './snapshot.js';
import { readEntityText } from './text.js';

/** What the loader needs from ares.toml to check references. */
export interface LoadOptions {
  /** Provider names of `[providers.*]`; a model naming another provider gets E_REFERENCE. */
  providers: readonly string[];
  /** `[defaults] model`, used by agents that name none. */
  defaultModel: string;
  /** Names of built-in tools that need no file in `config/tools`. */
  builtinTools?: readonly string[];
  /** Shown in diagnostics instead of absolute paths (default: the config dir's parent). */
  displayRoot?: string;
}

/** A file whose entity loaded, kept so cross-file diagnostics can be located in its text. */
interface Parsed {
  kind: EntityKind;
  file: string;
  text: string;
  format: SourceFormat;
}

/** README.md notes, scenario files (`NAME.test.toml`, src/config/scenario.ts) and their cassettes, kept beside entities. */
const NOT_ENTITIES = /^readme\.md$|\.test\.(toml|toon|json)$|\.cassette\.json$/i;

/** Entity files of one kind dir, sorted; dotfiles (editor swap files), notes, scenarios and cassettes are not entities. */
export function listEntityFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isFile() && !d.name.startsWith('.') && !NOT_ENTITIES.test(d.name) && formatOfFile(d.name) !== undefined)
      .map((d) => join(dir, d.name))
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/**
 * Load every entity file under `configDir/{agents,models,tools,workflows,mcps}`.
 * Never throws for bad content (that becomes diagnostics); throws only for I/O errors other than ENOENT.
 */
export function loadConfigTree(configDir: string, opts: LoadOptions): ConfigSnapshot {
  const root = opts.displayRoot ?? join(configDir, '..');
  const diagnostics: Diagnostic[] = [];
  const maps = Object.fromEntries(ENTITY_KINDS.map((k) => [k, new Map<string, Loaded<unknown>>()])) as Record<
    EntityKind,
    Map<string, Loaded<unknown>>
  >;
  const parsed: Parsed[] = [];

  for (const kind of ENTITY_KINDS) {
    for (const path of listEntityFiles(join(configDir, kind))) {
      const file = relative(root, path) || path;
      const format = formatOfFile(path)!;
      const read = readEntityText(path, file);
      if (read.diagnostic) {
        diagnostics.push(read.diagnostic);
        continue;
      }
      const text = read.text;
      const result = parseEntity(kind, text, format, file);
      diagnostics.push(...result.diagnostics);
      if (!result.value) continue;
      const p: Parsed = { kind, file, text, format: readerForFormat(format).format };
      const entity = result.value as { name: string };
      const existing = maps[kind].get(entity.name);
      if (existing) {
        diagnostics.push({
          code: 'E_DUPLICATE',
          file,
          ...locateKey(text, ['name'], p.format),
          field: 'name',
          message: `${kind.slice(0, -1)} \`${entity.name}\` is already defined in ${existing.file}`,
          hint: 'names are unique per kind: rename one of them or delete the copy',
        });
        continue;
      }
      parsed.push(p);
      maps[kind].set(entity.name, { value: entity, file });
    }
  }

  checkReferences(maps, parsed, opts, diagnostics);

  return {
    agents: maps.agents,
    models: maps.models,
    tools: maps.tools,
    workflows: maps.workflows,
    mcps: maps.mcps,
    diagnostics,
    loadedAt: Date.now(),
  } as ConfigSnapshot;
}

/** What config-file agents may refer to: the tree's models, tools (and the builtins) and MCP servers. */
function fileScope(maps: Record<EntityKind, Map<string, Loaded<unknown>>>, builtinTools: readonly string[]): ReferenceScope {
  const builtin = new Set(builtinTools);
  const hints = {
    model: 'define it in config/models/ or pick an existing model',
    tool: 'define it in config/tools/',
    server: 'define it in config/mcps/',
    agent: 'define it in config/agents/',
    qualified: 'agents in config/ name tools by bare name (`calculator`) and MCP tools as `server.tool` or `server.*`',
  };
  return {
    models: maps.models,
    tools: { has: (n) => maps.tools.has(n) || builtin.has(n), keys: () => [...maps.tools.keys(), ...builtin] },
    servers: maps.mcps,
    agents: maps.agents,
    hint: (kind) => hints[kind],
  };
}

/** E_REFERENCE: models naming an undefined provider, agents with broken references, workflows naming missing agents. Each is dropped. */
function checkReferences(
  maps: Record<EntityKind, Map<string, Loaded<unknown>>>,
  parsed: Parsed[],
  opts: LoadOptions,
  out: Diagnostic[],
): void {
  const textOf = new Map(parsed.map((p) => [p.file, p]));
  const locate = (file: string, path: ReadonlyArray<string | number>) => {
    const p = textOf.get(file);
    return p ? locateKey(p.text, path, p.format) : { line: 1, col: 1 };
  };
  const ref = (file: string, path: [string], message: string, name: string, candidates: Iterable<string>, kindHint: string) => {
    const guess = didYouMean(name, candidates);
    out.push({ code: 'E_REFERENCE', file, ...locate(file, path), field: path.join('.'), message, hint: guess ? `did you mean \`${guess}\`?` : kindHint });
  };

  reportUnused(maps, textOf, opts, out);

  const providers = new Set(opts.providers);
  for (const [name, m] of [...maps.models]) {
    const model = m.value as { provider: string };
    if (!providers.has(model.provider)) {
      ref(m.file, ['provider'], `model \`${name}\` uses provider \`${model.provider}\`, which ares.toml does not define`, model.provider, providers, `add [providers.${model.provider}] to ares.toml`);
      maps.models.delete(name);
    }
  }
  const scope = fileScope(maps, opts.builtinTools ?? []);
  for (const [name, a] of [...maps.agents]) {
    const agent = a.value as Agent;
    const problems = checkAgentReferences(agent, opts.defaultModel, scope);
    for (const problem of problems) {
      // An agent that names no model is located at its name (the `[defaults] model` it uses is elsewhere).
      const at = problem.path[0] === 'model' && !agent.model ? ['name'] : problem.path;
      out.push({ code: 'E_REFERENCE', file: a.file, ...locate(a.file, at), field: problem.path.join('.'), message: problem.message, hint: problem.hint });
    }
    if (problems.length > 0) maps.agents.delete(name);
  }
  for (const [name, w] of [...maps.workflows]) {
    const wf = w.value as { entry_agent: string; fallback_agent?: string };
    for (const field of ['entry_agent', 'fallback_agent'] as const) {
      const agent = wf[field];
      if (agent && !maps.agents.has(agent)) {
        ref(w.file, [field], `workflow \`${name}\` uses agent \`${agent}\`, which is not defined`, agent, maps.agents.keys(), 'define it in config/agents/');
        maps.workflows.delete(name);
      }
    }
  }
}

/**
 * W_UNUSED (SPEC §3): a model, tool or MCP server that loaded but that no loaded agent references, located
 * at the entity's `name` key. The `[defaults] model` of ares.toml counts as used. Agents are counted before
 * reference checks remove any, so one bad reference does not also make its model look unused. Warnings
 * only: user-tier agents in SQLite may still use these entities.
 */
function reportUnused(
  maps: Record<EntityKind, Map<string, Loaded<unknown>>>,
  textOf: Map<string, Parsed>,
  opts: LoadOptions,
  out: Diagnostic[],
): void {
  const models = new Set([opts.defaultModel]);
  const tools = new Set<string>();
  const servers = new Set<string>();
  for (const a of maps.agents.values()) {
    const agent = a.value as { model?: string; tools: string[] };
    if (agent.model) models.add(agent.model);
    for (const ref of agent.tools) {
      const { server, tool } = parseToolRef(ref);
      if (server !== undefined) servers.add(server);
      else tools.add(tool);
    }
  }
  const check = (kind: 'models' | 'tools' | 'mcps', used: Set<string>, what: string, hint: string) => {
    for (const [name, e] of maps[kind]) {
      if (used.has(name)) continue;
      const p = textOf.get(e.file);
      out.push({
        code: 'W_UNUSED',
        file: e.file,
        ...(p ? locateKey(p.text, ['name'], p.format) : { line: 1, col: 1 }),
        field: 'name',
        message: `${what} \`${name}\` is defined but no agent uses it`,
        hint,
      });
    }
  };
  check('models', models, 'model', 'name it in an agent\'s `model`, make it `[defaults] model` in ares.toml, or delete the file');
  check('tools', tools, 'tool', 'add it to an agent\'s `tools`, or delete the file');
  check('mcps', servers, 'MCP server', 'add `SERVER.*` or `SERVER.TOOL` to an agent\'s `tools`, or delete the file');
}
