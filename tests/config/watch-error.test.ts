/**
 * When the file watcher itself fails (e.g. the system is out of inotify watches), `status()` says so
 * in `watch_error` instead of hot reload stopping silently; once a replaced directory is watched
 * again successfully, the error is cleared and edits are served. The real chokidar runs; only its
 * instances are captured, so the test can make one report an error.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FSWatcher } from 'chokidar';
import { afterEach, expect, it, vi } from 'vitest';
import { loadConfigTree } from '../../src/config/load.js';
import { watchConfig, type ConfigWatcher } from '../../src/config/watch.js';
import { waitFor } from '../helpers/cli.js';

const instances = vi.hoisted(() => [] as FSWatcher[]);
vi.mock('chokidar', async (importOriginal) => {
  const real = await importOriginal<typeof import('chokidar')>();
  return {
    ...real,
    watch: (...args: Parameters<typeof real.watch>) => {
      const w = real.watch(...args);
      instances.push(w);
      return w;
    },
  };
});

const agent = (prompt: string) => `name: router\nmodel: fast\nsystem_prompt: "${prompt}"\n`;
let dir: string;
let watcher: ConfigWatcher | undefined;
afterEach(async () => {
  await watcher?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('a watcher failure shows in status().watch_error until the directory is watched again', { timeout: 15_000 }, async () => {
  dir = mkdtempSync(join(tmpdir(), 'cx-watch-err-'));
  const configDir = join(dir, 'config');
  mkdirSync(join(configDir, 'agents'), { recursive: true });
  mkdirSync(join(configDir, 'models'), { recursive: true });
  writeFileSync(join(configDir, 'models', 'fast.toon'), 'name: fast\nprovider: openai\nmodel: gpt-4o-mini\n');
  writeFileSync(join(configDir, 'agents', 'router.toon'), agent('v0'));
  const w = watchConfig({ configDir, load: () => loadConfigTree(configDir, { providers: ['openai'], defaultModel: 'fast', displayRoot: dir }), debounceMs: 60, log: { info() {}, warn() {}, error() {} } });
  watcher = w;
  await w.ready;
  expect(w.status().watch_error).toBeUndefined();

  instances.at(-1)!.emit('error', new Error('ENOSPC: System limit for number of file watchers reached'));
  expect(w.status().watch_error).toMatch(/the config watcher failed \(ENOSPC: System limit for number of file watchers reached\); edits may not be reloaded/);

  mkdirSync(join(configDir, 'agents.new'));
  writeFileSync(join(configDir, 'agents.new', 'router.toon'), agent('replaced'));
  renameSync(join(configDir, 'agents'), join(configDir, 'agents.old'));
  renameSync(join(configDir, 'agents.new'), join(configDir, 'agents'));
  await waitFor('the new directory to be watched', () => w.status().rewatches >= 1, 5000);
  expect(w.status().watch_error).toBeUndefined();
  writeFileSync(join(configDir, 'agents', 'router.toon'), agent('edited'));
  await waitFor('the edit to be served', () => w.current().agents.get('router')?.value.system_prompt === 'edited', 5000);
});
