/**
 * `[telemetry]` (STORY-021 traces): where spans go, from ares.toml or OTEL_EXPORTER_OTLP_ENDPOINT
 * (the file wins), and a bad endpoint refused with its place in the file. The exporting itself is
 * covered end to end in tests/e2e/traces.test.ts.
 */
import { createServer } from 'node:net';
import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { parseAresConfig } from '../../src/config/ares-toml.js';
import type { DomainError } from '../../src/domain/errors.js';
import { startTracing, tracesUrl } from '../../src/daemon/telemetry.js';

const telemetry = (toml = '') => parseAresConfig(toml).telemetry;

describe('[telemetry]', () => {
  it('is off by default: no URL, nothing started', async () => {
    expect(telemetry()).toEqual({ service_name: 'caxton' });
    expect(tracesUrl(telemetry(), {})).toBeUndefined();
    expect(tracesUrl(telemetry(), { OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBeUndefined();
    expect(await startTracing(telemetry(), {}, () => undefined)).toBeUndefined();
  });

  it('sends to <endpoint>/v1/traces, from the file first, else from OTEL_EXPORTER_OTLP_ENDPOINT', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' };
    expect(tracesUrl(telemetry(), env)).toBe('http://collector:4318/v1/traces');
    const fromFile = telemetry('[telemetry]\notlp_endpoint = "https://otel.example.com/otlp"\nservice_name = "caxton-eu"\n');
    expect(fromFile.service_name).toBe('caxton-eu');
    expect(tracesUrl(fromFile, env)).toBe('https://otel.example.com/otlp/v1/traces');
  });

  it('refuses an endpoint that is not an http(s) URL, and unknown keys, located in the file', () => {
    const problem = (toml: string) => {
      try {
        parseAresConfig(toml);
        return 'accepted';
      } catch (e) {
        return (e as DomainError).message;
      }
    };
    expect(problem('[telemetry]\notlp_endpoint = "grpc://collector:4317"\n')).toMatch(/^ares\.toml:2:\d+: .*must be an http:\/\/ or https:\/\/ URL/);
    expect(problem('[telemetry]\nendpoint = "http://collector:4318"\n')).toMatch(/^ares\.toml:2:\d+: .*endpoint/);
  });

  it("reports the SDK's export failures as warnings (a collector that cannot be reached)", { timeout: 20_000 }, async () => {
    // A port that was free a moment ago: nothing listens there, so the export is refused.
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as { port: number };
        srv.close(() => resolve(port));
      });
    });
    const warnings: string[] = [];
    const tracing = await startTracing(telemetry(`[telemetry]\notlp_endpoint = "http://127.0.0.1:${port}"\n`), {}, (m) => warnings.push(m));
    trace.getTracer('test').startSpan('lost').end();
    await tracing!.shutdown();
    expect(warnings.join('\n')).toMatch(/ECONNREFUSED|export|connect/i);
  });
});
