/**
 * Schema documentation generated from the zod schemas the loader validates with (SPEC §3), so the docs
 * cannot drift from the validator: `caxton schema --format json` (JSON Schema 2020-12 via `z.toJSONSchema`,
 * input side: defaulted fields are optional) and `--format markdown`, which is also
 * `docs/config-reference.md` (regenerate with `npm run docs`; a test fails when the committed file is stale).
 * Field descriptions live here; a test checks every schema field has one.
 */
import { z } from 'zod';
import { ENTITY_KINDS, ENTITY_SCHEMAS, type EntityKind } from '../domain/entities.js';
import { writeEntity } from './codec.js';

/** One-line description of every field, per kind (dot paths for nested entity objects). */
export const FIELD_DOCS: Record<EntityKind, Record<string, string>> = {
  agents: {
    name: 'Unique agent name; what `agent test NAME` and the API use.',
    system_prompt: 'Instructions sent as the system message of every run.',
    model: 'Model alias (a file in `config/models/`); default: `[defaults] model` of ares.toml.',
    display_name: 'Human-friendly name for lists and the dashboard.',
    description: 'One sentence on what the agent is for.',
    version: 'Semantic version of this definition, e.g. `1.0.0`.',
    tools: 'Tools the agent may call: tool names from `config/tools/`, or `SERVER.TOOL` / `SERVER.*` for MCP servers.',
    capabilities: 'Free-form tags used for routing and search.',
    max_tool_iterations: 'Upper bound on model -> tool -> model rounds in one run.',
    max_run_seconds: 'Longest one run may take once admitted (seconds); it then ends with finish_reason `timeout`. Default: `[runtime] max_run_seconds`.',
    max_tokens_per_run: 'Tokens (input + output, all model calls) after which a run asks for no more tools (finish_reason `length`). Default: `[runtime] max_tokens_per_run`.',
    max_tool_calls_per_run: 'Tool calls one run may make; more end it with finish_reason `max_iterations`. Default: `[runtime] max_tool_calls_per_run`.',
    parallel_tools: 'Run several tool calls of one model turn concurrently.',
    approval:
      'Tools whose calls wait for a person\'s approval: names or globs (`*`, `?`) such as `http_fetch`, `filesystem.write_*`, `agent:*`. The run pauses with finish_reason `awaiting_approval` until `caxton run approve|reject ID` (docs/patterns.md, approval gate).',
    approval_timeout_secs: 'Seconds a call waits for approval before it is rejected by `system` (default 3600).',
    agents:
      'Sub-agents offered as tools: an agent name becomes the tool `agent__NAME` (its description is the agent\'s), `capability:TAG` the tool `capability__TAG` (routed to a running agent offering TAG). The sub-agent runs as a child run with its own tools and model; its final reply is the tool result.',
    parallel_subagents: 'Run several sub-agent calls of one model turn at once (default false: one at a time).',
    user_prompt_template:
      'Template for the user message: `{{message}}`, `{{parameters.X}}`, `{{memory_context}}`, `{{agent.name}}`.',
    parameters: 'Agent settings available to the template as `{{parameters.X}}`.',
    memory: 'Memory tools for this agent.',
    'memory.enabled': 'Give the agent memory tools.',
    'memory.scope': "Who shares the memory keys: this agent (per user), one conversation, one user, or global (everyone for system agents, the owner's agents for user-tier agents). Another user's agent run by you is always confined to you and that agent.",
    'memory.recall':
      'Memory items recalled per message (0-50, default 0 = none): the most relevant items of the agent\'s scope for the incoming message go into `{{memory_context}}`, or into the system prompt when the template does not use it (docs/memory.md).',
    'memory.auto_store': 'Store each finished exchange (the message and the reply) as a memory item of the agent\'s scope (default false).',
    'memory.summarize':
      'When a stored conversation\'s history no longer fits the model\'s context, replace the turns trimmed away by one summary made by the agent\'s model, stored with the conversation and re-made only when more turns drop out (default false; docs/memory.md).',
    budget: "This agent's budget over all its users, per UTC day and month; a model call that would pass it is refused before it is made.",
    'budget.usd_per_day': 'Most USD this agent may spend per UTC day (at its models\' prices).',
    'budget.usd_per_month': 'Most USD this agent may spend per UTC month.',
    'budget.tokens_per_day': 'Most tokens (input + output) this agent may use per UTC day.',
    'budget.tokens_per_month': 'Most tokens (input + output) this agent may use per UTC month.',
    conversation_visibility:
      'What the agent sees of a shared conversation: `all` (default) every message; `addressed` only messages addressed to it or to `all`, and its own.',
    documentation: 'Notes for humans (the body of a migrated Markdown agent); never sent to the model.',
    extra: 'Namespaced data this version does not interpret; kept on import and export instead of rejected.',
  },
  models: {
    name: 'Alias that agents name in `model`.',
    provider: 'A `[providers.NAME]` table of ares.toml.',
    model: 'Model id as the provider knows it, e.g. `gpt-4o-mini` or `llama3.2:3b`.',
    temperature: 'Sampling temperature.',
    max_tokens: 'Upper bound on tokens generated per model call (sent as `max_completion_tokens` to `type = "openai"` providers). A `/v1/chat/completions` request\'s own `max_completion_tokens`/`max_tokens` wins for that request.',
    top_p: 'Nucleus sampling probability mass.',
    frequency_penalty: 'Penalty for tokens by how often they already appeared.',
    presence_penalty: 'Penalty for tokens that already appeared at all.',
    input_cost_per_mtok: 'USD per million input tokens, for cost reports and USD budgets.',
    output_cost_per_mtok: 'USD per million output tokens, for cost reports and USD budgets.',
  },
  tools: {
    name: 'Tool name that agents list in `tools`.',
    enabled: 'Disabled tools are not offered to any agent.',
    description: 'What the tool does; shown to the model.',
    timeout_secs: 'Seconds one call may take before it fails with a timeout.',
    type: '`builtin` (shipped with the daemon), `mcp` or `http`.',
    parameters: 'JSON Schema of the call arguments.',
    config: 'Tool-specific settings.',
  },
  workflows: {
    name: 'Workflow name.',
    entry_agent: 'Agent that receives the request first.',
    fallback_agent: 'Agent used when routing finds no match.',
    max_depth: 'Deepest chain of agents handing work to agents.',
    max_iterations: 'Upper bound on routing steps per request.',
    parallel_subagents:
      "`true`: each agent run of the workflow runs the sub-agent calls of one model turn at once, whatever the agent's own `parallel_subagents`; `false` (default): each agent's own setting holds.",
  },
  mcps: {
    name: 'Server name; agents reach its tools as `NAME.TOOL` or `NAME.*`.',
    enabled: 'Disabled servers are not started.',
    command: 'Executable of a stdio server (set this or `url`).',
    args: 'Arguments for `command`.',
    env: 'Extra environment variables for `command`.',
    url: 'Streamable HTTP endpoint (set this or `command`).',
    timeout_secs: 'Seconds one tool call may take.',
    tools: 'Allowlist of the server tools agents may use (default: all).',
    memory_mb: 'Stdio servers: MiB of private writable memory (RLIMIT_DATA, set with prlimit); a server past it is marked failed ("exceeded memory_mb=N") and restarted with backoff. Default: `[mcp] default_memory_mb` of ares.toml, else none; a non-admin user\'s server may only lower that default.',
    cpu_secs: 'Stdio servers: CPU seconds (user + system, RLIMIT_CPU) the process may use; past it the server is marked failed ("exceeded cpu_secs=N") and restarted with backoff. Default: none.',
  },
};

