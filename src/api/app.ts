/**
 * `createApp(deps)`: the HTTP API as a Hono app (SPEC §6). Build, listen and serve are separate: this
 * file only registers routes over the dependencies it is given; the daemon serves the same app on TCP
 * and on the control socket, and tests call `app.request()` in-process.
 *
 * Who a request acts as (SPEC §5, §6): over the control socket, the admin `local` (or, with the
 * `X-Caxton-As: EMAIL` header of `--as`, that user); over TCP, the user of the Bearer credential, or —
 * without one, when auth is not required — `local` without admin rights. Bad credentials are always 401.
 * Before any of that, TCP requests pass the browser boundary (src/api/boundary.ts: Host, Origin, CORS);
 * each route checks its body's Content-Type (src/api/openapi.ts `op`).
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { DomainError } from '../domain/errors.js';
import { LOCAL_USER_ID } from '../domain/users.js';
import { createAuthService } from './auth.js';
import { browserBoundary } from './boundary.js';
import type { AppDeps, AppEnv } from './deps.js';
import { errorBody, makeErrorHandler } from './errors.js';
import { createMetrics } from './metrics.js';
import { agentLifecycleRoutes } from './routes/agent-lifecycle.js';
import { agentRoutes } from './routes/agents.js';
import { authRoutes } from './routes/auth.js';
import { entityRoutes } from './routes/entities.js';
import { healthRoutes } from './routes/health.js';
import { historyRoutes } from './routes/history.js';
import { openaiRoutes } from './routes/openai.js';
import { mcpRoutes } from './routes/mcp.js';
import { scrubResponses } from './scrub.js';

export type { AppDeps, AppEnv, EntityCodec, EntityFormat, Transport } from './deps.js';

/** Paths anyone may call, even when auth is required. */
const PUBLIC_PATHS = new Set(['/health', '/metrics', '/openapi.json', '/api/auth/register', '/api/auth/login', '/api/auth/refresh', '/api/auth/logout']);

/** Build the app. Pure: no listening, no globals. */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  const auth = createAuthService(deps.tenants.users, deps.auth);
  const metrics = createMetrics();
  app.onError(makeErrorHandler(deps.log));
  app.notFound((c) => c.json(errorBody('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`), 404));

  app.use(scrubResponses(deps.secrets));
  app.use(metrics.middleware);
  app.use(browserBoundary(deps.boundary ?? { allowedHosts: [], corsOrigins: [] }));
  app.use(
    bodyLimit({
      maxSize: deps.maxBodyBytes,
      onError: () => {
        throw new DomainError('PAYLOAD_TOO_LARGE', `request body is larger than ${deps.maxBodyBytes} bytes ([limits] max_body_bytes)`);
      },
    }),
  );
  app.use(async (c, next) => {
    if (c.env?.transport === 'socket') {
      const as = c.req.header('x-caxton-as');
      if (as) {
        const user = deps.tenants.users.byEmail(as);
        if (!user) throw new DomainError('NOT_FOUND', `no user with email ${as}`, [{ field: '--as', message: 'unknown user', hint: 'create it with `caxton user create EMAIL`' }]);
        c.set('userId', user.id);
        c.set('isAdmin', false);
      } else {
        c.set('userId', LOCAL_USER_ID);
        c.set('isAdmin', true);
      }
      return next();
    }
    const header = c.req.header('authorization');
    if (header) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!m) throw new DomainError('UNAUTHORIZED', 'malformed Authorization header; expected `Bearer <token>`');
      const who = await auth.authenticate(m[1]!);
      c.set('userId', who.userId);
      // Admin rights over TCP only for real admin accounts; `local` is admin only on the socket.
      c.set('isAdmin', who.isAdmin && who.userId !== LOCAL_USER_ID);
      return next();
    }
    if (deps.auth.required && !PUBLIC_PATHS.has(c.req.path)) {
      throw new DomainError('UNAUTHORIZED', 'authentication required', [{ field: 'authorization', message: 'send `Authorization: Bearer <access token or API key>`', hint: 'get a token with POST /api/auth/login' }]);
    }
    c.set('userId', LOCAL_USER_ID);
    c.set('isAdmin', false);
    return next();
  });

  const registry = app.openAPIRegistry;
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'access JWT or API key (cxk_...)' });
  app.route('/', healthRoutes(deps, registry, metrics));
  app.route('/', authRoutes(deps, registry, auth));
  app.route('/', agentRoutes(deps, registry, metrics));
  app.route('/', agentLifecycleRoutes(deps, registry));
  app.route('/', entityRoutes(deps, registry));
  app.route('/', historyRoutes(deps, registry));
  app.route('/', openaiRoutes(deps, registry, metrics));
  app.route('/', mcpRoutes(deps, registry));

  const document = () =>
    app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: { title: 'Caxton / ARES HTTP API', version: deps.version, description: 'Multi-tenant agent daemon (SPEC §6). Errors: {"error": {code, message, details}}.' },
      security: [{ bearer: [] }],
    });
  let cached: unknown;
  app.get('/openapi.json', (c) => c.json((cached ??= document()) as object));
  return app;
}
