/**
 * Entity schemas (SPEC §3): Agent, Model, Tool, MCP server, Workflow. One validated in-memory type per
 * entity whatever the source format (TOON, TOML, JSON, Markdown+YAML); the TypeScript types are
 * inferred from these zod schemas so the two can never drift. Unknown keys are rejected (strict
 * objects) except under `extra`, which keeps namespaced data that this version does not understand.
 */
import { APPROVAL_PATTERN } from './approvals.js';
import { z } from 'zod';
import { BudgetLimitsSchema } from './budgets.js';
import { MEMORY_SCOPES } from './memory-scope.js';
import { NAME_PATTERN } from './names.js';

/** An entity name (SPEC §3). */
export const NameSchema = z.string().regex(NAME_PATTERN, 'must start with a letter and contain only letters, digits, "_" or "-" (at most 64 characters)');

/** A reference to another entity by name; MCP tools may be written `server.tool` or `server.*` (SPEC §7). */
export const ReferenceSchema = z.string().min(1);

/** An `agents[]` entry: an agent name, or `capability:TAG` with TAG a name too (both make OpenAI function names). */
const SUB_AGENT_PATTERN = /^(?:capability:)?[A-Za-z][A-Za-z0-9_-]{0,63}$/;

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/**
 * Memory settings of an agent (SPEC §3 `memory`; docs/memory.md): whether memory tools are available,
 * how entries and items are scoped, `recall` (the N memory items most relevant to each incoming
 * message go into `{{memory_context}}`, or into the system prompt when the template does not use it;
 * 0 = none), `auto_store` (each finished exchange is stored as a memory item) and `summarize` (the
 * turns a stored conversation's history drops to fit the context budget are replaced by a summary
 * made by the agent's model, src/runtime/summary.ts).
 */
export const MemorySchema = z
  .object({
    enabled: z.boolean().default(false),
    scope: z.enum(MEMORY_SCOPES).default('agent'),
    recall: z.number().int().min(0).max(50).optional(),
    auto_store: z.boolean().optional(),
    summarize: z.boolean().optional(),
  })
  .strict();

