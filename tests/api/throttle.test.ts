/**
 * The attempt throttle behind login and registration limits, on an injected clock: free attempts,
 * then waits that double up to a cap; a refund or clear lifts the wait; idle keys are forgotten; the
 * number of keys stays bounded.
 */
import { describe, expect, it } from 'vitest';
import { createThrottle, type ThrottleOptions } from '../../src/api/throttle.js';

function make(over: Partial<ThrottleOptions> = {}) {
  let t = 1_000_000;
  const throttle = createThrottle({ free: 3, baseDelayMs: 1_000, maxDelayMs: 8_000, forgetAfterMs: 60_000, maxKeys: 100, now: () => t, ...over });
  return { throttle, advance: (ms: number) => (t += ms) };
}

describe('attempt throttle', () => {
  it('lets the free attempts through, then waits 1 s, 2 s, 4 s, ... up to the cap', () => {
    const { throttle, advance } = make();
    expect([throttle.take('k'), throttle.take('k')]).toEqual([1, 2]);
    expect(throttle.wait('k')).toBe(0);
    expect(throttle.take('k')).toBe(3);
    expect(throttle.wait('k')).toBe(1_000);
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      advance(throttle.wait('k'));
      expect(throttle.wait('k')).toBe(0);
      throttle.take('k');
      waits.push(throttle.wait('k'));
    }
    expect(waits).toEqual([2_000, 4_000, 8_000, 8_000, 8_000]);
    expect(throttle.wait('other')).toBe(0);
  });

  it('a refund gives one attempt back and lifts the wait below the limit; clear forgets the key', () => {
    const { throttle } = make();
    for (let i = 0; i < 3; i++) throttle.take('k');
    expect(throttle.wait('k')).toBeGreaterThan(0);
    throttle.refund('k');
    expect(throttle.wait('k')).toBe(0);
    expect(throttle.take('k')).toBe(3);
    throttle.clear('k');
    expect(throttle.wait('k')).toBe(0);
    expect(throttle.take('k')).toBe(1);
  });

  it('forgets a key after it has been idle for forgetAfterMs', () => {
    const { throttle, advance } = make();
    for (let i = 0; i < 5; i++) throttle.take('k');
    advance(59_999);
    expect(throttle.wait('k')).toBe(0); // the 4 s wait is over, the count is not
    expect(throttle.take('k')).toBe(6);
    advance(60_000);
    expect(throttle.take('k')).toBe(1);
  });

  it('remembers at most maxKeys keys, dropping the least recently attempted', () => {
    const { throttle } = make({ maxKeys: 3 });
    for (let i = 0; i < 3; i++) throttle.take('a');
    throttle.take('b');
    throttle.take('c');
    throttle.take('a'); // a is now the most recent
    throttle.take('d'); // drops b
    expect(throttle.size()).toBe(3);
    expect(throttle.wait('a')).toBeGreaterThan(0);
    expect(throttle.take('b')).toBe(1); // b started over; c was the oldest and is gone now
    expect(throttle.take('c')).toBe(1);
    for (let i = 0; i < 10_000; i++) throttle.take(`flood-${i}`);
    expect(throttle.size()).toBe(3);
  });
});
