/** `caxton version`: version, build and Node.js version (SPEC §5). */
import { versionInfo } from '../../ipc/version.js';
import { programName, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';

/** Print version info; `--json` prints `{version, commit, built_at, node}`. */
export async function run(_args: string[], opts: GlobalOptions): Promise<number> {
  const v = versionInfo();
  if (opts.json) printJson(v);
  else process.stdout.write(`${programName()} ${v.version} (build ${v.commit}, ${v.built_at}) node ${v.node}\n`);
  return 0;
}
