/**
 * How OpenAI messages become a run (src/api/openai-messages.ts): trailing tool results continue a run,
 * and where a request's tool results or a prefill are refused (the field named).
 */
import { describe, expect, it } from 'vitest';
import { toRunInput } from '../../src/api/openai-messages.js';
import type { DomainError } from '../../src/domain/errors.js';

const call = (id: string) => ({ id, type: 'function' as const, function: { name: 'get_weather', arguments: '{}' } });
const fieldOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as DomainError).details[0]?.field;
  }
  throw new Error('no error');
};

describe('OpenAI messages as a run', () => {
  it('trailing tool results after the assistant calls are the input, the rest the history', () => {
    const run = toRunInput([
      { role: 'user', content: 'weather?' },
      { role: 'assistant', content: null, tool_calls: [call('b')] },
      { role: 'tool', content: 'sunny', tool_call_id: 'b' },
    ]);
    expect(run.toolResults).toEqual([{ role: 'tool', content: 'sunny', tool_call_id: 'b' }]);
    expect(run.history.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(run.input).toBe('sunny');
  });

  it('tool results alone are refused unless the history is stored; prefill is refused', () => {
    const alone = [{ role: 'tool', content: 'sunny', tool_call_id: 'b' }];
    expect(fieldOf(() => toRunInput(alone))).toBe('messages[0].role');
    expect(toRunInput(alone, { stored: true }).toolResults).toHaveLength(1);
    expect(
      fieldOf(() =>
        toRunInput(
          [
            { role: 'user', content: 'x' },
            { role: 'assistant', content: 'y' },
          ],
          { fieldOf: (i) => `input[${i}]` },
        ),
      ),
    ).toBe('input[1].role');
  });
});
