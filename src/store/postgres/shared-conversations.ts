/**
 * Shared conversations on PostgreSQL (STORY-032), with the SQLite store's semantics
 * (src/store/sqlite/shared-conversations.ts): participants in `conversation_participants`
 * (migration 12) and authored messages (`messages.author`, `messages.addressed_to`). Named,
 * parameterized statements; writes of several rows are one transaction.
 */
import { sharedConversationGone } from '../errors.js';
import { authoredOf, type AuthoredRow } from '../rows.js';
import type { ConversationKind, ConversationStore, Participant } from '../types.js';
import type { Db } from './client.js';

/** The part of ConversationStore about authors and participants. */
export type SharedConversationMethods = Pick<
  ConversationStore,
  'kind' | 'authoredMessages' | 'createShared' | 'participants' | 'join' | 'leave' | 'appendShared'
>;

const S = {
  kind: {
    name: 'cx_conv_kind',
    text: `SELECT CASE WHEN EXISTS (SELECT 1 FROM conversation_participants p WHERE p.conversation_id = c.id)
        OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.author IS NOT NULL) THEN 'shared' ELSE 'plain' END AS kind
      FROM conversations c WHERE c.id = $1 AND c.user_id = $2`,
  },
  messages: {
    name: 'cx_msg_authored',
    text: 'SELECT role, content, tool_calls, tool_call_id, author, addressed_to FROM messages WHERE conversation_id = $1 ORDER BY id',
  },
  conversation: { name: 'cx_conv_shared', text: 'INSERT INTO conversations (id, agent_name, user_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)' },
  exists: { name: 'cx_conv_exists', text: 'SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE' },
  participants: { name: 'cx_part_list', text: 'SELECT agent, joined_at FROM conversation_participants WHERE conversation_id = $1 ORDER BY position' },
  join: {
    name: 'cx_part_join',
    text: `INSERT INTO conversation_participants (conversation_id, agent, position, joined_at)
      SELECT $1, $2, COALESCE(MAX(position), -1) + 1, $3 FROM conversation_participants WHERE conversation_id = $1
      ON CONFLICT (conversation_id, agent) DO NOTHING`,
  },
  leave: { name: 'cx_part_leave', text: 'DELETE FROM conversation_participants WHERE conversation_id = $1 AND agent = $2' },
  touch: { name: 'cx_conv_touch', text: 'UPDATE conversations SET updated_at = $2 WHERE id = $1' },
  append: {
    name: 'cx_msg_shared',
    text: `INSERT INTO messages (conversation_id, role, content, author, addressed_to, created_at)
      SELECT $1, r, c, a, t, $6 FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS m(r, c, a, t, n) ORDER BY n`,
  },
};

/** Shared-conversation methods over `db`. */
export function createSharedConversationMethods(db: Db): SharedConversationMethods {
  return {
    kind: async (id, userId) => (await db.run<{ kind: ConversationKind }>(S.kind, [id, userId])).rows[0]?.kind,
    authoredMessages: async (id) => (await db.run<AuthoredRow>(S.messages, [id])).rows.map(authoredOf),
    createShared: (conv, participants) =>
      db.tx(async (run) => {
        await run(S.conversation, [conv.id, conv.agent_name, conv.user_id, conv.created_at, conv.updated_at]);
        for (const agent of participants) await run(S.join, [conv.id, agent, conv.created_at]);
      }),
    participants: async (id) => (await db.run<Participant & Record<string, unknown>>(S.participants, [id])).rows,
    // The conversation's row lock serializes joins, so two at once never take the same position.
    join: (id, agent, at) =>
      db.tx(async (run) => {
        if ((await run(S.exists, [id])).rowCount === 0) throw sharedConversationGone(id);
        return ((await run(S.join, [id, agent, at])).rowCount ?? 0) > 0;
      }),
    leave: async (id, agent) => ((await db.run(S.leave, [id, agent])).rowCount ?? 0) > 0,
    appendShared: (id, messages, at) =>
      db.tx(async (run) => {
        if ((await run(S.touch, [id, at])).rowCount === 0) throw sharedConversationGone(id);
        const col = (k: 'role' | 'content' | 'author' | 'to') => messages.map((m) => m[k]);
        await run(S.append, [id, col('role'), col('content'), col('author'), col('to'), at]);
      }),
  };
}
