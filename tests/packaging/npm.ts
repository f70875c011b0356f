/**
 * Running the real `npm` for the packaging tests: `npm pack` of the checkout and what the tarball
 * holds. The environment drops the `npm_*` variables npm sets for scripts (a test run by `npm test`
 * would otherwise pass its own prefix and lifecycle settings to the npm it starts), and no command
 * runs lifecycle scripts: the tests pack the build that `npm run build` made (npm test builds first).
 */
import { execa } from 'execa';
import { REPO_ROOT } from '../helpers/cli.js';

/** The environment npm runs in: this process's, without `npm_*`, with the update check off. */
export function npmEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^npm_/i.test(k)) env[k] = v;
  return { ...env, npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false', ...extra };
}

/**
 * Run `npm ARGS` in `cwd` (default: the checkout). @returns stdout.
 * @throws with npm's stderr when it exits non-zero or runs longer than `timeoutMs` (default 30 s).
 */
export async function npm(args: string[], cwd = REPO_ROOT, timeoutMs = 30_000): Promise<string> {
  const r = await execa('npm', args, { cwd, env: npmEnv(), extendEnv: false, reject: false, stdin: 'ignore', timeout: timeoutMs });
  if (r.exitCode !== 0) throw new Error(`npm ${args.join(' ')} failed (exit ${String(r.exitCode)}):\n${r.stderr}`);
  return r.stdout;
}

/** One entry of `npm pack --json`: the tarball's name and the files in it (paths relative to `package/`). */
export interface PackResult {
  filename: string;
  files: { path: string; size: number }[];
}

/**
 * `npm pack --json --ignore-scripts` of the checkout: with `destination`, writes the tarball there;
 * without, a dry run that only lists it. @returns npm's report of the one package packed.
 */
export async function pack(destination?: string): Promise<PackResult> {
  const where = destination ? ['--pack-destination', destination] : ['--dry-run'];
  const out = await npm(['pack', '--json', '--ignore-scripts', ...where]);
  const [result] = JSON.parse(out) as PackResult[];
  if (!result) throw new Error(`npm pack --json reported no package:\n${out}`);
  return result;
}
