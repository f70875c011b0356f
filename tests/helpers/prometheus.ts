/**
 * Reading Prometheus text exposition in tests: the value of one series, and `promtool` (Debian
 * package `prometheus`) when it is installed.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

/** The path of promtool, or undefined when it is not installed (tests that need it skip, naming the package). */
export const promtool: string | undefined = (() => {
  for (const dir of (process.env.PATH ?? '').split(':').concat('/usr/bin')) {
    try {
      accessSync(`${dir}/promtool`, constants.X_OK);
      return `${dir}/promtool`;
    } catch {
      // not here
    }
  }
  return undefined;
})();

/** Why a promtool test is skipped, as the skipped test's name says it. */
export const PROMTOOL_MISSING = 'skipped: promtool is not installed (Debian package "prometheus")';

/** Run `promtool ARGS` with `stdin`; its exit status and output. */
export function runPromtool(args: string[], stdin?: string): { status: number | null; output: string } {
  const r = spawnSync(promtool!, args, { input: stdin ?? '', encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Parse one exposition line `name{a="x",b="y"} value` into its parts (undefined for comments and blanks). */
function parseLine(line: string): { name: string; labels: Record<string, string>; value: number } | undefined {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
  if (!m) return undefined;
  const labels: Record<string, string> = {};
  for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
  return { name: m[1]!, labels, value: Number(m[3]) };
}

/** Every series of `name` in `text` whose labels include `labels`. */
export function series(text: string, name: string, labels: Record<string, string> = {}): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const s = parseLine(line);
    if (s?.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) out.push({ labels: s.labels, value: s.value });
  }
  return out;
}

/** The sum of the series of `name` matching `labels` (0 when none). */
export function value(text: string, name: string, labels: Record<string, string> = {}): number {
  return series(text, name, labels).reduce((sum, s) => sum + s.value, 0);
}
