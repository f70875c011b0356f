/**
 * OpenTelemetry traces (STORY-021): when `[telemetry] otlp_endpoint` or the standard environment
 * variable `OTEL_EXPORTER_OTLP_ENDPOINT` is set (the file's key wins), the daemon starts the SDK
 * (src/daemon/otel-sdk.ts, imported only then: with telemetry off no module of the SDK is loaded)
 * and registers it globally, so the spans the API and the runtime start through `@opentelemetry/api`
 * (src/api/middleware/trace.ts, src/runtime/tracing.ts) are exported to `<endpoint>/v1/traces`.
 */
import type { AresConfig } from '../config/ares-toml.js';
import { versionInfo } from '../ipc/version.js';

/** A started tracer provider: `shutdown` flushes the spans still buffered and stops exporting; it never rejects. */
export interface Tracing {
  /** Where spans go (`<endpoint>/v1/traces`, without any user or password), for the start-up log line. */
  url: string;
  shutdown(): Promise<void>;
}

/** The OTLP/HTTP traces URL `telemetry` and `env` ask for, or undefined when tracing is off. */
export function tracesUrl(telemetry: AresConfig['telemetry'], env: NodeJS.ProcessEnv): string | undefined {
  const endpoint = telemetry.otlp_endpoint ?? (env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined);
  return endpoint === undefined ? undefined : `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/** Start tracing when configured (module comment); undefined when off. The SDK's own warnings (export failures) go to `warn`. */
export async function startTracing(telemetry: AresConfig['telemetry'], env: NodeJS.ProcessEnv, warn: (msg: string) => void): Promise<Tracing | undefined> {
  const url = tracesUrl(telemetry, env);
  if (url === undefined) return undefined;
  const { startOtelSdk } = await import('./otel-sdk.js');
  const shown = new URL(url);
  shown.username = shown.password = '';
  return { url: shown.href, shutdown: startOtelSdk(url, telemetry.service_name, versionInfo().version, warn) };
}
