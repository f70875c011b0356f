/**
 * `createApp(deps)`: the HTTP API as a Hono app (SPEC §6). Build, listen and serve are separate: this
 * file only registers routes over the dependencies it is given; the daemon serves the same app on TCP
 * and on the control socket, and tests call `app.request()` in-process.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { DomainError } from '../domain/errors.js';
import type { AppDeps, AppEnv } from './deps.js';
import { errorBody, makeErrorHandler } from './errors.js';
import { agentRoutes } from './routes/agents.js';
import { healthRoutes } from './routes/health.js';
import { mcpRoutes } from './routes/mcp.js';

export type { AppDeps, AppEnv, Transport } from './deps.js';

/** Build the app. Pure: no listening, no globals. */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(makeErrorHandler(deps.log));
  app.notFound((c) => c.json(errorBody('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`), 404));

  app.use(
    bodyLimit({
      maxSize: deps.maxBodyBytes,
      onError: () => {
        throw new DomainError('PAYLOAD_TOO_LARGE', `request body is larger than ${deps.maxBodyBytes} bytes ([limits] max_body_bytes)`);
      },
    }),
  );
  // Until accounts exist every caller is the built-in user `local`; only the socket is admin (SPEC §5, §6).
  app.use(async (c, next) => {
    c.set('userId', 'local');
    c.set('isAdmin', c.env?.transport === 'socket');
    await next();
  });

  app.route('/', healthRoutes(deps));
  app.route('/', agentRoutes(deps));
  app.route('/', mcpRoutes(deps));
  return app;
}
