/**
 * The daemon log file (src/daemon/logger.ts): rotated by size, keeping `maxFiles` rotated files
 * (newest `.1`), every line kept whole and in order across the files, each file owner-only (0600).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/daemon/logger.js';
import { tempDir } from '../helpers/tmp.js';

const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { n: number }).n);

describe('log file rotation', () => {
  it('rotates before a line would pass max_file_bytes and keeps max_files rotated files, lines whole and in order', () => {
    const file = join(tempDir('cx-log-'), 'logs', 'caxton.log');
    const log = createLogger({ file, level: 'info', destination: 'file', echo: false, maxFileBytes: 2_000, maxFiles: 2 });
    for (let n = 0; n < 100; n++) log.info({ n }, 'a line of about a hundred bytes');
    expect(existsSync(`${file}.3`)).toBe(false);
    const files = [`${file}.2`, `${file}.1`, file];
    for (const f of files) {
      expect(statSync(f).size, f).toBeLessThanOrEqual(2_000);
      expect(statSync(f).mode & 0o777, f).toBe(0o600);
    }
    const kept = files.flatMap(lines);
    expect(kept.at(-1)).toBe(99);
    expect(kept).toEqual(kept.map((_, i) => kept[0]! + i)); // consecutive: no line lost or split within what is kept
  });

  it('with max_files = 0 the file starts over', () => {
    const file = join(tempDir('cx-log-'), 'caxton.log');
    const log = createLogger({ file, level: 'info', destination: 'file', echo: false, maxFileBytes: 1_000, maxFiles: 0 });
    for (let n = 0; n < 30; n++) log.info({ n }, 'another line of about a hundred bytes');
    expect(existsSync(`${file}.1`)).toBe(false);
    expect(lines(file).at(-1)).toBe(29);
    expect(statSync(file).size).toBeLessThanOrEqual(1_000);
  });
});
