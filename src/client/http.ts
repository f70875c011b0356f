/**
 * HTTP to the daemon over the control socket (SPEC §5: the CLI talks to the daemon only over the
 * socket). Uses `node:http` with `socketPath`: it is already loaded with Node, whereas importing undici
 * costs 75-100 ms on our 2-core machine, more than the whole `server status` budget (< 100 ms).
 */
import { request as httpRequest, type IncomingMessage, type RequestOptions as HttpOptions } from 'node:http';
import { createParser } from 'eventsource-parser';
import { DomainError } from '../domain/errors.js';
import { fromWireError } from '../domain/wire-error.js';

/** The daemon is not running (no socket, or nothing accepts on it). The CLI exits 3 for it (SPEC §5). */
export class NotRunningError extends Error {
  constructor(readonly socket: string) {
    super(`caxton is not running (nothing answers on ${socket}); start it with \`caxton server start\``);
    this.name = 'NotRunningError';
  }
}

/** Options of one request. `timeoutMs` bounds connect + response headers (default 30 s). */
export interface RequestOptions {
  method?: string;
  body?: unknown;
  /** A text body sent as is with this Content-Type (TOON/TOML/JSON imports), instead of `body`. */
  text?: { content: string; type: string };
  headers?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
}

let actingAs: Record<string, string> = {};

/**
 * `--as EMAIL` (SPEC §5): every later request of this process acts as that user (the socket's admin
 * may act as anyone). The daemon reads the `X-Caxton-As` header only on the control socket.
 */
export function setActingAs(email: string | undefined): void {
  actingAs = email ? { 'x-caxton-as': email } : {};
}

function send(socket: string, path: string, opts: RequestOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const payload = opts.text ? Buffer.from(opts.text.content) : opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const type = opts.text?.type ?? 'application/json';
    // `servername` is honoured by node's agent though missing from the http typings: without it node
    // derives it from the Host header with an IPv6 regex built on first use (~4 ms of `server status`).
    const options: HttpOptions & { servername: string } = {
      socketPath: socket,
      servername: 'caxton',
      path,
      method: opts.method ?? 'GET',
      headers: {
        host: 'caxton',
        ...(payload ? { 'content-type': type, 'content-length': String(payload.length) } : {}),
        ...actingAs,
        ...opts.headers,
      },
      ...(opts.signal ? { signal: opts.signal } : {}),
    };
    const req = httpRequest(options, resolve);
    req.setTimeout(opts.timeoutMs ?? 30_000, () => req.destroy(new DomainError('TIMEOUT', `the daemon did not answer ${path} in time`)));
    req.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') reject(new NotRunningError(socket));
      else reject(err);
    });
    req.end(payload);
  });
}

async function readBody(res: IncomingMessage): Promise<string> {
  res.setEncoding('utf8');
  let text = '';
  for await (const chunk of res) text += chunk as string;
  return text;
}

/** Turn an error response (`{"error": {code, message, details}}`, SPEC §6) into a DomainError. */
function errorFrom(status: number, text: string): DomainError {
  let parsed: DomainError | undefined;
  try {
    parsed = fromWireError(JSON.parse(text));
  } catch {
    /* not JSON */
  }
  return parsed ?? new DomainError('INTERNAL', `daemon answered HTTP ${status}: ${text.slice(0, 200)}`);
}

/**
 * Send a request and parse the JSON answer.
 * @throws NotRunningError, DomainError (from the daemon's error body, or TIMEOUT).
 */
export async function requestJson<T>(socket: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await send(socket, path, opts);
  const text = await readBody(res);
  const status = res.statusCode ?? 0;
  if (status < 200 || status >= 300) throw errorFrom(status, text);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** One Server-Sent Event: its `event` field (`message` when the frame has none) and its `data` lines joined by `\n`. */
export interface SseEvent {
  event: string;
  data: string;
}

/**
 * Send a request that answers with SSE and yield its events as they arrive, parsed by
 * `eventsource-parser` (the WHATWG event-stream rules: comments such as `: ping` keep-alives and
 * frames without `data` yield nothing).
 * @throws NotRunningError, DomainError for an error status.
 */
export async function* requestSse(socket: string, path: string, opts: RequestOptions = {}): AsyncIterable<SseEvent> {
  const res = await send(socket, path, { ...opts, headers: { accept: 'text/event-stream', ...opts.headers } });
  const status = res.statusCode ?? 0;
  if (status < 200 || status >= 300) throw errorFrom(status, await readBody(res));
  res.setEncoding('utf8');
  const parsed: SseEvent[] = [];
  const parser = createParser({ onEvent: ({ event, data }) => parsed.push({ event: event ?? 'message', data }) });
  for await (const chunk of res) {
    parser.feed(chunk as string);
    yield* parsed.splice(0);
  }
}

/**
 * Send a request and return the answer's body as text (canonical TOON/TOML exports).
 * @throws NotRunningError, DomainError (from the daemon's error body, or TIMEOUT).
 */
export async function requestText(socket: string, path: string, opts: RequestOptions = {}): Promise<string> {
  const res = await send(socket, path, opts);
  const text = await readBody(res);
  const status = res.statusCode ?? 0;
  if (status < 200 || status >= 300) throw errorFrom(status, text);
  return text;
}
