#!/usr/bin/env node
/* global document, window, MutationObserver -- functions passed to page.evaluate run in the browser */
/**
 * Benchmark: the web dashboard (seed STORY-017 "loads and updates within 200 ms"), measured inside
 * the page in Debian's Chromium (/usr/bin/chromium, driven by playwright-core). One daemon (shipped
 * config, offline provider, no auth required) with an admin account; all the (a) samples, then all
 * the (b) samples (the admin's page, with its live stream, is opened only for (b)):
 *   (a) first load: a fresh browser context opens `/` (nothing cached); the time from navigation start
 *       until the shipped agents' rows are on screen (`performance.now()` in a MutationObserver
 *       installed before the page's scripts run);
 *   (b) click-to-update: signed in as the admin, the time from clicking Stop (then Start) on an agent
 *       until its state cell shows the new state: the POST, the daemon's `agent_state` live event and
 *       the re-render (`performance.now()` around the click, a MutationObserver on the cell).
 * Plus the bundle sizes of dist/web/assets: the initial JS (the entry and what it imports
 * statically) and the lazily loaded chunks (the other pages, the editor), raw and gzipped.
 *
 * Targets (reported, not enforced): (a) and (b) median < 200 ms (seed); initial JS < 50 KB gzipped.
 * Skipped with a message where /usr/bin/chromium is absent (Debian package `chromium`).
 *
 * Env: BENCH_DASHBOARD_SAMPLES (default 20), BENCH_DASHBOARD_WARMUP (default 2),
 * BENCH_DASHBOARD_BASELINE: the path of another built checkout (e.g. `git archive` of main, then
 * `npm run build` there); a second daemon runs from it and each sample also measures (a) against it,
 * the two first loads taken in alternating order, so a change is compared side by side on one box.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import {
  cliEnv,
  disposeHome,
  envInt,
  importDist,
  installCleanupHooks,
  machineFacts,
  machineLine,
  NODE,
  REPO,
  requireBuild,
  summarize,
  table,
  tempHome,
  verdict,
  writeResult,
} from './lib/common.mjs';

const NAME = 'dashboard';
const SAMPLES = envInt('BENCH_DASHBOARD_SAMPLES', 20);
const WARMUP = envInt('BENCH_DASHBOARD_WARMUP', 2);
const CHROMIUM = '/usr/bin/chromium';
const TARGET_MS = 200;
const TARGET_INITIAL_GZ = 50 * 1024;
const ADMIN = { email: 'bench-admin@example.com', password: 'bench admin password' };
const BASELINE = process.env.BENCH_DASHBOARD_BASELINE;

requireBuild();
if (!existsSync(CHROMIUM)) {
  console.log(`${NAME}: skipped: ${CHROMIUM} is missing; install the Debian package "chromium"`);
  process.exit(0);
}
installCleanupHooks();

/** Sizes of the built assets: the entry's static import closure (initial) and the rest (lazy). */
function bundleSizes() {
  const dir = join(REPO, 'dist', 'web', 'assets');
  const files = readdirSync(dir).filter((f) => f.endsWith('.js'));
  const text = Object.fromEntries(files.map((f) => [f, readFileSync(join(dir, f))]));
  const initial = new Set();
  const visit = (f) => {
    if (initial.has(f)) return;
    initial.add(f);
    for (const m of text[f].toString().matchAll(/(?:^|[;}])\s*import\s*(?:[^"'()]*?from\s*)?"\.\/([^"]+)"/g)) visit(m[1]);
  };
  visit(files.find((f) => f.startsWith('main-')));
  const size = (list) => ({
    files: list,
    bytes: list.reduce((n, f) => n + text[f].length, 0),
    gzip_bytes: list.reduce((n, f) => n + gzipSync(text[f]).length, 0),
  });
  return { initial: size([...initial]), lazy: size(files.filter((f) => !initial.has(f))) };
}

/** Install, before any page script, an observer noting when the three shipped agents are on screen. */
const AGENTS_ON_SCREEN = () => {
  new MutationObserver((_m, obs) => {
    if (document.querySelectorAll('tr[data-agent]').length >= 3) {
      window.agentsAt = performance.now();
      obs.disconnect();
    }
  }).observe(document, { childList: true, subtree: true });
};

/** In the page: click `button` of `agent`'s row and resolve with the ms until its state reads `state`. */
const CLICK_TO_STATE = ({ agent, button, state }) =>
  new Promise((resolve) => {
    const row = document.querySelector(`tr[data-agent="${agent}"]`);
    const cell = row.querySelector('[data-testid="state"]');
    const target = [...row.querySelectorAll('button')].find((b) => b.textContent === button);
    const t0 = performance.now();
    new MutationObserver((_m, obs) => {
      if (row.querySelector('[data-testid="state"]')?.textContent === state) {
        obs.disconnect();
        resolve(performance.now() - t0);
      }
    }).observe(row, { childList: true, subtree: true, characterData: true });
    if (cell.textContent === state) resolve(0);
    target.click();
  });

/** Start a daemon of the checkout `repo` (shipped config, offline provider) in a fresh temp home: `{home, url, socket}`. */
function startDaemon(repo) {
  const home = tempHome('db');
  const start = spawnSync(NODE, [join(repo, 'bin', 'caxton'), '--home', home, '--json', 'server', 'start', '--port', '0'], {
    cwd: repo,
    env: cliEnv(),
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (start.status !== 0) throw new Error(`server start (${repo}) failed (exit ${start.status}):\n${start.stdout}${start.stderr}`);
  return { home, ...JSON.parse(start.stdout) };
}

/** (a) for one sample: a fresh context opens `url`; ms from navigation start to the agents on screen. */
async function firstLoad(url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(AGENTS_ON_SCREEN);
  await page.goto(url);
  const ms = await page.waitForFunction(() => window.agentsAt, undefined, { timeout: 10_000 }).then((h) => h.jsonValue());
  await context.close();
  return ms;
}

const machine = machineFacts();
const daemons = [];
const rows = [];
let browser;
try {
  const { url, socket } = daemons[daemons.push(startDaemon(REPO)) - 1];
  const baseline = BASELINE ? daemons[daemons.push(startDaemon(BASELINE)) - 1] : undefined;
  const { requestJson } = await importDist('client/http.js');
  await requestJson(socket, '/api/users', { method: 'POST', body: { ...ADMIN, is_admin: true } });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });

  // (a) first, with no other page open: a signed-in admin page would receive the daemon's log lines
  // over the live stream during each load of this daemon (and not of the baseline's), a load of its own.
  process.stderr.write(`${NAME}: ${WARMUP} warmup + ${SAMPLES} samples against ${url}\n`);
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    const baselineFirst = baseline && i % 2 === 1 ? await firstLoad(baseline.url) : undefined;
    const load_ms = await firstLoad(url);
    const baseline_load_ms = baselineFirst ?? (baseline ? await firstLoad(baseline.url) : undefined);
    if (i >= WARMUP) rows.push({ load_ms, ...(baseline ? { baseline_load_ms } : {}) });
  }

  const admin = await browser.newPage();
  await admin.goto(`${url}/login`);
  await admin.getByLabel('Email').fill(ADMIN.email);
  await admin.getByLabel('Password').fill(ADMIN.password);
  await admin.getByRole('button', { name: 'Sign in' }).click();
  await admin.locator('tr[data-agent="router"] button', { hasText: 'Stop' }).waitFor({ timeout: 10_000 });
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    const stop_ms = await admin.evaluate(CLICK_TO_STATE, { agent: 'router', button: 'Stop', state: 'stopped' });
    const start_ms = await admin.evaluate(CLICK_TO_STATE, { agent: 'router', button: 'Start', state: 'running' });
    if (i >= WARMUP) Object.assign(rows[i - WARMUP], { stop_ms, start_ms });
  }
} finally {
  await browser?.close();
  for (const d of daemons) disposeHome(d.home);
}

const sizes = bundleSizes();
const metrics = [
  ['load_ms', '(a) first load to agents on screen'],
  ['stop_ms', '(b) click Stop to "stopped" shown'],
  ['start_ms', '(b) click Start to "running" shown'],
  ...(BASELINE ? [['baseline_load_ms', `(a) first load, baseline ${BASELINE}`]] : []),
];
const summary = Object.fromEntries(metrics.map(([m]) => [m, summarize(rows.map((r) => r[m]))]));
const targets = [
  { metric: 'first load median', measured: `${summary.load_ms.median} ms`, target: `< ${TARGET_MS} ms`, result: verdict(summary.load_ms.median, TARGET_MS) },
  {
    metric: 'click-to-update median',
    measured: `${summary.stop_ms.median} ms`,
    target: `< ${TARGET_MS} ms`,
    result: verdict(summary.stop_ms.median, TARGET_MS),
  },
  {
    metric: 'initial JS gzipped',
    measured: `${(sizes.initial.gzip_bytes / 1024).toFixed(1)} KiB`,
    target: '< 50 KiB',
    result: verdict(sizes.initial.gzip_bytes, TARGET_INITIAL_GZ),
  },
];

console.log(`\n== ${NAME}: the web dashboard in Chromium, measured inside the page ==`);
console.log(machineLine(machine));
console.log(`${SAMPLES} samples after ${WARMUP} warmup\n`);
console.log(
  table(
    ['measurement (ms)', 'min', 'median', 'p90', 'mean', 'max'],
    metrics.map(([m, label]) => {
      const s = summary[m];
      return [label, s.min, s.median, s.p90, s.mean, s.max];
    }),
  ),
);
console.log('');
console.log(
  table(
    ['bundle', 'files', 'KiB', 'KiB gzipped'],
    ['initial', 'lazy'].map((k) => [k, sizes[k].files.length, sizes[k].bytes / 1024, sizes[k].gzip_bytes / 1024]),
  ),
);
console.log('');
console.log(
  table(
    ['target', 'measured', 'goal', 'PASS/FAIL'],
    targets.map((t) => [t.metric, t.measured, t.target, t.result]),
  ),
);

const out = writeResult(NAME, {
  benchmark: NAME,
  description: 'first load of / to the shipped agents on screen, and click Stop/Start to the state shown, in Chromium; bundle sizes of dist/web',
  machine,
  config: { samples: SAMPLES, warmup: WARMUP, ...(BASELINE ? { baseline: BASELINE } : {}) },
  summary,
  bundle: sizes,
  samples: rows,
  targets,
});
console.log(`results: ${out}`);
