/**
 * `caxton conversation clear ID` (STORY-019): clear a conversation's context through
 * `DELETE /api/conversations/ID/messages`: its messages and summary are deleted, the conversation stays, and the
 * next turn starts without history. Fails (exit 1) for a conversation that is not yours or is in use.
 */
import { requestJson } from '../../client/http.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';

/** Clear conversation `args[0]`. */
export async function run(args: string[], opts: GlobalOptions): Promise<number> {
  const id = args[0]!;
  const { deleted } = await requestJson<{ deleted: number }>(homePaths(opts).socket, `/api/conversations/${encodeURIComponent(id)}/messages`, {
    method: 'DELETE',
  });
  if (opts.json) printJson({ conversation_id: id, deleted });
  else process.stdout.write(`cleared conversation ${id} (${deleted} message(s) deleted)\n`);
  return 0;
}
