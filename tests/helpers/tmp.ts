/**
 * Temporary directories for unit tests, removed after the test file finishes (so runs leave no
 * `/tmp/cx-*` behind). The cleanup hook registers when a test file imports this module.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A new empty directory under the OS temp dir, e.g. `/tmp/cx-db-AbC123`. */
export function tempDir(prefix = 'cx-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
