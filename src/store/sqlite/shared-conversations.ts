/**
 * Shared conversations on SQLite (STORY-032): participants in `conversation_participants` (migration
 * 12) and authored messages (`messages.author`, `messages.addressed_to`). Each method is one
 * transaction with prepared statements, like the rest of the SQLite store.
 */
import type Database from 'better-sqlite3';
import { sharedConversationGone } from '../errors.js';
import { authoredOf, type AuthoredRow } from '../rows.js';
import type { ConversationKind, ConversationStore, Participant } from '../types.js';

/** The part of ConversationStore about authors and participants. */
export type SharedConversationMethods = Pick<
  ConversationStore,
  'kind' | 'authoredMessages' | 'createShared' | 'participants' | 'join' | 'leave' | 'appendShared'
>;

/** Shared-conversation methods over `db`. */
export function createSharedConversationMethods(db: Database.Database): SharedConversationMethods {
  const s = {
    kind: db
      .prepare(
        `SELECT CASE WHEN EXISTS (SELECT 1 FROM conversation_participants p WHERE p.conversation_id = c.id)
        OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.author IS NOT NULL) THEN 'shared' ELSE 'plain' END AS kind
      FROM conversations c WHERE c.id = ? AND c.user_id = ?`,
      )
      .pluck(),
    messages: db.prepare('SELECT role, content, tool_calls, tool_call_id, author, addressed_to FROM messages WHERE conversation_id = ? ORDER BY id'),
    conversation: db.prepare('INSERT INTO conversations (id, agent_name, user_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)'),
    exists: db.prepare('SELECT 1 FROM conversations WHERE id = ?').pluck(),
    participants: db.prepare('SELECT agent, joined_at FROM conversation_participants WHERE conversation_id = ? ORDER BY position'),
    join: db.prepare(
      `INSERT INTO conversation_participants (conversation_id, agent, position, joined_at)
       SELECT @id, @agent, COALESCE(MAX(position), -1) + 1, @at FROM conversation_participants WHERE conversation_id = @id
       ON CONFLICT (conversation_id, agent) DO NOTHING`,
    ),
    leave: db.prepare('DELETE FROM conversation_participants WHERE conversation_id = ? AND agent = ?'),
    append: db.prepare('INSERT INTO messages (conversation_id, role, content, author, addressed_to, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
    touch: db.prepare('UPDATE conversations SET updated_at = ? WHERE id = ?'),
  };
  const create = db.transaction((conv: Parameters<ConversationStore['createShared']>[0], participants: readonly string[]) => {
    s.conversation.run(conv.id, conv.agent_name, conv.user_id, conv.created_at, conv.updated_at);
    for (const agent of participants) s.join.run({ id: conv.id, agent, at: conv.created_at });
  });
  const join = db.transaction((id: string, agent: string, at: number) => {
    if (!s.exists.get(id)) throw sharedConversationGone(id);
    return s.join.run({ id, agent, at }).changes > 0;
  });
  const append = db.transaction((id: string, messages: Parameters<ConversationStore['appendShared']>[1], at: number) => {
    if (s.touch.run(at, id).changes === 0) throw sharedConversationGone(id);
    for (const m of messages) s.append.run(id, m.role, m.content, m.author, m.to, at);
  });
  return {
    kind: async (id, userId) => s.kind.get(id, userId) as ConversationKind | undefined,
    authoredMessages: async (id) => (s.messages.all(id) as AuthoredRow[]).map(authoredOf),
    createShared: async (conv, participants) => create(conv, participants),
    participants: async (id) => s.participants.all(id) as Participant[],
    join: async (id, agent, at) => join(id, agent, at),
    leave: async (id, agent) => s.leave.run(id, agent).changes > 0,
    appendShared: async (id, messages, at) => append(id, messages, at),
  };
}
