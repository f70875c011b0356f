/**
 * docs/monitoring/ (STORY-022 alerting guide): the alerting rules pass `promtool check rules`
 * (Debian package `prometheus`; skipped with that name when promtool is absent), every series the
 * daemon exports is documented in docs/monitoring/README.md, and the rules and the Grafana dashboard
 * use only series the daemon exports.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createMetrics, watchGauges } from '../../src/api/metrics.js';
import { PROMTOOL_MISSING, promtool, runPromtool } from '../helpers/prometheus.js';

const dir = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), 'docs', 'monitoring');
const read = (file: string) => readFileSync(join(dir, file), 'utf8');

/** Every metric family the daemon registers, and those it adds to prom-client's process defaults. */
function exported(): { all: Set<string>; own: string[] } {
  const metrics = createMetrics();
  watchGauges(metrics, {
    agents: () => [],
    pool: () => ({ active: 0, queued: 0, max: 64 }),
    mcpServers: () => [],
    userMcpServers: () => [],
    databaseSize: async () => ({ backend: 'sqlite', database_bytes: 0 }),
  });
  const names = metrics.registry.getMetricsAsArray().map((m) => m.name);
  const defaults = new Set(createDefaultsOnly());
  return { all: new Set(names), own: names.filter((n) => !defaults.has(n)) };
}

/** Names prom-client's default process metrics get with the daemon's prefix. */
function createDefaultsOnly(): string[] {
  return createMetrics()
    .registry.getMetricsAsArray()
    .map((m) => m.name)
    .filter((n) => n.startsWith('caxton_process_') || n.startsWith('caxton_nodejs_'));
}

/** `caxton_*` series names used in `text`, with histogram suffixes removed. */
function used(text: string): Set<string> {
  return new Set([...text.matchAll(/\bcaxton_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, '')));
}

describe('docs/monitoring', () => {
  const { all, own } = exported();

  it.skipIf(!promtool)(promtool ? 'alerts.yml passes `promtool check rules`' : `promtool check rules ${PROMTOOL_MISSING}`, () => {
    const result = runPromtool(['check', 'rules', join(dir, 'alerts.yml')]);
    expect(result.output).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('documents every series the daemon exports', () => {
    const readme = read('README.md');
    expect(own.length).toBeGreaterThan(15);
    for (const name of own) expect(readme, name).toContain(`\`${name}\``);
  });

  it('alerting rules and the Grafana dashboard use only exported series', () => {
    const dashboard = read('grafana-dashboard.json');
    expect(() => JSON.parse(dashboard)).not.toThrow();
    for (const [file, text] of [
      ['alerts.yml', read('alerts.yml')],
      ['grafana-dashboard.json', dashboard],
    ] as const) {
      for (const name of used(text)) expect(all.has(name), `${file}: ${name}`).toBe(true);
    }
  });
});
