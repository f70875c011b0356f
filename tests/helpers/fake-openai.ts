/**
 * Fake OpenAI Chat Completions server for tests and benchmarks.
 *
 * Speaks the real OpenAI HTTP protocol on 127.0.0.1 (random port by default)
 * using only `node:http`, so the official `openai` SDK (or any other client)
 * can talk to it unchanged:
 *
 *   - `POST /v1/chat/completions`: non-streaming `chat.completion` objects, or
 *     (with `stream: true`) Server-Sent Events of `chat.completion.chunk`
 *     objects ending with `data: [DONE]`, including streamed tool calls and
 *     the final usage chunk when `stream_options.include_usage` is set.
 *   - `GET /v1/models`: a single `fake-model`.
 *   - `POST /v1/embeddings`: deterministic vectors (`fakeEmbedding`: 64 dimensions, a bag of hashed
 *     words), one per `input` string, with OpenAI's response shape and a word count as usage;
 *     `enqueueEmbeddings` holds an answer until a promise settles, or makes it an HTTP error.
 *   - with `apiKey` set, every request without `Authorization: Bearer <apiKey>`
 *     gets 401 `invalid_api_key`, as OpenAI answers a wrong key.
 *   - anything else: a 404 in OpenAI's error JSON shape.
 *
 * Replies are scripted with `enqueue()` (FIFO, one per chat completion
 * request); when the queue is empty the default reply is used, which echoes
 * the last user message (or, with `bySystemPrompt`, depends on the system prompt). Replies can simulate HTTP errors (with Retry-After),
 * latency (honouring client aborts), slow streams and malformed bodies.
 *
 * It is used in overhead benchmarks, so it stays lean: no logging, no
 * dependencies, and minimal per-request work.
 */
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** One scripted tool call; `arguments` is JSON text, exactly as OpenAI sends it. */
export interface FakeToolCall {
  id?: string;
  name: string;
  arguments: string;
}

/** A scripted reply to one `POST /v1/chat/completions` request. */
export interface FakeReply {
  /** Assistant text (default: "ok"; null when only tool calls are given). */
  content?: string;
  /** When set, the reply carries these tool calls and finish_reason "tool_calls". */
  tool_calls?: FakeToolCall[];
  /** HTTP error status to return instead (e.g. 429, 500). */
  status?: number;
  /**
   * With an error `status`: the error message quotes the request's Authorization header (and this
   * text, when a string), as some providers do on 400/422/500 (secret-scrubbing tests).
   */
  echo_auth?: boolean | string;
  /** Seconds, sent as a Retry-After header with an error status. */
  retry_after?: number;
  /** Wait before answering (headers included); stops waiting if the client aborts. */
  delay_ms?: number;
  /** In streaming mode, wait this long between chunks. */
  chunk_delay_ms?: number;
  /** Send this exact body with status 200 and application/json (malformed-JSON tests). */
  raw_body?: string;
  /** Override the computed token usage. */
  usage?: { prompt_tokens: number; completion_tokens: number };
}

/** A scripted answer to one `POST /v1/embeddings` request: wait for `wait` first, then the vectors, or the HTTP error `status`. */
export interface FakeEmbeddingsReply {
  wait?: Promise<void>;
  status?: number;
}

/** One request received by the fake server (body is the parsed JSON, if any). */
export interface FakeRequestLog {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** Handle on a running fake server. */
export interface FakeOpenAI {
  /** Base URL including /v1, e.g. http://127.0.0.1:PORT/v1 */
  url: string;
  /** The port the server listens on. */
  port: number;
  /** Every request received, in order (parsed JSON body). */
  requests: FakeRequestLog[];
  /** Queue replies, served in FIFO order; when empty, the default reply is used. */
  enqueue(...replies: FakeReply[]): void;
  /** Script the next `POST /v1/embeddings` answers (FIFO); when empty, each request gets its vectors at once. */
  enqueueEmbeddings(...replies: FakeEmbeddingsReply[]): void;
  /** Replace the default reply (a fixed reply or a function of the request). */
  setDefault(reply: FakeReply | ((req: FakeRequestLog) => FakeReply)): void;
  /** Close the server and destroy any open sockets. */
  close(): Promise<void>;
}

type DefaultReply = FakeReply | ((req: FakeRequestLog) => FakeReply);

const JSON_HEADERS = { 'content-type': 'application/json' } as const;
const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
} as const;

