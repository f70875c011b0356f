/**
 * Tenants (SPEC §4, §5, §6): users, API keys and the user-tier entity rows that belong to them.
 * Plain types only; the SQLite store persists them and the API decides who may see what.
 */
import type { Agent, McpServer, Source, Tool } from './entities.js';

/** The built-in user that the CLI (admin, over the socket) and anonymous loopback callers act as. */
export const LOCAL_USER_ID = 'local';

/** A user account. Times in ms since epoch. The password hash never leaves the store. */
export interface User {
  id: string;
  /** Unique login name; null only for the built-in `local` user. */
  email: string | null;
  /**
   * Unique public name (HANDLE_PATTERN in names.ts) that qualifies the user's shared entities:
   * `handle/NAME` (SPEC §4). `local` for the built-in user.
   */
  handle: string;
  name: string | null;
  is_admin: boolean;
  created_at: number;
}

/** An API key as listed: never the key itself, only its public prefix (shown once at creation). */
export interface ApiKeyInfo {
  id: string;
  user_id: string;
  name: string | null;
  /** First characters of the key (e.g. `cxk_1a2b3c4d`), enough to recognise it. */
  prefix: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** Which user-tier table a row lives in. */
export type UserEntityKind = 'agents' | 'tools' | 'mcps';

/** The validated value stored per kind. */
export interface UserEntityValue {
  agents: Agent;
  tools: Tool;
  mcps: McpServer;
}

/**
 * A user-tier entity row (DIR-12 `user_agents` / `user_tools` / `user_mcps`). For agents `usage_count`
 * ranks them: completed runs by users other than the owner, at most one per user and UTC day.
 * `rating_sum`/`rating_count` come from `ratings` (1..5 stars, one per user and agent, by users with a
 * completed run of it, never the owner).
 */
export interface UserEntity<K extends UserEntityKind = UserEntityKind> {
  id: string;
  user_id: string;
  /** The owner's handle: others reach a public row as `owner_handle/name`. */
  owner_handle: string;
  name: string;
  value: UserEntityValue[K];
  is_public: boolean;
  usage_count: number;
  rating_sum: number;
  rating_count: number;
  created_at: number;
  updated_at: number;
}

/**
 * An entity as one user sees it after tier resolution (SPEC §4): the catalog returns tools and MCP
 * servers this way, and the per-user tool sets (src/tools/scoped-sets.ts) run what it returns.
 */
export interface ResolvedEntity<T> {
  /** The name the caller reaches it by: bare for own and system entries, `OWNER/NAME` for community ones. */
  name: string;
  value: T;
  source: Source;
  /** The row (user and community tiers): its `id` keys MCP connections, `user_id` is the owner. */
  entity?: UserEntity;
  /** The config file it was loaded from (system tier). */
  file?: string;
}
