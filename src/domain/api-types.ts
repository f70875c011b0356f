/**
 * Response bodies of the HTTP API (SPEC §6) that the CLI reads too: each declared once as a zod schema
 * (the API documents its routes with them in `/openapi.json`) with its TypeScript type (the CLI
 * imports the types only, so nothing here runs in the CLI). Times are ms since epoch unless named
 * otherwise; costs in USD; tokens are counts.
 */
import { z } from 'zod';
import { FINISH_REASONS } from './finish-reasons.js';

/** Where an agent or entity comes from (SPEC §4). */
export const SourceSchema = z.enum(['user', 'community', 'system']);

/** An agent's lifecycle as the API shows it. Times in ms since epoch; runs are counts. */
export const LifecycleSchema = z.object({
  state: z
    .enum(['loaded', 'running', 'stopped', 'failed'])
    .describe('loaded: no run yet; running: serving; stopped: an operator stopped it; failed: refused until restarted'),
  since: z.number().describe('when it entered this state, ms since epoch'),
  reason: z.string().optional().describe('why it failed'),
  active: z.number().describe('runs in flight'),
  queued: z.number().describe('runs waiting for a slot ([runtime] max_concurrent_runs_per_agent)'),
});
export type Lifecycle = z.infer<typeof LifecycleSchema>;

/** `POST /api/agents/{name}/stop|start|restart`: the agent's lifecycle after the action. */
export const LifecycleResultSchema = z.object({ name: z.string(), source: SourceSchema }).extend(LifecycleSchema.shape);
export type LifecycleResult = z.infer<typeof LifecycleResultSchema>;

/** One agent as `GET /api/agents` lists it. */
export const AgentSummarySchema = z.object({
  id: z.string().nullable(),
  name: z.string(),
  source: SourceSchema,
  model: z.string(),
  tools: z.array(z.string()),
  capabilities: z.array(z.string()).describe('the capabilities it offers to routing (`capabilities[]`)'),
  display_name: z.string().nullable(),
  description: z.string().nullable(),
  is_public: z.boolean(),
  usage_count: z.number().describe('ranking uses: completed runs by users other than the owner, at most one per user and UTC day'),
  rating: z.number().nullable().describe('average stars, null when unrated'),
  rating_count: z.number(),
  state: LifecycleSchema.shape.state.describe('lifecycle state; details in GET /api/agents/{name}'),
});
export type AgentSummary = z.infer<typeof AgentSummarySchema>;

/**
 * An agent's runs today (UTC day), from the execution rows (every daemon sharing the database): the
 * admin sees every user's runs, anyone else their own (STORY-009 per-agent health). Tokens are
 * counts, cost USD, times ms since epoch.
 */
export const ActivitySchema = z.object({
  date: z.string().describe('the UTC day, YYYY-MM-DD'),
  runs: z.number().describe('runs started today, runs in flight included'),
  tokens_input: z.number(),
  tokens_output: z.number(),
  cost_usd: z.number(),
  last_activity_at: z.number().nullable().describe("when today's latest run last wrote its row; null when none ran today"),
  last_error: z
    .object({
      execution_id: z.string(),
      status: z.string().describe('error or timeout'),
      finish_reason: z.string().nullable(),
      message: z.string().nullable(),
      at: z.number(),
    })
    .nullable()
    .describe("today's latest run that ended in error or timeout"),
});
export type Activity = z.infer<typeof ActivitySchema>;

/** One agent as `GET /api/agents/{name}` shows it: its definition's fields, plus these. */
export const AgentDetailSchema = z
  .object({
    name: z.string(),
    model: z.string(),
    source: SourceSchema,
    state: LifecycleSchema.shape.state,
    lifecycle: LifecycleSchema,
    activity: ActivitySchema,
    id: z.string().optional().describe('user-tier row id'),
    is_public: z.boolean().optional(),
    usage_count: z.number().optional(),
  })
  .loose();
export type AgentDetail = z.infer<typeof AgentDetailSchema>;

/** A located reader warning of an agent text (e.g. W_DEPRECATED for `key: |` blocks). */
const WarningSchema = z
  .object({ code: z.string(), message: z.string(), line: z.number().optional(), col: z.number().optional(), hint: z.string().optional() })
  .loose();

/** An agent just created or updated (`POST /api/agents`, `/import`, `PUT /api/agents/{name}`, `POST /agents`). */
export const AgentCreatedSchema = z.object({
  id: z.string(),
  name: z.string(),
  display_name: z.string().nullable(),
  created_at: z.number().describe('ms since epoch'),
  api_endpoint: z.string(),
  source: z.literal('user'),
  is_public: z.boolean(),
  toon_preview: z.string(),
  warnings: z.array(WarningSchema).optional(),
});
export type AgentCreated = z.infer<typeof AgentCreatedSchema>;

