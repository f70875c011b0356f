/**
 * The OpenTelemetry SDK, loaded by src/daemon/telemetry.ts only when tracing is configured: a Node
 * tracer provider (AsyncLocalStorage context, W3C trace context propagation) whose spans go through a
 * BatchSpanProcessor to the OTLP/HTTP exporter (JSON over HTTP POST).
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

/**
 * Register a global tracer provider exporting to `url` (`.../v1/traces`) as `serviceName` at `version`. Returns
 * its shutdown: flush the buffered spans, then stop (failures to export are dropped, never thrown).
 */
export function startOtelSdk(url: string, serviceName: string, version: string): () => Promise<void> {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName, [ATTR_SERVICE_VERSION]: version }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }))],
  });
  provider.register();
  return () => provider.shutdown().catch(() => undefined);
}
