/**
 * Store interfaces (ARCHITECTURE "Small interfaces with two implementations"). The runtime, catalog
 * and API depend on these; only the daemon constructs the SQLite implementation.
 */

/** A chat message as persisted per conversation (SPEC §7). `content` may be empty for tool-call turns. */
export interface StoredMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** Tool calls requested by an assistant turn, as sent to the provider. */
  tool_calls?: unknown[];
  /** For role `tool`: the id of the call this result answers. */
  tool_call_id?: string;
}

/** A conversation row. Times in ms since epoch. */
export interface Conversation {
  id: string;
  agent_name: string;
  user_id: string;
  created_at: number;
  updated_at: number;
}

/** Conversations and their messages. */
export interface ConversationStore {
  /** Create a conversation and return it. */
  create(agentName: string, userId: string): Conversation;
  /** The conversation if it exists and belongs to `userId`, else undefined (never another user's). */
  get(id: string, userId: string): Conversation | undefined;
  /** Messages of a conversation, oldest first. */
  messages(id: string): StoredMessage[];
  /** Append messages in one transaction and bump `updated_at`. */
  append(id: string, messages: readonly StoredMessage[]): void;
}

/** One `agent_executions` row (DIR-12 columns plus cost). Tokens are counts, cost in USD, duration in ms. */
export interface ExecutionRecord {
  id: string;
  agent_name: string;
  agent_source: string;
  user_id: string;
  conversation_id?: string;
  input: string;
  output?: string;
  tool_calls?: unknown[];
  tokens_input?: number;
  tokens_output?: number;
  cost_usd?: number;
  duration_ms: number;
  status: 'success' | 'error' | 'timeout';
  error_message?: string;
  created_at: number;
}

/** Execution log. */
export interface ExecutionStore {
  record(row: ExecutionRecord): void;
}

/** Database state reported by `/health` and `server status`. */
export interface StoreHealth {
  ok: boolean;
  /** Database file path (absolute). */
  path: string;
  /** SQLite journal mode, `wal` in normal operation. */
  journal_mode: string;
  /** Highest applied migration number. */
  schema_version: number;
  error?: string;
}

/** Everything the daemon persists. */
export interface Store {
  conversations: ConversationStore;
  executions: ExecutionStore;
  /** Users, credentials and user-tier entities (issue 5). */
  tenants: TenantStore;
  health(): StoreHealth;
  close(): void;
}

// ---- Tenants (issue 5): users, credentials and user-tier entities (SPEC §4, §6; DIR-12 Part 2) ----

import type { ApiKeyInfo, User, UserEntity, UserEntityKind, UserEntityValue } from '../domain/users.js';

/** Users and their credentials. Only hashes are stored; callers hash before they ask. */
export interface UserStore {
  byId(id: string): User | undefined;
  /** Lookup by email, case-insensitive. */
  byEmail(email: string): User | undefined;
  /** @throws DomainError CONFLICT when the email is taken. */
  create(input: { email: string; name?: string | null; passwordHash?: string | null; isAdmin?: boolean }): User;
  /** The stored scrypt hash (`scrypt$N$salt$hash`), if the user has a password. */
  passwordHash(userId: string): string | undefined;
  /** Store a new API key by its hash; the key itself is never stored. */
  createApiKey(input: { userId: string; name?: string | null; prefix: string; keyHash: string }): ApiKeyInfo;
  /** The user's keys, newest last, revoked ones included (with `revoked_at`). */
  listApiKeys(userId: string): ApiKeyInfo[];
  /** The live (not revoked) key with this hash; bumps `last_used_at`. */
  useApiKey(keyHash: string): ApiKeyInfo | undefined;
  /** Revoke the user's key `id`. @returns false when the user has no such live key. */
  revokeApiKey(id: string, userId: string): boolean;
  /** Remember a refresh token by hash until `expiresAt` (ms since epoch). */
  addRefreshToken(userId: string, tokenHash: string, expiresAt: number): void;
  /**
   * Single use: mark the token used and return its user id, atomically; undefined when unknown,
   * expired or already used.
   */
  consumeRefreshToken(tokenHash: string, now: number): string | undefined;
}

/** User-tier agents, tools and MCP servers (DIR-12 `user_agents`, `user_tools`, `user_mcps`) and ratings. */
export interface UserEntityStore {
  /** The row of `userId` named `name` (private or public), if any. */
  own<K extends UserEntityKind>(kind: K, userId: string, name: string): UserEntity<K> | undefined;
  /** Public rows of other users named `name`, best first (usage, then average rating, then oldest). */
  community<K extends UserEntityKind>(kind: K, userId: string, name: string): UserEntity<K>[];
  /** Every row `userId` may see: its own (private and public) and every public row, best first. */
  visible<K extends UserEntityKind>(kind: K, userId: string): UserEntity<K>[];
  /** @throws DomainError CONFLICT when `userId` already has one with this name. */
  insert<K extends UserEntityKind>(kind: K, userId: string, value: UserEntityValue[K], isPublic: boolean): UserEntity<K>;
  /** Replace the value (and visibility when given). @throws DomainError NOT_FOUND, CONFLICT (renamed onto another). */
  update<K extends UserEntityKind>(kind: K, userId: string, name: string, value: UserEntityValue[K], isPublic?: boolean): UserEntity<K>;
  /** @returns false when `userId` has no such row. */
  remove(kind: UserEntityKind, userId: string, name: string): boolean;
  /** Count one run of a user-tier agent. */
  countUse(agentId: string): void;
  /** Set `userId`'s rating (1..5) of the agent; returns the new totals. */
  rate(userId: string, agentId: string, stars: number): { rating_sum: number; rating_count: number };
}

/** Executions and conversations listed for one user (`GET /api/executions`, `/api/conversations`). */
export interface HistoryStore {
  /** The user's executions, newest first. */
  executions(userId: string, opts: { limit: number; agent?: string }): ExecutionRecord[];
  /** The user's conversations, most recently updated first. */
  conversations(userId: string, opts: { limit: number }): Conversation[];
  /** Delete the user's conversation and its messages. @returns false when it is not theirs or absent. */
  deleteConversation(id: string, userId: string): boolean;
}

/** The tenant part of the store, opened on the same database as the rest. */
export interface TenantStore {
  users: UserStore;
  entities: UserEntityStore;
  history: HistoryStore;
}
