/**
 * The dashboard's client of the daemon's HTTP API (same origin, so no CORS). Who the dashboard acts
 * as: with tokens from `POST /api/auth/login` (kept in memory only, never in storage) each request
 * carries `Authorization: Bearer`; a 401 refreshes the pair once through `POST /api/auth/refresh` and
 * retries; without tokens requests go out bare (the anonymous local user of a loopback daemon).
 * Errors come back as `ApiError` with the daemon's `{code, message, details}`.
 */
import { signal } from '@preact/signals';
import { EventSourceParserStream } from 'eventsource-parser/stream';

/** One located problem, as the daemon reports it (field, file:line:col, code, hint). */
export interface ErrorDetail {
  field?: string;
  message: string;
  hint?: string;
  code?: string;
  file?: string;
  line?: number;
  col?: number;
}

/** A failed request: HTTP status and the daemon's error body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[],
  ) {
    super(message);
  }
}

interface Tokens {
  access: string;
  refresh: string;
}

/** The token pair while signed in (memory only). */
const tokens = signal<Tokens | undefined>(undefined);

/** Sign in with `POST /api/auth/login`. @throws ApiError (401 for a wrong email or password). */
export async function login(email: string, password: string): Promise<void> {
  const pair = await api<{ access_token: string; refresh_token: string }>('/api/auth/login', { method: 'POST', body: { email, password } });
  tokens.value = { access: pair.access_token, refresh: pair.refresh_token };
}

/** Revoke the refresh token (`POST /api/auth/logout`) and forget the pair. */
export async function logout(): Promise<void> {
  const t = tokens.value;
  tokens.value = undefined;
  if (t)
    await fetch('/api/auth/logout', { method: 'POST', headers: jsonHeaders(t.access), body: JSON.stringify({ refresh_token: t.refresh }) }).catch(
      () => undefined,
    );
}

/** `Authorization: Bearer` when signed in, else nothing. */
function authHeader(access: string | undefined): Record<string, string> {
  return access ? { authorization: `Bearer ${access}` } : {};
}

/** The headers of a request with a body of `type`. */
function jsonHeaders(access: string | undefined, type = 'application/json'): Record<string, string> {
  return { 'content-type': type, ...authHeader(access) };
}

/** Exchange the refresh token for a new pair; false (and signed out) when it is no longer valid. */
async function refresh(): Promise<boolean> {
  const t = tokens.value;
  if (!t) return false;
  const res = await fetch('/api/auth/refresh', { method: 'POST', headers: jsonHeaders(undefined), body: JSON.stringify({ refresh_token: t.refresh }) });
  if (!res.ok) {
    tokens.value = undefined;
    return false;
  }
  const pair = (await res.json()) as { access_token: string; refresh_token: string };
  tokens.value = { access: pair.access_token, refresh: pair.refresh_token };
  return true;
}

/** Options of one request: a JSON body (or `text` with its content type), an abort signal, extra headers. */
export interface RequestOptions {
  method?: string;
  body?: unknown;
  text?: string;
  type?: string;
  signal?: AbortSignal;
  accept?: string;
}

/**
 * Send a request as the current identity, refreshing once on 401; a request without a body sends no
 * Content-Type (so the first GETs reuse the responses index.html preloads). @returns the raw Response (ok or not).
 */
export async function send(path: string, opts: RequestOptions = {}): Promise<Response> {
  const hasBody = opts.text !== undefined || opts.body !== undefined;
  const attempt = () =>
    fetch(path, {
      method: opts.method ?? 'GET',
      headers: {
        ...(hasBody ? jsonHeaders(tokens.value?.access, opts.type) : authHeader(tokens.value?.access)),
        ...(opts.accept ? { accept: opts.accept } : {}),
      },
      ...(opts.text !== undefined ? { body: opts.text } : opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  const res = await attempt();
  if (res.status === 401 && tokens.value && path !== '/api/auth/login' && (await refresh())) return attempt();
  return res;
}

/** The error a failed response carries. */
export async function errorOf(res: Response): Promise<ApiError> {
  const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string; details?: ErrorDetail[] } };
  const e = body.error ?? {};
  return new ApiError(res.status, e.code ?? 'HTTP_' + res.status, e.message ?? res.statusText, e.details ?? []);
}

/** A JSON request. @returns the parsed body (undefined for 204). @throws ApiError for a non-2xx answer. */
export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await send(path, opts);
  if (!res.ok) throw await errorOf(res);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** A text request (e.g. an agent's TOON). @throws ApiError for a non-2xx answer. */
export async function apiText(path: string, opts: RequestOptions = {}): Promise<string> {
  const res = await send(path, opts);
  if (!res.ok) throw await errorOf(res);
  return res.text();
}

/** One Server-Sent Event: its `event` name and parsed JSON `data`. */
export interface SseEvent {
  event: string;
  data: unknown;
}

/**
 * Read an SSE response body event by event (fetch streaming, so the Authorization header can be
 * sent, which EventSource cannot), parsed by `eventsource-parser`: comments (`: ping` keep-alives)
 * and frames without `data` yield nothing; `event` is `message` when the frame names none.
 * @throws SyntaxError when an event's data is not JSON (every dashboard stream sends JSON).
 */
export async function* readSse(res: Response): AsyncGenerator<SseEvent> {
  // A reader rather than `for await` over the stream: Safari's ReadableStream is not async-iterable.
  const reader = res.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    yield { event: next.value.event ?? 'message', data: JSON.parse(next.value.data) };
  }
}
