/**
 * The OpenTelemetry SDK, loaded by src/daemon/telemetry.ts only when tracing is configured: a Node
 * tracer provider (AsyncLocalStorage context, W3C trace context propagation) whose spans go through a
 * BatchSpanProcessor to the OTLP/HTTP exporter (JSON over HTTP POST).
 */
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

/**
 * Register a global tracer provider exporting to `url` (`.../v1/traces`) as `serviceName` at `version`.
 * The SDK's own warnings and errors (a collector that cannot be reached, a rejected export) go to
 * `warn`. Returns its shutdown: flush the buffered spans, then stop (a failure to export is reported to `warn`, never thrown).
 */
export function startOtelSdk(url: string, serviceName: string, version: string, warn: (msg: string) => void): () => Promise<void> {
  const say = (...args: unknown[]) => warn(args.map(String).join(' '));
  diag.setLogger({ error: say, warn: say, info: () => undefined, debug: () => undefined, verbose: () => undefined }, DiagLogLevel.WARN);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName, [ATTR_SERVICE_VERSION]: version }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }))],
  });
  provider.register();
  return () => provider.shutdown().catch((err: unknown) => warn(`spans not exported at shutdown: ${String((err as Error)?.message ?? err)}`));
}
