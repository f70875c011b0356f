/** Reading and seeding a real store the way the product does (no test-only store methods). */
import { newId } from '../../src/domain/names.js';
import { LOCAL_USER_ID } from '../../src/domain/users.js';
import type { Store } from '../../src/store/types.js';

/** Execution `id` as `GET /api/executions` lists it for `userId` (store.tenants.history), or undefined. */
export async function executionById(store: Store, id: string, userId: string = LOCAL_USER_ID) {
  return (await store.tenants.history.executions(userId, { limit: 10_000 })).find((e) => e.id === id);
}

/**
 * A conversation of `userId` with agent `agentName` holding `messages`, written as a run's first step
 * is (one finished execution row with it). Returns the conversation id.
 */
export async function seedConversation(
  store: Store,
  agentName: string,
  userId: string,
  messages: { role: 'user' | 'assistant'; content: string }[],
  id = newId('conv'),
): Promise<string> {
  const execution = {
    id: `exec_${id}`,
    agent_name: agentName,
    agent_source: 'system',
    user_id: userId,
    conversation_id: id,
    input: messages[0]?.content ?? '',
    duration_ms: 1,
    status: 'success' as const,
    created_at: Date.now(),
  };
  await store.executions.commitStep({ conversationId: id, createConversation: { agent_name: agentName, user_id: userId }, messages, execution });
  return id;
}
