/**
 * The builtin embedder loads and embeds with no network (STORY-031 "the embedding model loads
 * automatically without manual setup"; ADR-0030): the built `dist/llm/embedder.js` runs in a new
 * network namespace (`unshare -n`, as an unprivileged user namespace with `-r`), where no address but
 * an unconnected loopback exists. Skipped, saying why, where `unshare` is missing or not permitted.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, requireBuild } from '../helpers/cli.js';

requireBuild();

const probe = spawnSync('unshare', ['-n', '-r', 'true'], { encoding: 'utf8' });
const skip = probe.error ? 'unshare is not installed' : probe.status !== 0 ? `unshare -n -r is not permitted here: ${probe.stderr.trim()}` : undefined;

const SCRIPT = `
const { createBuiltinEmbedder } = await import(${JSON.stringify(join(REPO_ROOT, 'dist', 'llm', 'embedder.js'))});
const { vectors } = await createBuiltinEmbedder().embed(['the cat sat on the mat', 'a kitten rested on the rug', 'stock prices fell']);
const dot = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);
console.log(JSON.stringify({ dims: vectors[0].length, norm: Math.sqrt(dot(vectors[0], vectors[0])), close: dot(vectors[0], vectors[1]), far: dot(vectors[0], vectors[2]) }));
`;

describe.skipIf(skip)(`builtin embedder without network${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('loads the shipped model and embeds in a namespace with no network', () => {
    const r = spawnSync('unshare', ['-n', '-r', process.execPath, '--input-type=module', '-e', SCRIPT], { encoding: 'utf8', cwd: REPO_ROOT, timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { dims: number; norm: number; close: number; far: number };
    expect(out.dims).toBe(512);
    expect(out.norm).toBeCloseTo(1, 5);
    expect(out.close).toBeGreaterThan(out.far);
  }, 90_000);
});