/** What a create with `?dry_run=true` answers: the agent validated (references included) and rendered, nothing stored. */
export const AgentPreviewSchema = z.object({
  name: z.string(),
  display_name: z.string().nullable(),
  is_public: z.boolean(),
  toon_preview: z.string().describe('the agent as canonical TOON'),
});

/** The result of a non-streaming run (`POST /api/agents/{name}/chat`). */
export const ChatResultSchema = z.object({
  reply: z.string(),
  finish_reason: z.enum(FINISH_REASONS).describe('why the run ended (closed set, docs/finish-reasons.md)'),
  error: z.string().optional().describe('present when the run ended as a stated failure (finish_reason `error` or `timeout`): what went wrong'),
  approval: z
    .object({
      execution_id: z.string(),
      calls: z.array(z.object({ id: z.string(), name: z.string(), arguments: z.string() })),
      expires_at: z.number().describe('ms since epoch'),
    })
    .optional()
    .describe('with finish_reason `awaiting_approval`: the tool calls waiting for `POST /api/executions/{id}/approve` or `/reject`'),
  conversation_id: z.string(),
  execution_id: z.string(),
  usage: z.object({ input_tokens: z.number(), output_tokens: z.number() }),
  cost_usd: z.number(),
  duration_ms: z.number(),
});
export type ChatResult = z.infer<typeof ChatResultSchema>;

/** One API key as `GET /api/keys` lists it (never the key itself). */
export const ApiKeyListingSchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  prefix: z.string(),
  created_at: z.number(),
  last_used_at: z.number().nullable(),
  revoked_at: z.number().nullable(),
});
export type ApiKeyListing = z.infer<typeof ApiKeyListingSchema>;

/** A new API key (`POST /api/keys`): `key` is shown this once. */
export const NewApiKeySchema = ApiKeyListingSchema.pick({ id: true, prefix: true, created_at: true }).extend({ key: z.string() });
export type NewApiKey = z.infer<typeof NewApiKeySchema>;

/** A user account (`POST /api/users`, `GET /api/me`). */
export const UserInfoSchema = z.object({
  id: z.string(),
  email: z.string().nullable(),
  handle: z.string().describe('qualifies your shared entities: HANDLE/NAME'),
  name: z.string().nullable(),
  is_admin: z.boolean(),
  created_at: z.number(),
});
export type UserInfo = z.infer<typeof UserInfoSchema>;

/** One MCP server's state as `GET /api/mcp/servers` reports it. */
export const McpServerRowSchema = z
  .object({
    name: z.string(),
    source: z.string().describe('system, or the tier of a user-tier row'),
    state: z.string().describe('connecting | ready | failed | idle | disabled'),
    transport: z.string().describe('stdio | http'),
    tools: z.number().describe('tools offered to agents'),
    tool_names: z.array(z.string()),
    last_error: z.string().nullable(),
    restarts: z.number(),
    pid: z.number().optional().describe('pid of the running stdio child'),
    rss_bytes: z.number().optional().describe('resident memory of the running stdio child (bytes)'),
    cpu_seconds: z.number().optional().describe('CPU time of the running stdio child, user + system (seconds)'),
    key: z.string().optional().describe('row id of a user-tier server'),
    owner: z.string().optional().describe('owner email (admin only)'),
  })
  .loose();
export type McpServerRow = z.infer<typeof McpServerRowSchema>;

/** A workflow as `GET /api/workflows` lists it (DIR-12; config/workflows, system tier). */
export const WorkflowSummarySchema = z.object({
  name: z.string(),
  entry_agent: z.string(),
  fallback_agent: z.string().nullable(),
  max_depth: z.number().int().describe('routing hops allowed after the entry agent'),
  max_iterations: z.number().int().describe('agent runs allowed in one workflow run'),
  parallel_subagents: z.boolean(),
});
export type WorkflowSummary = z.infer<typeof WorkflowSummarySchema>;

/**
 * The answer of a workflow run (`POST /api/workflows/:name/run`): the last agent's reply, ids and
 * finish reason, `path` (the agents in the order they ran), usage (tokens) and cost (USD) summed
 * over every run, `duration_ms` the workflow's wall time; `error` when it ended at a limit.
 */
export const WorkflowResultSchema = ChatResultSchema.extend({
  workflow: z.string(),
  path: z.array(z.string()).describe('the agents in the order they ran, e.g. ["router", "customer-support"]'),
});
export type WorkflowResult = z.infer<typeof WorkflowResultSchema>;