/** Agent (union of DIR-12 `AgentConfig` and ADR-0032's TOML agent). */
export const AgentSchema = z
  .object({
    name: NameSchema,
    system_prompt: z.string().min(1, 'must not be empty'),
    /** Model alias; when absent the `[defaults] model` of ares.toml is used. */
    model: NameSchema.optional(),
    display_name: z.string().optional(),
    description: z.string().optional(),
    version: z.string().regex(SEMVER, 'must be a semantic version such as "1.0.0"').optional(),
    tools: z.array(ReferenceSchema).default([]),
    capabilities: z.array(z.string().min(1)).default([]),
    /**
     * Sub-agents offered to the model as tools (src/runtime/sub-agents.ts): an agent name becomes
     * `agent__NAME`, `capability:TAG` becomes `capability__TAG` (routed to an agent offering TAG).
     */
    agents: z.array(z.string().regex(SUB_AGENT_PATTERN, 'must be an agent name or `capability:TAG` (letters, digits, "_" or "-")')).optional(),
    /** Run several sub-agent calls of one model turn at once; else (absent or false) one at a time. */
    parallel_subagents: z.boolean().optional(),
    max_tool_iterations: z.number().int().min(1).max(100).default(10),
    /** Longest a run may take once admitted (seconds); it then ends with `finish_reason: "timeout"`. Default: `[runtime] max_run_seconds`. */
    max_run_seconds: z.number().positive().max(86_400).optional(),
    /** Tokens (input + output, every model call) after which a run asks for no more tools and ends with `length`. Default: `[runtime] max_tokens_per_run`. */
    max_tokens_per_run: z.number().int().positive().optional(),
    /** Tool calls one run may make; more end it with `max_iterations`. Default: `[runtime] max_tool_calls_per_run`. */
    max_tool_calls_per_run: z.number().int().positive().optional(),
    parallel_tools: z.boolean().default(false),
    /**
     * Tools whose calls wait for a person's approval (src/domain/approvals.ts): names or globs such as
     * `http_fetch`, `filesystem.write_*`, `agent:*`. The run pauses as `awaiting_approval`.
     */
    approval: z
      .array(z.string().regex(APPROVAL_PATTERN, 'must be a tool name or glob: letters, digits, _ . : - and the wildcards * and ?, e.g. "filesystem.write_*"'))
      .optional(),
    /** Seconds a call may wait for approval before it is rejected by `system` (default 3600). */
    approval_timeout_secs: z.number().int().min(1).max(2_592_000).optional(),
    user_prompt_template: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).default({}),
    memory: MemorySchema.optional(),
    /** USD and token budgets of this agent per UTC day and month, over all its users (src/domain/budgets.ts). */
    budget: BudgetLimitsSchema.optional(),
    /**
     * What the agent sees of a shared conversation (STORY-032): `all` (default) every message;
     * `addressed` only messages addressed to it or to `all`, and its own.
     */
    conversation_visibility: z.enum(['all', 'addressed']).optional(),
    documentation: z.string().optional(),
    extra: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/** Model alias: which provider serves it and with which sampling settings. Costs are USD per million tokens. */
export const ModelSchema = z
  .object({
    name: NameSchema,
    provider: NameSchema,
    model: z.string().min(1),
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z.number().int().positive().optional(),
    top_p: z.number().min(0).max(1).optional(),
    frequency_penalty: z.number().min(-2).max(2).optional(),
    presence_penalty: z.number().min(-2).max(2).optional(),
    input_cost_per_mtok: z.number().min(0).optional(),
    output_cost_per_mtok: z.number().min(0).optional(),
  })
  .strict();

/** Tool definition. `timeout_secs` bounds one call (seconds). `parameters` is a JSON Schema object. */
export const ToolSchema = z
  .object({
    name: NameSchema,
    enabled: z.boolean().default(true),
    description: z.string().optional(),
    timeout_secs: z.number().positive().default(30),
    type: z.enum(['builtin', 'mcp', 'http']).default('builtin'),
    parameters: z.record(z.string(), z.unknown()).optional(),
    config: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/**
 * MCP server: stdio (`command` + `args` + `env`) or Streamable HTTP (`url`). A stdio child runs
 * under OS limits: `memory_mb` (MiB of private writable memory, RLIMIT_DATA; default `[mcp]
 * default_memory_mb` of ares.toml) and `cpu_secs` (CPU seconds, RLIMIT_CPU); one that breaks a limit
 * is marked failed with the reason and restarted with backoff (src/tools/mcp/limits.ts).
 */
export const McpServerSchema = z
  .object({
    name: NameSchema,
    enabled: z.boolean().default(true),
    command: z.string().min(1).optional(),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    url: z.url().optional(),
    timeout_secs: z.number().positive().default(30),
    tools: z.array(z.string().min(1)).optional(),
    memory_mb: z.number().int().min(16).max(1_048_576).optional(),
    cpu_secs: z.number().int().min(1).max(31_536_000).optional(),
  })
  .strict()
  .refine((m) => Boolean(m.command) !== Boolean(m.url), {
    message: 'set exactly one of `command` (stdio server) or `url` (Streamable HTTP server)',
  })
  .refine((m) => !m.url || (m.memory_mb === undefined && m.cpu_secs === undefined), {
    message: '`memory_mb` and `cpu_secs` limit a stdio server (`command`); a Streamable HTTP server (`url`) runs elsewhere',
    path: ['memory_mb'],
  });

/** Workflow: multi-agent routing from an entry agent, with a fallback and depth/iteration limits. */
export const WorkflowSchema = z
  .object({
    name: NameSchema,
    entry_agent: NameSchema,
    fallback_agent: NameSchema.optional(),
    max_depth: z.number().int().min(1).max(10).default(3),
    max_iterations: z.number().int().min(1).max(100).default(5),
    parallel_subagents: z.boolean().default(false),
  })
  .strict();

export type Agent = z.infer<typeof AgentSchema>;
export type Model = z.infer<typeof ModelSchema>;
export type Tool = z.infer<typeof ToolSchema>;
export type McpServer = z.infer<typeof McpServerSchema>;
export type Workflow = z.infer<typeof WorkflowSchema>;

/** The entity kinds, which are also the sub-directories of `config/` (SPEC §2). */
export const ENTITY_KINDS = ['agents', 'models', 'tools', 'workflows', 'mcps'] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

/** Schema per entity kind. */
export const ENTITY_SCHEMAS = {
  agents: AgentSchema,
  models: ModelSchema,
  tools: ToolSchema,
  workflows: WorkflowSchema,
  mcps: McpServerSchema,
} as const;

/** The formats an entity can be written in and read back (SPEC §3), e.g. for `--format` and `?format=`. */
export const ENTITY_FORMATS = ['toon', 'toml', 'json'] as const;
/** One writable entity format. Markdown+YAML frontmatter is read-only (see src/config/formats/). */
export type EntityFormat = (typeof ENTITY_FORMATS)[number];

/** Where an entity comes from (SPEC §4): `system` = config files; the rest are SQLite rows. */
export type Source = 'system' | 'user' | 'community';

/** The validated entity type of one kind, e.g. `EntityOf<'agents'>` is `Agent`. */
export type EntityOf<K extends EntityKind> = z.infer<(typeof ENTITY_SCHEMAS)[K]>;
