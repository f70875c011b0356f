/**
 * What `npm install caxton` gets: the file list of `npm pack` of the built checkout. The package holds
 * the compiled CLI and daemon without source maps (and without the sources they would point at), the
 * MIT LICENSE, README, both man pages (package.json `man`, so npm links them into share/man/man1),
 * the docs the README links, the systemd unit, the shipped config/ and templates/; every relative link
 * of a shipped Markdown file resolves to a file inside the package.
 */
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, requireBuild } from '../helpers/cli.js';
import { pack } from './npm.js';

requireBuild();

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { license: string; man: string[]; bin: Record<string, string> };

/**
 * Relative link targets of a Markdown text (inline `[text](target)` links), without `#fragment`;
 * absolute URLs, `mailto:` and in-page `#anchor` links are left out.
 */
function relativeLinks(markdown: string): string[] {
  const targets = [...markdown.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
  return targets.filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t) && !t.startsWith('#')).map((t) => t.replace(/#.*$/, ''));
}

describe('npm pack of the built checkout', { timeout: 60_000 }, () => {
  let files: Set<string>;

  beforeAll(async () => {
    files = new Set((await pack()).files.map((f) => f.path));
  }, 60_000);

  it('ships no source maps and no TypeScript sources or tests', () => {
    const unwanted = [...files].filter((f) => f.endsWith('.map') || f.startsWith('src/') || f.startsWith('tests/'));
    expect(unwanted).toEqual([]);
  });

  it('ships the CLI, LICENSE, README, man pages, docs, systemd unit, config and templates', () => {
    const required = [
      'LICENSE',
      'README.md',
      'package.json',
      'dist/cli/main.js',
      ...Object.values(pkg.bin),
      ...pkg.man,
      'systemd/caxton.service',
      'docs/deploy.md',
      'docs/config-reference.md',
      'docs/finish-reasons.md',
      'config/agents/router.toon',
      'config/models/balanced.toon',
      'templates/README.md',
    ];
    expect(required.filter((f) => !files.has(f))).toEqual([]);
  });

  it('declares both man pages in package.json `man`, in section 1', () => {
    expect([...pkg.man].sort()).toEqual(['man/ares.1', 'man/caxton.1']);
  });

  it('carries the MIT license that package.json names', () => {
    expect(pkg.license).toBe('MIT');
    const license = readFileSync(join(REPO_ROOT, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License$/m);
    expect(license).toContain('Copyright (c) 2026 the Caxton authors');
  });

  it('resolves every relative link of every shipped Markdown file to a file in the package', () => {
    const markdown = [...files].filter((f) => f.endsWith('.md'));
    expect(markdown).toContain('README.md');
    const broken: string[] = [];
    let checked = 0;
    for (const file of markdown) {
      for (const link of relativeLinks(readFileSync(join(REPO_ROOT, file), 'utf8'))) {
        const target = posix.normalize(posix.join(posix.dirname(file), decodeURIComponent(link)));
        const inside = !target.startsWith('..') && (files.has(target) || [...files].some((f) => f.startsWith(`${target.replace(/\/$/, '')}/`)));
        if (!inside) broken.push(`${file}: ${link}`);
        checked++;
      }
    }
    expect(broken).toEqual([]);
    expect(checked, 'the README links docs/, so some links were checked').toBeGreaterThan(0);
  });
});
