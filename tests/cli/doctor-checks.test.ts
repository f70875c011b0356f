/**
 * The checks of `caxton doctor` that the e2e file does not reach, on real HTTP: an Ollama-like server
 * (`/api/version`, `/api/show`) whose `num_ctx` is unset, too small or large enough; a server that
 * lists no models (each model is checked by a completion); a model that
 * answers with plain text; a provider that does not answer; an old Node.js; a nearly full disk.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDisk, checkNode } from '../../src/cli/doctor/install.js';
import { checkProvider, type ProviderTarget } from '../../src/cli/doctor/providers.js';
import { closedPort } from '../helpers/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';

/** `parameters` of `/api/show` per model id (absent: no num_ctx line). */
const PARAMETERS: Record<string, string> = { small: 'stop "<|im_end|>"\nnum_ctx 2048', big: 'num_ctx                        16384' };

let fake: FakeOpenAI;
let ollama: http.Server;
let ollamaUrl: string;

beforeAll(async () => {
  fake = await startFakeOpenAI({ default: (req) => (req.body?.tools ? { tool_calls: [{ name: 'get_current_time', arguments: '{}' }] } : {}) });
  // Ollama's own routes in front of the fake's OpenAI-compatible /v1 routes.
  ollama = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url !== '/v1/chat/completions') res.setHeader('content-type', 'application/json');
      if (req.url === '/api/version') return void res.end(JSON.stringify({ version: '0.9.0' }));
      if (req.url === '/v1/models')
        return void res.end(JSON.stringify({ object: 'list', data: ['fake-model', 'small', 'big'].map((id) => ({ id, object: 'model' })) }));
      if (req.url === '/api/show') {
        const model = (JSON.parse(body) as { model: string }).model;
        return void res.end(JSON.stringify({ parameters: PARAMETERS[model] ?? 'stop "<|im_end|>"' }));
      }
      // Under /bare/: a server with no model listing and no Ollama routes, only chat completions.
      if (req.url?.startsWith('/bare/') && req.url !== '/bare/v1/chat/completions') return void res.writeHead(404).end('{}');
      const upstream = http.request(
        `${fake.url.replace(/\/v1$/, '')}${req.url?.replace(/^\/bare/, '')}`,
        { method: req.method, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => ollama.listen(0, '127.0.0.1', resolve));
  ollamaUrl = `http://127.0.0.1:${(ollama.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  await new Promise((resolve) => ollama.close(resolve));
  await fake.close();
});

const target = (baseUrl: string, ids: string[]): ProviderTarget => ({
  name: 'local',
  config: { type: 'openai-compatible', base_url: baseUrl, timeout_ms: 5000, max_retries: 0 },
  models: new Map(ids.map((id) => [id, [id]])),
});

describe('doctor provider checks', () => {
  it("warns about Ollama's num_ctx when unset or below 8192, with how to raise it", async () => {
    const results = await checkProvider(target(ollamaUrl, ['fake-model']), {});
    const context = results.find((r) => r.check === 'model fake-model (fake-model): context window');
    expect(context).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^num_ctx is not set/) });
    expect(context?.fix).toContain('OLLAMA_CONTEXT_LENGTH=8192');
    expect(results.find((r) => r.check.endsWith('tool calling'))?.status).toBe('ok');
  });

  it('reads num_ctx from /api/show for each model; a model Ollama lacks fails with `ollama pull`', async () => {
    const results = await checkProvider(target(ollamaUrl, ['small', 'big', 'absent']), {});
    expect(results.find((r) => r.check === 'model small (small): context window')).toMatchObject({
      status: 'warn',
      detail: 'num_ctx 2048 tokens: prompts with tool definitions get cut',
    });
    expect(results.find((r) => r.check === 'model big (big): context window')).toMatchObject({ status: 'ok', detail: 'num_ctx 16384 tokens' });
    expect(results.find((r) => r.check === 'model absent (absent): exists')).toMatchObject({ status: 'fail', fix: 'ollama pull absent' });
  });

  it('checks a model by a completion where the server lists no models', async () => {
    const results = await checkProvider(target(ollamaUrl.replace(/\/v1$/, '/bare/v1'), ['fake-model']), {});
    expect(results.find((r) => r.check === 'provider local: reachable')?.detail).toMatch(/lists no models \(HTTP 404\)/);
    expect(results.find((r) => r.check.endsWith('exists'))).toMatchObject({ status: 'ok', detail: 'answers a completion' });
    expect(results.find((r) => r.check.endsWith('tool calling'))?.status).toBe('ok');
  });

  it('fails a model that answers with text instead of calling the tool', async () => {
    fake.setDefault({ content: 'It is noon.' });
    const results = await checkProvider(target(fake.url, ['fake-model']), {});
    expect(results.find((r) => r.check.endsWith('tool calling'))).toMatchObject({
      status: 'fail',
      detail: 'answered with text instead of calling the tool: "It is noon."',
    });
    expect(results.find((r) => r.check === 'provider local: context window')?.status).toBe('skip');
  });

  it('fails a provider that does not answer, naming base_url as the fix, and checks nothing further', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/v1`;
    const results = await checkProvider(target(url, ['m']), {});
    expect(results).toEqual([
      {
        check: 'provider local: reachable',
        status: 'fail',
        detail: expect.stringContaining(`${url} is not reachable`),
        fix: 'start the server, or fix base_url in [providers.local] of ares.toml',
      },
    ]);
  });
});

describe('doctor install checks', () => {
  it('fails a Node.js older than engines.node and passes a newer one', () => {
    expect(checkNode('v20.18.3', '>=20.19')).toMatchObject({ status: 'fail', fix: expect.stringContaining('Node.js 20.19') });
    expect(checkNode('v22.1.0', '>=20.19').status).toBe('ok');
    expect(checkNode('v20.19.0', '^20').status).toBe('skip');
  });

  it('fails under 100 MiB free and warns under 1 GiB', () => {
    const statfs = (bavail: number) => (() => ({ bavail, bsize: 1024 * 1024 })) as never;
    expect(checkDisk('/tmp', statfs(50)).status).toBe('fail');
    expect(checkDisk('/tmp', statfs(500)).status).toBe('warn');
    expect(checkDisk('/tmp', statfs(5000)).status).toBe('ok');
  });
});
