/** Memory scope keys (src/domain/memory-scope.ts): who shares entries, by who owns the agent. */
import { describe, expect, it } from 'vitest';
import { memoryScopeKey, type MemoryScope } from '../../src/domain/memory-scope.js';

const scopes: (MemoryScope | undefined)[] = [undefined, 'agent', 'conversation', 'user', 'global'];
const keys = (subject: Parameters<typeof memoryScopeKey>[1]) => scopes.map((s) => memoryScopeKey(s, subject));

describe('memoryScopeKey', () => {
  it('keys a system agent by agent and user, conversation, user, or everyone', () => {
    expect(keys({ agentName: 'helper', userId: 'u1', conversationId: 'conv_1' })).toEqual([
      'agent:helper:u1',
      'agent:helper:u1',
      'conversation:conv_1',
      'user:u1',
      'global',
    ]);
  });

  it("keys the caller's own user-tier agent by its row, and global by its owner", () => {
    expect(keys({ agentName: 'helper', userId: 'u1', conversationId: 'conv_1', agentRow: { id: 'ua_1', owner: 'u1' } })).toEqual([
      'user-agent:ua_1:u1',
      'user-agent:ua_1:u1',
      'conversation:conv_1',
      'user:u1',
      'global:u1',
    ]);
  });

  it("confines someone else's agent to (caller, that agent) whatever its declared scope", () => {
    expect(keys({ agentName: 'helper', userId: 'u2', conversationId: 'conv_1', agentRow: { id: 'ua_1', owner: 'u1' } })).toEqual([
      'user-agent:ua_1:u2',
      'user-agent:ua_1:u2',
      'conversation:conv_1:user-agent:ua_1',
      'user-agent:ua_1:u2',
      'user-agent:ua_1:u2',
    ]);
  });

  it('names a missing conversation `none`', () => {
    expect(memoryScopeKey('conversation', { agentName: 'helper', userId: 'u1' })).toBe('conversation:none');
  });
});
