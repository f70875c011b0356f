/**
 * `caxton user create EMAIL [--handle H] [--name N] [--admin] [--key]` (SPEC §5): the admin (over the
 * control socket) creates a tenant. `--handle` sets the user's handle (SPEC §4: others reach their
 * shared entities as HANDLE/NAME); without it one is derived from the email. `--key` also creates an
 * API key for them and prints it once. Such a user has no password (registering the same email later
 * changes nothing): they use the API key, or people register themselves over HTTP
 * (`POST /api/auth/register`) to get an account with a password.
 */
import type { NewApiKey, UserInfo } from '../../domain/api-types.js';
import { requestJson, setActingAs } from '../../client/http.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';

/** Create a user. */
export async function run(args: string[], opts: GlobalOptions & { handle?: string; name?: string; admin?: boolean; key?: boolean }): Promise<number> {
  const socket = homePaths(opts).socket;
  const email = args[0]!;
  const user = await requestJson<UserInfo>(socket, '/api/users', {
    method: 'POST',
    body: { email, ...(opts.handle ? { handle: opts.handle } : {}), ...(opts.name ? { name: opts.name } : {}), ...(opts.admin ? { is_admin: true } : {}) },
  });
  let key: NewApiKey | undefined;
  if (opts.key) {
    setActingAs(user.email ?? email);
    key = await requestJson(socket, '/api/keys', { method: 'POST', body: { name: 'created with user' } });
  }
  if (opts.json) printJson({ ...user, ...(key ? { api_key: key } : {}) });
  else {
    process.stdout.write(`created user ${user.email} (handle ${user.handle}, id ${user.id})\n`);
    if (key) process.stdout.write(`API key (shown once, store it now): ${key.key}\n`);
  }
  return 0;
}