const KIND_TITLES: Record<EntityKind, string> = {
  agents: 'Agent',
  models: 'Model',
  tools: 'Tool',
  workflows: 'Workflow',
  mcps: 'MCP server',
};

const KIND_NOTES: Record<EntityKind, string> = {
  agents: 'A system prompt, a model and the tools it may use.',
  models: 'Which provider serves a model alias, and with which sampling settings.',
  tools: 'A tool that agents may call.',
  workflows: 'Multi-agent routing from an entry agent.',
  mcps: 'An MCP server whose tools agents may use. Set exactly one of `command` (stdio) or `url` (Streamable HTTP).',
};

/** A small valid example per kind, written by the codec (so it is canonical by construction). */
const EXAMPLES: { [K in EntityKind]: unknown } = {
  agents: {
    name: 'helper',
    system_prompt: 'You answer questions about our product.\nKeep answers short.',
    model: 'balanced',
    tools: ['calculator'],
  },
  models: { name: 'balanced', provider: 'openai', model: 'gpt-4o-mini', temperature: 0.7, max_tokens: 1024 },
  tools: { name: 'calculator', description: 'Evaluates arithmetic expressions', timeout_secs: 5 },
  workflows: { name: 'default', entry_agent: 'router', fallback_agent: 'orchestrator' },
  mcps: { name: 'filesystem', command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'] },
};

type JsonSchema = {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  default?: unknown;
  description?: string;
};

/** JSON Schema (2020-12, input side) of one kind, with the field descriptions of FIELD_DOCS. */
export function entityJsonSchema(kind: EntityKind): Record<string, unknown> {
  const schema = z.toJSONSchema(ENTITY_SCHEMAS[kind], { io: 'input' }) as JsonSchema & Record<string, unknown>;
  const describe = (props: Record<string, JsonSchema> | undefined, prefix: string) => {
    for (const [key, prop] of Object.entries(props ?? {})) {
      const doc = FIELD_DOCS[kind][`${prefix}${key}`];
      if (doc) prop.description = doc;
      describe(prop.properties, `${prefix}${key}.`);
    }
  };
  describe(schema.properties, '');
  return { title: KIND_TITLES[kind], description: KIND_NOTES[kind], ...schema };
}

/** `{agents: <JSON Schema>, models: ..., ...}`, or one kind's schema. */
export function schemaJson(kind?: EntityKind): Record<string, unknown> {
  if (kind) return entityJsonSchema(kind);
  return Object.fromEntries(ENTITY_KINDS.map((k) => [k, entityJsonSchema(k)]));
}

const NAME_RE = '^[A-Za-z][A-Za-z0-9_-]{0,63}$';

function typeOf(p: JsonSchema): string {
  if (p.enum) return p.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' or ');
  switch (p.type) {
    case 'string':
      if (p.pattern === NAME_RE) return 'name';
      if (p.format === 'uri') return 'URL';
      if (p.pattern?.startsWith('^\\d+\\.\\d+\\.\\d+')) return 'semantic version';
      if (p.pattern) return `string matching \`${p.pattern}\``;
      return p.minLength ? 'non-empty string' : 'string';
    case 'integer':
    case 'number': {
      const lo = p.minimum !== undefined ? `${p.minimum}` : p.exclusiveMinimum !== undefined ? `> ${p.exclusiveMinimum}` : undefined;
      const range = lo && p.maximum !== undefined && !lo.startsWith('>') ? `${lo}–${p.maximum}` : [lo && (lo.startsWith('>') ? lo : `≥ ${lo}`), p.maximum !== undefined ? `≤ ${p.maximum}` : undefined].filter(Boolean).join(', ');
      return range ? `${p.type} (${range})` : p.type;
    }
    case 'boolean':
      return 'boolean';
    case 'array':
      return `array of ${p.items ? plural(typeOf(p.items)) : 'values'}`;
    case 'object':
      if (p.properties) return 'table';
      if (p.additionalProperties && typeof p.additionalProperties === 'object' && p.additionalProperties.type) {
        return `table of ${p.additionalProperties.type}s`;
      }
      return 'table (any keys)';
    default:
      return p.type ?? 'any';
  }
}

