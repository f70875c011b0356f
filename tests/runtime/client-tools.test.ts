/**
 * Client-side tools' rules (src/runtime/client-tools.ts): which tool calls still wait for results,
 * which results a run accepts, and that a client tool never takes an agent tool's name.
 */
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { checkToolResults, offeredWithClientTools, pendingCallIds, splitCalls } from '../../src/runtime/client-tools.js';
import type { StoredMessage } from '../../src/store/types.js';

const call = (id: string, name = 'get_weather') => ({ id, type: 'function' as const, function: { name, arguments: '{}' } });
const asked: StoredMessage[] = [
  { role: 'user', content: 'weather?' },
  { role: 'assistant', content: '', tool_calls: [call('a', 'calculator'), call('b')] },
  { role: 'tool', content: '4', tool_call_id: 'a' },
];
const result = (id: string): StoredMessage => ({ role: 'tool', content: 'sunny', tool_call_id: id });
const fieldOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return { code: (err as DomainError).code, field: (err as DomainError).details[0]?.field, message: (err as DomainError).message };
  }
  throw new Error('no error');
};

describe('client tools', () => {
  const weather = { spec: { name: 'get_weather', parameters: {} }, field: 'tools[0].function.name' };

  it('are offered after the agent tools; a name the agent offers is refused naming its field', () => {
    expect(offeredWithClientTools([{ name: 'calculator', parameters: {} }], { clientTools: [weather] })!.map((t) => t.name)).toEqual([
      'calculator',
      'get_weather',
    ]);
    const clash = { spec: { name: 'calculator', parameters: {} }, field: 'tools[1].name' };
    expect(fieldOf(() => offeredWithClientTools([{ name: 'calculator', parameters: {} }], { clientTools: [weather, clash] }))).toMatchObject({
      code: 'BAD_REQUEST',
      field: 'tools[1].name',
      message: expect.stringContaining('calculator'),
    });
  });

  it("a step's calls split into the agent's and the client's", () => {
    const { own, client } = splitCalls([call('a', 'calculator'), call('b')], { clientTools: [weather] });
    expect([own.map((c) => c.id), client.map((c) => c.id)]).toEqual([['a'], ['b']]);
  });

  it('results must answer exactly the calls still pending', () => {
    expect(pendingCallIds(asked)).toEqual(['b']);
    expect(() => checkToolResults(asked, [result('b')])).not.toThrow();
    expect(fieldOf(() => checkToolResults(asked, [result('zz')])).message).toContain('zz');
    expect(fieldOf(() => checkToolResults(asked, undefined)).message).toContain('b');
    expect(fieldOf(() => checkToolResults([{ role: 'user', content: 'x' }], [result('b')])).code).toBe('BAD_REQUEST');
    expect(() => checkToolResults([...asked, result('b'), { role: 'assistant', content: 'done' }], undefined)).not.toThrow();
  });
});
