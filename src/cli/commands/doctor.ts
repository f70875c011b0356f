/**
 * `caxton doctor [--provider NAME] [--skip-network] [--json]` (issue requirement "caxton doctor"):
 * checks the install (Node.js, home file modes, disk space, config, database, daemon), then each
 * provider the models use for real (reachable, key, models, tool calling, context window; a
 * provider no model uses is listed as skipped), each MCP server of config/mcps/ and the embedder of
 * `[memory] embedder` (one text embedded). Runs in the CLI process, so it works whether the
 * daemon runs or not. Prints one `ok` / `warn` / `FAIL` / `skip` line per check with the fix under each
 * warning and failure; `--json` prints an array of `{check, status, detail, fix}`. Exit 1 when a check
 * failed, else 0.
 */
import { existsSync } from 'node:fs';
import { loadAresConfig, type AresConfig } from '../../config/ares-toml.js';
import { loadConfigTree } from '../../config/load.js';
import type { ConfigSnapshot } from '../../config/snapshot.js';
import { BUILTIN_TOOL_NAMES } from '../../domain/builtin-tools.js';
import type { Paths } from '../../ipc/paths.js';
import { messageOf, result, type CheckResult } from '../doctor/check.js';
import { checkConfig, checkDaemon, checkDatabase, checkDisk, checkModes, checkNode } from '../doctor/install.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { EXIT, printJson } from '../output.js';
import type { ProviderTarget } from '../doctor/providers.js';

/** Options of `caxton doctor`. */
export interface DoctorOptions extends GlobalOptions {
  /** Check only this provider (and its models); MCP servers are then not checked. */
  provider?: string;
  /** Check the install only: no provider requests, no MCP servers started. */
  skipNetwork?: boolean;
}

/** The status column of the text output. */
const LABEL = { ok: 'ok', warn: 'warn', fail: 'FAIL', skip: 'skip' } as const;

/** Print results as text lines (`--json` collects them instead). */
function printText(results: readonly CheckResult[]): void {
  for (const r of results) {
    process.stdout.write(`${LABEL[r.status].padEnd(5)} ${r.check}: ${r.detail}\n`);
    if (r.fix) process.stdout.write(`      fix: ${r.fix}\n`);
  }
}

/** ares.toml with the environment's overrides, or the failure saying why it cannot be used. */
function readAresToml(paths: Paths): { config?: AresConfig; problem?: CheckResult } {
  try {
    return { config: loadAresConfig(paths.aresToml) };
  } catch (err) {
    return { problem: result('ares.toml', 'fail', messageOf(err), `caxton validate --home ${paths.home}; CAXTON_* variables must hold valid values`) };
  }
}

/** The providers to check, each with the model ids its models use: every provider of ares.toml, or just `only`. */
function providerTargets(config: AresConfig, snap: ConfigSnapshot, only: string | undefined): ProviderTarget[] {
  const byProvider = new Map<string, Map<string, string[]>>();
  for (const { value, file } of snap.models.values()) {
    const ids = byProvider.get(value.provider) ?? new Map<string, string[]>();
    ids.set(value.model, [...(ids.get(value.model) ?? []), `${value.name} (${file})`]);
    byProvider.set(value.provider, ids);
  }
  const names = only !== undefined ? [only] : Object.keys(config.providers).sort();
  return names.flatMap((name) => {
    const providerConfig = config.providers[name];
    return providerConfig ? [{ name, config: providerConfig, models: byProvider.get(name) ?? new Map() }] : [];
  });
}

/** The config tree of the home as the daemon would load it. */
function snapshotOf(paths: Paths, config: AresConfig): ConfigSnapshot {
  return loadConfigTree(paths.configDir, {
    providers: Object.keys(config.providers),
    defaultModel: config.defaults.model,
    builtinTools: BUILTIN_TOOL_NAMES,
    displayRoot: paths.home,
  });
}

/** Every check after the install's: providers (or the one asked for), then MCP servers; printed as they finish unless `--json`. */
async function remoteChecks(paths: Paths, config: AresConfig, snap: ConfigSnapshot, opts: DoctorOptions, emit: (r: CheckResult[]) => void): Promise<void> {
  if (opts.provider !== undefined && !config.providers[opts.provider]) {
    const known = Object.keys(config.providers).join(', ');
    emit([
      result(`provider ${opts.provider}`, 'fail', 'not defined in ares.toml', `use one of: ${known}, or add [providers.${opts.provider}] to ${paths.aresToml}`),
    ]);
    return;
  }
  const { checkProvider } = await import('../doctor/providers.js');
  for (const target of providerTargets(config, snap, opts.provider)) {
    const unused = target.models.size === 0 && opts.provider === undefined;
    emit(unused ? [result(`provider ${target.name}`, 'skip', 'no model uses it (check it anyway with --provider)')] : await checkProvider(target));
  }
  if (opts.provider !== undefined) return;
  const { checkMcpServer } = await import('../doctor/mcp.js');
  const limits = config.mcp.default_memory_mb === undefined ? {} : { defaultMemoryMb: config.mcp.default_memory_mb };
  for (const loaded of snap.mcps.values()) emit([await checkMcpServer(loaded, paths.home, limits)]);
}

/** Run every check; exit 1 when any failed. */
export async function run(_args: string[], opts: DoctorOptions): Promise<number> {
  const paths = homePaths(opts);
  const all: CheckResult[] = [];
  const emit = (results: CheckResult[]) => {
    all.push(...results);
    if (!opts.json) printText(results);
  };
  const { config, problem } = readAresToml(paths);
  emit([checkNode(), ...checkModes(paths, config), checkDisk(paths.home)]);
  if (!existsSync(paths.home)) return report(all, opts);
  emit([checkConfig(paths.home), problem ?? (await checkDatabase(paths.home, config!)), await checkDaemon(paths)]);
  if (!config) return report(all, opts);
  const snap = snapshotOf(paths, config);
  if (opts.skipNetwork) emit([result('providers and MCP servers', 'skip', '--skip-network: not contacted')]);
  else await remoteChecks(paths, config, snap, opts, emit);
  if (opts.provider === undefined) {
    const { checkEmbeddings } = await import('../doctor/embeddings.js');
    emit([await checkEmbeddings(config, snap, process.env, opts.skipNetwork === true)]);
  }
  return report(all, opts);
}

/** Print the JSON array (or the text summary line) and return the exit code: 1 when a check failed. */
function report(all: readonly CheckResult[], opts: DoctorOptions): number {
  const count = (s: CheckResult['status']) => all.filter((r) => r.status === s).length;
  const failed = count('fail');
  if (opts.json) printJson(all);
  else {
    const verdict = failed === 0 ? 'no problems found' : `${failed} problem${failed === 1 ? '' : 's'} found`;
    process.stdout.write(`\n${verdict}: ${count('ok')} ok, ${count('warn')} warnings, ${failed} failed, ${count('skip')} skipped\n`);
  }
  return failed > 0 ? EXIT.FAILED : EXIT.OK;
}
