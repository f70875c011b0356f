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
  health(): StoreHealth;
  close(): void;
}