const ERROR_KINDS: Record<number, [type: string, code: string | null]> = {
  400: ['invalid_request_error', null],
  401: ['invalid_request_error', 'invalid_api_key'],
  403: ['permission_error', null],
  404: ['invalid_request_error', 'not_found'],
  408: ['timeout_error', null],
  409: ['invalid_request_error', 'conflict'],
  422: ['invalid_request_error', null],
  429: ['rate_limit_error', 'rate_limit_exceeded'],
  500: ['server_error', null],
  502: ['server_error', null],
  503: ['server_error', 'service_unavailable'],
  504: ['server_error', null],
};

/** Dimensions of `fakeEmbedding` vectors. */
export const FAKE_EMBEDDING_DIMS = 64;

/**
 * A deterministic embedding: each lower-cased word (letters and digits) adds 1 at the index of its
 * FNV-1a hash modulo 64. Texts sharing words are close; no meaning beyond that. Not normalised.
 */
export function fakeEmbedding(text: string): number[] {
  const v = new Array<number>(FAKE_EMBEDDING_DIMS).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    let h = 0x811c9dc5;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193) >>> 0;
    v[h % FAKE_EMBEDDING_DIMS]! += 1;
  }
  return v;
}

/** The `POST /v1/embeddings` reply for `body` (`input`: a string or strings). */
function embeddingsBody(body: any): unknown {
  const inputs: string[] = Array.isArray(body.input) ? body.input.map(String) : [String(body.input ?? '')];
  const tokens = inputs.reduce((n, t) => n + countWords(t), 0);
  return {
    object: 'list',
    data: inputs.map((t, index) => ({ object: 'embedding', index, embedding: fakeEmbedding(t) })),
    model: String(body.model ?? ''),
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

/** Count whitespace-separated words without allocating. */
function countWords(s: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ws = c === 32 || (c >= 9 && c <= 13);
    if (ws) inWord = false;
    else if (!inWord) {
      inWord = true;
      n++;
    }
  }
  return n;
}

/** Text of a message `content` (string or array of content parts). */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    let out = '';
    for (const part of content) {
      if (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string') {
        out += (out ? ' ' : '') + (part as { text: string }).text;
      }
    }
    return out;
  }
  return '';
}

/** Rough prompt token count: words in all message contents. */
function countPromptWords(body: any): number {
  const messages: unknown = body?.messages;
  if (!Array.isArray(messages)) return 0;
  let n = 0;
  for (const m of messages) n += countWords(contentText((m as { content?: unknown } | null)?.content));
  return n;
}

/** The default reply: echo the last user message. */
function echoReply(req: FakeRequestLog): FakeReply {
  const messages: unknown = req.body?.messages;
  let text = '';
  if (Array.isArray(messages)) {
    for (let i = messages.length - 1; i >= 0; i--) {
      const m = messages[i] as { role?: unknown; content?: unknown } | null;
      if (m && m.role === 'user') {
        text = contentText(m.content);
        break;
      }
    }
  }
  return { content: `echo: ${text}` };
}

/**
 * A default reply chosen by the request's system prompt (multi-agent tests: each agent's prompt
 * decides what "its model" answers): the reply of the first rule whose pattern the first system
 * message matches, else `otherwise` (default: the echo reply). Use with `setDefault` or `opts.default`.
 */
export function bySystemPrompt(rules: readonly [pattern: RegExp, reply: FakeReply][], otherwise: (req: FakeRequestLog) => FakeReply = echoReply) {
  return (req: FakeRequestLog): FakeReply => {
    const first = Array.isArray(req.body?.messages) ? (req.body.messages[0] as { role?: unknown; content?: unknown } | undefined) : undefined;
    const system = first?.role === 'system' ? contentText(first.content) : '';
    for (const [pattern, reply] of rules) if (pattern.test(system)) return reply;
    return otherwise(req);
  };
}

/** Split text into word chunks, keeping the spaces ("a b" -> ["a", " b"]). */
function splitWords(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [];
}