const plural = (t: string) => (/(string|name|URL|integer|number|boolean)$/.test(t) ? `${t}s` : t);

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function fieldRows(props: Record<string, JsonSchema>, required: string[], prefix: string): string[] {
  const rows: string[] = [];
  for (const [key, p] of Object.entries(props)) {
    const def = p.default === undefined ? '' : `\`${JSON.stringify(p.default)}\``;
    rows.push(`| \`${prefix}${key}\` | ${cell(typeOf(p))} | ${required.includes(key) ? 'yes' : ''} | ${cell(def)} | ${cell(p.description ?? '')} |`);
    if (p.properties) rows.push(...fieldRows(p.properties, p.required ?? [], `${prefix}${key}.`));
  }
  return rows;
}

/** Markdown reference of one kind: fields table plus canonical TOON and TOML examples. */
function kindMarkdown(kind: EntityKind): string {
  const schema = entityJsonSchema(kind) as JsonSchema;
  const example = ENTITY_SCHEMAS[kind].parse(EXAMPLES[kind]);
  return [
    `## ${KIND_TITLES[kind]} (\`config/${kind}/\`)`,
    '',
    KIND_NOTES[kind],
    '',
    '| Field | Type | Required | Default | Description |',
    '|---|---|---|---|---|',
    ...fieldRows(schema.properties ?? {}, schema.required ?? [], ''),
    '',
    'Example in canonical TOON and TOML (as the export writes them):',
    '',
    '```toon',
    writeEntity(kind, example as never, 'toon').trimEnd(),
    '```',
    '',
    '```toml',
    writeEntity(kind, example as never, 'toml').trimEnd(),
    '```',
    '',
  ].join('\n');
}

/** The whole Markdown reference (`docs/config-reference.md`), or one kind's section. */
export function schemaMarkdown(kind?: EntityKind): string {
  const kinds = kind ? [kind] : ENTITY_KINDS;
  const head = kind
    ? []
    : [
        '# Config reference',
        '',
        '<!-- Generated from src/domain/entities.ts by `caxton schema --format markdown`. Do not edit by hand:',
        '     run `npm run docs` to regenerate. -->',
        '',
        'One entity per file under `config/{agents,models,tools,workflows,mcps}/` of the home, in TOON (`.toon`),',
        'TOML (`.toml`), JSON (`.json`) or legacy Markdown with YAML frontmatter (`.md`, read with a `W_DEPRECATED`',
        'warning; `caxton migrate` converts it). Files reload on save. Names match `' + NAME_RE + '`',
        'and are unique per kind. Unknown fields are errors (with a did-you-mean) except under `extra`.',
        'Check files with `caxton validate PATH...`; diagnostics look like `FILE:LINE:COL: CODE message` with a `hint:`.',
        '',
        'Codes: `E_SYNTAX`, `E_MISSING_FIELD`, `E_UNKNOWN_FIELD`, `E_TYPE`, `E_VALUE`, `E_REFERENCE`, `E_DUPLICATE`',
        '(errors: the entity is not loaded) and `W_DEPRECATED`, `W_UNUSED` (warnings).',
        '',
      ];
  return `${[...head, ...kinds.map(kindMarkdown)].join('\n').trimEnd()}\n`;
}
