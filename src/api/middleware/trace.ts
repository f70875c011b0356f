/**
 * The HTTP request's server span (STORY-021 traces), written against `@opentelemetry/api` only (a
 * no-op until the daemon registers a tracer provider, src/daemon/telemetry.ts). The span is named
 * `METHOD ROUTE` (the matched route pattern, e.g. `POST /api/agents/:name/chat`, never the raw path
 * with ids or emails), continues a caller's W3C `traceparent`, carries the method, route, response status and
 * the request id (`caxton.request_id`, the `X-Request-Id` of src/api/middleware/request-log.ts), and
 * is active while the handler runs, so a run the request starts is its child. A streamed response's
 * span ends when its headers are ready; the run's span may end later. Probes and scrapes (`/health*`,
 * `/metrics`) are not traced.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type TextMapGetter } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { TRACER_NAME } from '../../runtime/tracing.js';
import type { AppEnv } from '../deps.js';
import { QUIET } from './request-log.js';

/** Reads the W3C trace context headers (`traceparent`, `tracestate`) of a request. */
const HEADERS: TextMapGetter<Headers> = { get: (headers, key) => headers.get(key) ?? undefined, keys: (headers) => [...headers.keys()] };

/** Trace each request as a server span; goes after the request id middleware. */
export function traceRequests(): MiddlewareHandler<AppEnv> {
  const tracer = trace.getTracer(TRACER_NAME);
  return async (c, next) => {
    if (QUIET.test(c.req.path)) return next();
    const parent = propagation.extract(context.active(), c.req.raw.headers, HEADERS);
    const span = tracer.startSpan(
      c.req.method,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': c.req.method, 'caxton.request_id': c.var.requestId },
      },
      parent,
    );
    try {
      await context.with(trace.setSpan(parent, span), next);
    } finally {
      const route = routePath(c);
      span.updateName(`${c.req.method} ${route}`);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': c.res.status });
      if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
  };
}