/** Send a JSON body with an explicit content-length (keeps keep-alive cheap). */
function sendJson(res: ServerResponse, status: number, body: string, extra?: Record<string, string>): void {
  const headers: Record<string, string | number> = { ...JSON_HEADERS, 'content-length': Buffer.byteLength(body) };
  if (extra) Object.assign(headers, extra);
  res.writeHead(status, headers);
  res.end(body);
}

/** Send an error in OpenAI's error JSON shape. */
function sendError(res: ServerResponse, status: number, message: string, retryAfter?: number): void {
  const kind = ERROR_KINDS[status] ?? [status >= 500 ? 'server_error' : 'invalid_request_error', null];
  const body = JSON.stringify({ error: { message, type: kind[0], param: null, code: kind[1] } });
  sendJson(res, status, body, retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : undefined);
}

/** True once the client has gone away (or the response is otherwise finished). */
function isGone(res: ServerResponse): boolean {
  return res.destroyed || res.writableEnded;
}

/** Wait `ms`, resolving false early if the client connection closes. */
function wait(res: ServerResponse, ms: number): Promise<boolean> {
  if (isGone(res)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(!isGone(res));
    }, ms);
    res.once('close', onClose);
  });
}

/** Read the whole request body as UTF-8 text. */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Start a fake OpenAI server on 127.0.0.1 (port 0 = random unless `opts.port`).
 * `opts.default` replaces the default echo reply.
 */
