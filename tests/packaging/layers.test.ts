/**
 * The import rules of .dependency-cruiser.cjs (ARCHITECTURE.md "Import direction", as allow-lists),
 * run by the real dependency-cruiser on a small tree of one-line modules: what the rules allow passes,
 * and each import ARCHITECTURE.md forbids is reported. (`npm run lint:deps` checks src/ itself.)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';

const ROOT = resolve(__dirname, '../..');
const DEPCRUISE = join(ROOT, 'node_modules/.bin/depcruise');

/** Imports allowed by ARCHITECTURE.md: [importing file, import statement]. */
const ALLOWED: Array<[string, string]> = [
  ['config/a.ts', "import { x } from '../domain/x.js';"],
  ['tools/a.ts', "import type { T } from '../store/types.js';"],
  ['llm/a.ts', "import { y } from './b.js';"],
  ['runtime/a.ts', "import type { T } from '../llm/types.js';"],
  ['catalog/a.ts', "import type { T } from '../config/snapshot.js';"],
  ['api/a.ts', "import { r } from '../runtime/r.js';"],
  ['api/b.ts', "import type { T } from '../store/types.js';"],
  ['daemon/a.ts', "import { s } from '../store/sqlite/database.js';"],
  ['client/a.ts', "import { p } from '../ipc/paths.js';"],
  ['cli/a.ts', "import { l } from '../config/load.js';"],
  ['cli/commands/server-start.ts', "export const start = () => import('../../daemon/main.js');"],
  ['cli/commands/db-migrate.ts', "import { x } from '../../store/copy.js';"],
  ['cli/commands/db-status.ts', "import { x } from '../../store/open.js';"],
  ['cli/doctor/a.ts', "import { x } from '../../store/copy.js';"],
  ['cli/doctor/b.ts', "import { s } from '../../tools/mcp/connection.js';"],
];

/** Imports ARCHITECTURE.md forbids: [importing file, import statement, the imported file reported]. */
const FORBIDDEN: Array<[string, string, string]> = [
  ['domain/z.ts', "import { l } from '../config/load.js';", 'src/config/load.ts'],
  ['ipc/z.ts', "import type { T } from '../store/types.js';", 'src/store/types.ts'],
  ['tools/z.ts', "import { s } from '../store/sqlite/database.js';", 'src/store/sqlite/database.ts'],
  ['tools/y.ts', "import type { R } from '../runtime/r.js';", 'src/runtime/r.ts'],
  ['llm/z.ts', "import { c } from '../config/ares-toml.js';", 'src/config/ares-toml.ts'],
  ['runtime/z.ts', "import { l } from '../config/load.js';", 'src/config/load.ts'],
  ['runtime/y.ts', "import type { W } from '../config/watch.js';", 'src/config/watch.ts'],
  ['catalog/z.ts', "import type { S } from '../store/sqlite/database.js';", 'src/store/sqlite/database.ts'],
  ['api/z.ts', "import type { T } from '../tools/types.js';", 'src/tools/types.ts'],
  ['api/y.ts', "import { l } from '../config/load.js';", 'src/config/load.ts'],
  ['api/x.ts', "import { connect } from 'node:net';", 'net'],
  ['client/z.ts', "import type { A } from '../api/app.js';", 'src/api/app.ts'],
  ['cli/z.ts', "import { r } from '../runtime/r.js';", 'src/runtime/r.ts'],
  ['cli/y.ts', "import { m } from '../daemon/main.js';", 'src/daemon/main.ts'],
  ['cli/commands/db-x.ts', "import { s } from '../../store/sqlite/database.js';", 'src/store/sqlite/database.ts'],
  ['cli/commands/agent-list.ts', "import { x } from '../../store/copy.js';", 'src/store/copy.ts'],
  ['cli/commands/doctor.ts', "import { x } from '../../store/copy.js';", 'src/store/copy.ts'],
  ['cli/doctor/z.ts', "import { s } from '../../tools/mcp/pool.js';", 'src/tools/mcp/pool.ts'],
];

/** Write the tree: every imported module exists and exports what is imported. */
function tree(files: Array<[string, string]>): string {
  const dir = tempDir('cx-layers-');
  const write = (rel: string, text: string) => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  };
  for (const target of [
    'domain/x',
    'store/types',
    'store/sqlite/database',
    'store/copy',
    'store/open',
    'llm/b',
    'llm/types',
    'config/snapshot',
    'config/load',
    'config/watch',
    'config/ares-toml',
    'runtime/r',
    'ipc/paths',
    'daemon/main',
    'tools/types',
    'tools/mcp/connection',
    'tools/mcp/pool',
    'api/app',
  ]) {
    write(
      `src/${target}.ts`,
      'export const x = 1, l = 1, s = 1, y = 1, r = 1, p = 1, m = 1, c = 1;\nexport type T = 1; export type S = 1; export type R = 1; export type W = 1; export type A = 1;\n',
    );
  }
  for (const [file, statement] of files) write(`src/${file}`, `${statement}\nexport const used = 1;\n`);
  write(
    'tsconfig.json',
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', verbatimModuleSyntax: true, types: ['node'] }, include: ['src'] }),
  );
  return dir;
}

/** Violations as `from -> to`, from dependency-cruiser's JSON report. */
function violations(dir: string): string[] {
  let out: string;
  try {
    out = execFileSync(DEPCRUISE, ['src', '--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'json'], { cwd: dir, encoding: 'utf8' });
  } catch (err) {
    out = (err as { stdout: string }).stdout; // exit status 1 when there are violations
  }
  const report = JSON.parse(out) as { summary: { violations: { from: string; to: string }[] } };
  return report.summary.violations.map((v) => `${v.from} -> ${v.to}`).sort();
}

describe('import rules (allow-lists from ARCHITECTURE.md)', () => {
  it('allow what ARCHITECTURE.md allows and report each forbidden import', { timeout: 60_000 }, () => {
    const dir = tree([...ALLOWED, ...FORBIDDEN.map(([file, statement]): [string, string] => [file, statement])]);
    const expected = FORBIDDEN.map(([file, , to]) => `src/${file} -> ${to}`).sort();
    expect(violations(dir)).toEqual(expected);
  });
});
