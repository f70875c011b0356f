/**
 * `caxton agent export NAME [--format toon|toml|json]` (SPEC §5; DIR-12): canonical text on stdout,
 * e.g. `caxton agent export support > support.toon`; importing it back gives the same agent.
 */
import { requestText } from '../../client/http.js';
import { homePaths, type GlobalOptions } from '../context.js';

/** Export one agent. */
export async function run(args: string[], opts: GlobalOptions & { format?: string }): Promise<number> {
  const path = `/api/agents/${encodeURIComponent(args[0]!)}/export?format=${encodeURIComponent(opts.format ?? 'toon')}`;
  process.stdout.write(await requestText(homePaths(opts).socket, path));
  return 0;
}