export async function startFakeOpenAI(opts?: {
  port?: number;
  default?: FakeReply | ((req: FakeRequestLog) => FakeReply);
  /** The only key accepted; requests with another (or none) get 401. Default: any key. */
  apiKey?: string;
}): Promise<FakeOpenAI> {
  const requests: FakeRequestLog[] = [];
  const queue: FakeReply[] = [];
  const embeddingsQueue: FakeEmbeddingsReply[] = [];
  let queueHead = 0;
  let defaultReply: DefaultReply = opts?.default ?? echoReply;
  let seq = 0;
  const sockets = new Set<Socket>();
  const startedAt = Math.floor(Date.now() / 1000);
  const modelsBody = JSON.stringify({
    object: 'list',
    data: [{ id: 'fake-model', object: 'model', created: startedAt, owned_by: 'fake' }],
  });

  const nextReply = (log: FakeRequestLog): FakeReply => {
    if (queueHead < queue.length) {
      const r = queue[queueHead]!;
      queue[queueHead++] = undefined as unknown as FakeReply;
      if (queueHead === queue.length) {
        queue.length = 0;
        queueHead = 0;
      }
      return r;
    }
    return typeof defaultReply === 'function' ? defaultReply(log) : defaultReply;
  };

  const handleChat = async (res: ServerResponse, log: FakeRequestLog): Promise<void> => {
    const reply = nextReply(log);
    if (reply.delay_ms !== undefined && reply.delay_ms > 0) {
      if (!(await wait(res, reply.delay_ms))) return;
    }
    if (isGone(res)) return;

    if (reply.status !== undefined && (reply.status < 200 || reply.status >= 300)) {
      const echo = reply.echo_auth
        ? `: invalid header Authorization: ${String(log.headers.authorization)}${typeof reply.echo_auth === 'string' ? ` ${reply.echo_auth}` : ''}`
        : '';
      sendError(res, reply.status, `Fake error (HTTP ${reply.status})${echo}`, reply.retry_after);
      return;
    }
    if (reply.raw_body !== undefined) {
      sendJson(res, 200, reply.raw_body);
      return;
    }

    const body = log.body;
    const model: string = typeof body?.model === 'string' ? body.model : 'fake-model';
    const id = `chatcmpl-${++seq}`;
    const created = Math.floor(Date.now() / 1000);
    const toolCalls = reply.tool_calls && reply.tool_calls.length > 0 ? reply.tool_calls : undefined;
    const content: string | null = reply.content ?? (toolCalls ? null : 'ok');
    const finishReason = toolCalls ? 'tool_calls' : 'stop';
    const promptTokens = reply.usage ? reply.usage.prompt_tokens : countPromptWords(body);
    const completionTokens = reply.usage ? reply.usage.completion_tokens : Math.max(1, content ? countWords(content) : 0);
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    };
    const toolCallIds = toolCalls?.map((tc, i) => tc.id ?? `call_${seq}_${i}`);

    if (body?.stream !== true) {
      const message: Record<string, unknown> = { role: 'assistant', content, refusal: null };
      if (toolCalls) {
        message.tool_calls = toolCalls.map((tc, i) => ({
          id: toolCallIds![i],
          type: 'function',
          function: { name: tc.name, arguments: tc.arguments },
        }));
      }
      sendJson(
        res,
        200,
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
          usage,
        }),
      );
      return;
    }

    // Streaming.
    const includeUsage = body?.stream_options?.include_usage === true;
    const chunkUsage = includeUsage ? null : undefined; // OpenAI sends usage:null on each chunk then
    const frame = (delta: unknown, finish: string | null): string =>
      `data: ${JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
        usage: chunkUsage,
      })}\n\n`;

    const frames: string[] = [frame({ role: 'assistant', content: '' }, null)];
    if (content) for (const piece of splitWords(content)) frames.push(frame({ content: piece }, null));
    if (toolCalls) {
      toolCalls.forEach((tc, index) => {
        const args = tc.arguments;
        const cut = args.length > 1 ? Math.ceil(args.length / 2) : args.length;
        frames.push(
          frame(
            {
              tool_calls: [{ index, id: toolCallIds![index], type: 'function', function: { name: tc.name, arguments: args.slice(0, cut) } }],
            },
            null,
          ),
        );
        if (cut < args.length) {
          frames.push(frame({ tool_calls: [{ index, function: { arguments: args.slice(cut) } }] }, null));
        }
      });
    }
    frames.push(frame({}, finishReason));
    if (includeUsage) {
      frames.push(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`);
    }
    frames.push('data: [DONE]\n\n');

    res.writeHead(200, SSE_HEADERS);
    const gap = reply.chunk_delay_ms ?? 0;
    if (gap <= 0) {
      res.end(frames.join(''));
      return;
    }
    for (let i = 0; i < frames.length; i++) {
      if (i > 0 && !(await wait(res, gap))) return;
      res.write(frames[i]!);
    }
    res.end();
  };

  const server = http.createServer((req, res) => {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
    const method = req.method ?? 'GET';

    if (opts?.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      requests.push({ path, headers: req.headers, body: undefined });
      req.resume();
      sendError(res, 401, 'Incorrect API key provided.');
      return;
    }
    if (method === 'GET' || method === 'HEAD') {
      requests.push({ path, headers: req.headers, body: undefined });
      req.resume();
      if (path === '/v1/models') sendJson(res, 200, modelsBody);
      else sendError(res, 404, `Unknown request URL: ${method} ${path}`);
      return;
    }

    readBody(req).then(
      (text) => {
        let body: any = undefined;
        let bad = false;
        if (text.length > 0) {
          try {
            body = JSON.parse(text);
          } catch {
            body = text;
            bad = true;
          }
        }
        const log: FakeRequestLog = { path, headers: req.headers, body };
        requests.push(log);
        if (method === 'POST' && path === '/v1/embeddings' && body && typeof body === 'object') {
          const scripted = embeddingsQueue.shift() ?? {};
          void (scripted.wait ?? Promise.resolve()).then(() => {
            if (isGone(res)) return;
            if (scripted.status) sendError(res, scripted.status, `Fake embeddings failure (${scripted.status})`);
            else sendJson(res, 200, JSON.stringify(embeddingsBody(body)));
          });
        } else if (method !== 'POST' || path !== '/v1/chat/completions') {
          sendError(res, 404, `Unknown request URL: ${method} ${path}`);
        } else if (bad || body === null || typeof body !== 'object') {
          sendError(res, 400, 'We could not parse the JSON body of your request.');
        } else {
          handleChat(res, log).catch(() => {
            if (!res.headersSent && !isGone(res)) sendError(res, 500, 'Fake server internal error');
            else res.destroy();
          });
        }
      },
      () => res.destroy(),
    );
  });

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts?.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    enqueue(...replies: FakeReply[]): void {
      for (const r of replies) queue.push(r);
    },
    enqueueEmbeddings(...replies: FakeEmbeddingsReply[]): void {
      embeddingsQueue.push(...replies);
    },
    setDefault(reply: DefaultReply): void {
      defaultReply = reply;
    },
    close(): Promise<void> {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        sockets.clear();
      });
    },
  };
}
