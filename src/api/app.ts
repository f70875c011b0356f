/**
 * `createApp(deps)`: the HTTP API as a Hono app (SPEC §6). Build, listen and serve are separate: this
 * file only registers middleware and mounts the route modules over the dependencies it is given; the
 * daemon serves the same app on TCP and on the control socket, and tests call `app.request()` in-process.
 *
 * Middleware, in order: the request id and the request's logger (middleware/request-log.ts), secret
 * scrubbing of error and report responses (scrub.ts), request metrics (metrics.ts), the browser
 * boundary for TCP requests (boundary.ts: Host, Origin, CORS), the dashboard's files for page paths
 * over TCP (dashboard.ts, when built), the rate limit per client address, the
 * body limit (middleware/body-limit.ts), who the request acts as (middleware/auth.ts), then the rate
 * limits per user and per API key (middleware/rate-limit.ts). Each route
 * checks its body's Content-Type and validates its input (openapi.ts `Routes.op`).
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { createAuthService } from './auth.js';
import { clientAddressResolver } from './client-address.js';
import { browserBoundary } from './boundary.js';
import { dashboard } from './dashboard.js';
import type { AppDeps, AppEnv } from './deps.js';
import { errorResponse, makeErrorHandler, wireErrors } from './errors.js';
import { authMiddleware } from './middleware/auth.js';
import { limitBody } from './middleware/body-limit.js';
import { requestLog } from './middleware/request-log.js';
import { traceRequests } from './middleware/trace.js';
import { rateLimiter } from './middleware/rate-limit.js';
import { openApiDocument, OpenApiDocumentSchema, publicPaths, Routes } from './openapi.js';
import { agentLifecycleRoutes } from './routes/agent-lifecycle.js';
import { agentRoutes } from './routes/agents.js';
import { approvalRoutes } from './routes/approvals.js';
import { authRoutes } from './routes/auth.js';
import { capabilityRoutes } from './routes/capabilities.js';
import { caxtonRoutes } from './routes/caxton.js';
import { entityRoutes } from './routes/entities.js';
import { eventRoutes } from './routes/events.js';
import { executionTreeRoutes } from './routes/execution-tree.js';
import { healthRoutes } from './routes/health.js';
import { conversationRoutes } from './routes/conversations.js';
import { historyRoutes } from './routes/history.js';
import { openaiRoutes } from './routes/openai.js';
import { openaiResponsesRoutes } from './routes/openai-responses.js';
import { mcpRoutes } from './routes/mcp.js';
import { memoryRoutes } from './routes/memory.js';
import { openaiEmbeddingRoutes } from './routes/openai-embeddings.js';
import { usageRoutes } from './routes/usage.js';
import { workflowRoutes } from './routes/workflows.js';
import { createWorkflowStarter } from './workflow-run.js';
import { createRunStarter } from './run.js';
import { scrubResponses } from './scrub.js';

export type { AppDeps, AppEnv, EntityCodec, EntityFormat, Transport } from './deps.js';

/** Build the app. Pure: no listening, no globals. */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  const auth = createAuthService(deps.tenants.users, deps.auth, deps.changes ? { changes: deps.changes } : {});
  const metrics = deps.metrics;
  const wire = wireErrors(deps.secrets);
  const startRun = createRunStarter(deps.catalog, deps.runtime, deps.live);
  const startWorkflow = createWorkflowStarter(deps.catalog, startRun);
  const budgets = deps.budgets?.service;
  const limits = rateLimiter(deps.rateLimits ?? { requestsPerMinute: 0 }, {
    addressOf: clientAddressResolver(deps.trustedProxies ?? []),
    users: deps.tenants.users,
    ...(budgets ? { overrideOf: async (userId: string) => (await budgets.userOverride(userId))?.requests_per_minute } : {}),
  });
  budgets?.watchOverrides(limits.forgetUser);
  const registry = app.openAPIRegistry;
  app.onError(makeErrorHandler(deps.log, wire));
  app.notFound((c) => errorResponse(c, { code: 'NOT_FOUND', message: `no route for ${c.req.method} ${c.req.path}`, details: [] }, 404));

  let publicSet: Set<string> | undefined;
  app.use(...requestLog(deps.log));
  app.use(traceRequests());
  app.use(scrubResponses(deps.secrets));
  app.use(metrics.middleware);
  app.use(browserBoundary(deps.boundary ?? { allowedHosts: [], corsOrigins: [] }));
  if (deps.dashboardRoot) app.use(dashboard(deps.dashboardRoot));
  app.use(limits.byAddress);
  app.use(limitBody(deps.maxBodyBytes));
  app.use(
    authMiddleware({ auth, users: deps.tenants.users, required: deps.auth.required, isPublic: (path) => (publicSet ??= publicPaths(registry)).has(path) }),
  );
  app.use(limits.byPrincipal);

  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'access JWT or API key (cxk_...)' });
  const groups = [
    healthRoutes(deps),
    authRoutes(deps, auth),
    agentRoutes(deps, startRun, wire),
    agentLifecycleRoutes(deps),
    caxtonRoutes(deps, startRun),
    ...entityRoutes(deps),
    historyRoutes(deps),
    conversationRoutes(deps, startRun, wire),
    approvalRoutes(deps.approvals, wire),
    executionTreeRoutes(deps),
    capabilityRoutes(deps, startRun, wire),
    usageRoutes(deps),
    eventRoutes(deps),
    workflowRoutes(deps, startWorkflow, wire),
    openaiRoutes(deps, startRun, wire, startWorkflow),
    openaiResponsesRoutes(deps, startRun, wire, startWorkflow),
    openaiEmbeddingRoutes(deps),
    memoryRoutes(deps),
    mcpRoutes(deps, startRun, wire),
  ];
  for (const g of groups) app.route(g.base, g.router);

  const document = () => openApiDocument(app, { version: deps.version, authRequired: deps.auth.required });
  let cached: unknown;
  const meta = new Routes('/');
  meta.op(
    {
      method: 'get',
      path: '/openapi.json',
      summary: 'This OpenAPI 3.1 document',
      tags: ['meta'],
      public: true,
      responses: { 200: { description: 'the document', schema: OpenApiDocumentSchema } },
    },
    (c) => c.json((cached ??= document()) as object),
  );
  app.route(meta.base, meta.router);
  return app;
}
