/**
 * `caxton server logs` reading (src/cli/commands/server-logs.ts): the last N matching lines of a log
 * bigger than its 64 KiB read blocks (lines and multi-byte characters cut by block edges come out
 * whole), the filters, and the human line format.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { humanLine, lineFilter, tail } from '../../src/cli/commands/server-logs.js';
import { tempDir } from '../helpers/tmp.js';

const entry = (i: number) =>
  JSON.stringify({
    level: i % 10 === 0 ? 'warn' : 'info',
    time: '2026-11-30T08:00:00.000Z',
    component: 'runtime',
    request_id: `r${i % 3}`,
    msg: `line ${i} ✓ ünïcødé ${'x'.repeat(i % 97)}`,
  });

describe('server logs', () => {
  const file = join(tempDir('cx-logs-'), 'caxton.log');
  const all = Array.from({ length: 3000 }, (_, i) => entry(i));
  writeFileSync(file, `${all.join('\n')}\nnot json: a crash trace\n`);

  it('takes the last N matching lines across 64 KiB blocks, whole and in order', () => {
    const keep = lineFilter({ request: 'r1' });
    const expected = all.filter(keep).slice(-700);
    expect(tail(file, 700, keep).lines).toEqual(expected);
    expect(tail(file, 5, lineFilter({})).lines).toEqual([...all.slice(-4), 'not json: a crash trace']);
    expect(tail(file, 10_000, lineFilter({ level: 'warn' })).lines).toHaveLength(300);
    expect(tail(file, 0, keep).lines).toEqual([]);
  });

  it('non-JSON lines pass only --grep or no filter; --grep is case-sensitive', () => {
    expect(lineFilter({ grep: 'crash' })('not json: a crash trace')).toBe(true);
    expect(lineFilter({ level: 'info' })('not json: a crash trace')).toBe(false);
    expect(lineFilter({ grep: 'CRASH' })('not json: a crash trace')).toBe(false);
  });

  it('prints time, level, component, message and the other fields', () => {
    const line = JSON.stringify({
      level: 'warn',
      time: 'T',
      pid: 1,
      component: 'api',
      request_id: 'r9',
      msg: 'login failed',
      client: '10.0.0.1',
      err: { message: 'boom', stack: 'Error: boom\n    at x' },
    });
    expect(humanLine(line)).toBe('T WARN  api     login failed request_id=r9 client=10.0.0.1 err=boom\n  Error: boom\n      at x');
    expect(humanLine('plain text')).toBe('plain text');
  });
});
