/**
 * `caxton doctor`, the provider half (issue requirement "caxton doctor": each provider for real:
 * reachable, key accepted, model exists, tool calling works, context window, embeddings). Talks to
 * OpenAI-compatible servers with the official `openai` SDK (no retries, a bounded timeout): `GET
 * /models` for reachability, the key and the model ids; one tiny chat completion per model with one
 * tool and `tool_choice: "required"`; for Ollama (found by `GET /api/version`), `POST /api/show` for
 * the model's `num_ctx`. Keys are never shown: every server text is scrubbed of the provider's key.
 */
import type OpenAI from 'openai';
import type { ProviderConfig } from '../../domain/providers.js';
import { SecretScrubber } from '../../domain/secrets.js';
import { messageOf, result, type CheckResult } from './check.js';

/** One provider to check with the model ids its models ask it for, each with the model aliases (and files) using it. */
export interface ProviderTarget {
  name: string;
  config: ProviderConfig;
  /** Provider model id (e.g. `gpt-4o-mini`) -> aliases of config/models using it, e.g. `balanced (config/models/balanced.toon)`. */
  models: ReadonlyMap<string, string[]>;
}

/** Longest wait for one provider request (ms), whatever the provider's own `timeout_ms`. */
const MAX_PROBE_MS = 30_000;
/** Ollama context sizes below this (tokens) often cut the tool definitions out of the prompt. */
export const MIN_TOOL_CONTEXT_TOKENS = 8192;

/** The one tool of the tool-calling probe. */
const PROBE_TOOL = {
  type: 'function' as const,
  function: {
    name: 'get_current_time',
    description: 'Returns the current time. Always call this tool to answer.',
    parameters: { type: 'object', properties: {}, additionalProperties: false },
  },
};

type Sdk = typeof import('openai');

/** Where a provider's key comes from, for fixes (`OPENAI_API_KEY`, or the inline key). */
function keySource(p: ProviderTarget): string {
  return p.config.api_key_env ?? `api_key in [providers.${p.name}] of ares.toml`;
}

/** What each model's check line is called: `model gpt-4o-mini (balanced, fast)`. */
function modelLabel(id: string, aliases: readonly string[]): string {
  return `model ${id} (${aliases.join(', ')})`;
}

/** The server's root for non-OpenAI routes: `base_url` without a trailing `/v1`. */
function serverRoot(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
}

/** Context of one provider's checks: the SDK client, its error classes and the key scrubber. */
interface Probe {
  target: ProviderTarget;
  sdk: Sdk['default'];
  client: OpenAI;
  scrub: (s: string) => string;
  /** True when a key is configured (inline or from its env var). */
  keyed: boolean;
  timeoutMs: number;
}

/** ` (ECONNREFUSED)`: the first errno code in an error's cause chain, which says more than the SDK's "Connection error."; '' when none. */
function connectionCause(err: unknown): string {
  let e = err as { cause?: unknown; code?: unknown } | undefined;
  for (let i = 0; e && i < 5; i++, e = e.cause as typeof e) if (typeof e.code === 'string' && /^E[A-Z_]+$/.test(e.code)) return ` (${e.code})`;
  return '';
}

/** A failure of an SDK call as a result for `check`: connection, rejected key, unknown model, or the server's own words. */
function apiFailure(probe: Probe, check: string, err: unknown): CheckResult {
  const { sdk, target } = probe;
  const why = probe.scrub(messageOf(err));
  if (err instanceof sdk.APIConnectionError) {
    return result(
      check,
      'fail',
      `${target.config.base_url} is not reachable: ${why}${connectionCause(err)}`,
      `start the server, or fix base_url in [providers.${target.name}] of ares.toml`,
    );
  }
  if (err instanceof sdk.AuthenticationError || err instanceof sdk.PermissionDeniedError) {
    return result(check, 'fail', `key rejected (HTTP ${err.status})`, `key rejected: set ${keySource(target)} to a valid key`);
  }
  if (err instanceof sdk.NotFoundError) {
    return result(check, 'fail', `not found (HTTP 404): ${why}`, `check the model id in config/models and base_url in [providers.${target.name}]`);
  }
  return result(check, 'fail', why, `see the provider's documentation for this error; caxton doctor --provider ${target.name} repeats the check`);
}

/**
 * Reachability and key: `GET /models`. Returns the results and the model ids when the server lists
 * them (undefined when it has no such route: 404 or 405), or `stop` when nothing more can be checked
 * (not reachable, key rejected, or another error status, shown with the server's words).
 */
async function checkListing(probe: Probe): Promise<{ results: CheckResult[]; ids?: Set<string>; stop: boolean }> {
  const { target, sdk } = probe;
  const name = `provider ${target.name}`;
  const reach = `${name}: reachable`;
  try {
    const ids = new Set<string>();
    for await (const m of probe.client.models.list({ timeout: probe.timeoutMs })) ids.add(m.id);
    return {
      results: [
        result(reach, 'ok', `${target.config.base_url} answers (${ids.size} models listed)`),
        probe.keyed ? result(`${name}: key`, 'ok', 'accepted') : result(`${name}: key`, 'skip', 'no key configured; the server asks for none'),
      ],
      ids,
      stop: false,
    };
  } catch (err) {
    if (err instanceof sdk.AuthenticationError || err instanceof sdk.PermissionDeniedError) {
      return { results: [result(reach, 'ok', `${target.config.base_url} answers`), apiFailure(probe, `${name}: key`, err)], stop: true };
    }
    if (err instanceof sdk.APIError && (err.status === 404 || err.status === 405)) {
      const note = `${target.config.base_url} answers; it lists no models (HTTP ${err.status}), so each model is checked by a completion`;
      return { results: [result(reach, 'ok', note)], stop: false };
    }
    return { results: [apiFailure(probe, reach, err)], stop: true };
  }
}

/** True when a text reply looks like a tool call written out instead of made (JSON naming the tool, `<tool_call>` tags). */
function looksLikePrintedCall(text: string): boolean {
  return text.includes(PROBE_TOOL.function.name) || /<\/?tool_call>|"(name|function|arguments)"\s*:/.test(text);
}

/**
 * The tool-calling probe for model `id`: one tool, `tool_choice: "required"`. A model that answers
 * with text, or prints the call as text (a known failure of small local models), fails with a hint.
 */
async function checkToolCalling(probe: Probe, id: string, check: string, ollama: boolean): Promise<{ outcome: CheckResult; modelMissing: boolean }> {
  const hint = ollama
    ? `use a model tagged "tools" on ollama.com (e.g. qwen2.5, llama3.1) and a num_ctx of at least ${MIN_TOOL_CONTEXT_TOKENS}`
    : 'use a model with function calling support, or give the agents using it no tools';
  try {
    const reply = await probe.client.chat.completions.create(
      {
        model: id,
        messages: [{ role: 'user', content: 'What time is it? Use the tool.' }],
        tools: [PROBE_TOOL],
        tool_choice: 'required',
        max_tokens: 64,
      },
      { timeout: probe.timeoutMs },
    );
    const message = reply.choices[0]?.message;
    const calls = (message?.tool_calls ?? []).filter((c) => c.type === 'function');
    if (calls.length > 0) return { outcome: result(check, 'ok', `called ${calls.map((c) => c.function.name).join(', ')}`), modelMissing: false };
    const text = probe.scrub(message?.content ?? '').slice(0, 120);
    const outcome = looksLikePrintedCall(text)
      ? result(check, 'fail', `printed the tool call as text instead of calling it: ${JSON.stringify(text)}`, hint)
      : result(check, 'fail', `answered with text instead of calling the tool: ${JSON.stringify(text)}`, hint);
    return { outcome, modelMissing: false };
  } catch (err) {
    const failed = apiFailure(probe, check, err);
    const outcome =
      err instanceof probe.sdk.BadRequestError ? { ...failed, detail: `the server refused a request with tools: ${failed.detail}`, fix: hint } : failed;
    return { outcome, modelMissing: err instanceof probe.sdk.NotFoundError };
  }
}

/** The Ollama version when `root` is an Ollama server (`GET /api/version`), else undefined. */
async function ollamaVersion(root: string, timeoutMs: number): Promise<string | undefined> {
  try {
    const res = await fetch(`${root}/api/version`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json()) as { version?: unknown };
    return res.ok && typeof body.version === 'string' ? body.version : undefined;
  } catch {
    return undefined;
  }
}

/** `num_ctx` set in the `parameters` text of an `/api/show` answer (`num_ctx    8192`), or undefined. */
export function numCtxOf(parameters: unknown): number | undefined {
  const m = typeof parameters === 'string' ? parameters.match(/^\s*num_ctx\s+(\d+)\s*$/m) : null;
  return m ? Number(m[1]) : undefined;
}

/**
 * Ollama's context window for model `id` (`POST /api/show`): `num_ctx` below 8192, or unset (Ollama's
 * default of 2048 to 4096 tokens then applies and long prompts lose the tool definitions), warns.
 */
async function checkOllamaContext(root: string, id: string, check: string, timeoutMs: number): Promise<CheckResult> {
  const fix = `start Ollama with OLLAMA_CONTEXT_LENGTH=${MIN_TOOL_CONTEXT_TOKENS}, or add "PARAMETER num_ctx ${MIN_TOOL_CONTEXT_TOKENS}" to a Modelfile FROM ${id} and \`ollama create\` it`;
  try {
    const res = await fetch(`${root}/api/show`, { method: 'POST', body: JSON.stringify({ model: id }), signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return result(check, 'warn', `POST /api/show answered HTTP ${res.status}`, `ollama pull ${id}`);
    const numCtx = numCtxOf(((await res.json()) as { parameters?: unknown }).parameters);
    if (numCtx === undefined) {
      return result(
        check,
        'warn',
        "num_ctx is not set for this model: Ollama's default (2048-4096 tokens, or OLLAMA_CONTEXT_LENGTH of the server) applies and cuts long prompts and tool definitions",
        fix,
      );
    }
    return numCtx < MIN_TOOL_CONTEXT_TOKENS
      ? result(check, 'warn', `num_ctx ${numCtx} tokens: prompts with tool definitions get cut`, fix)
      : result(check, 'ok', `num_ctx ${numCtx} tokens`);
  } catch (err) {
    return result(check, 'skip', `POST /api/show failed: ${messageOf(err)}`);
  }
}

/** Checks of one model id: exists (from the listing, else the completion answering), tool calling, and Ollama's context window. */
async function checkModel(
  probe: Probe,
  id: string,
  aliases: readonly string[],
  ids: Set<string> | undefined,
  ollama: string | undefined,
): Promise<CheckResult[]> {
  const label = modelLabel(id, aliases);
  if (ids && !ids.has(id)) {
    const listed = [...ids].slice(0, 8).join(', ');
    const fix = ollama ? `ollama pull ${id}` : `set model in ${aliases.join(', ')} to one the provider offers (${listed}${ids.size > 8 ? ', ...' : ''})`;
    return [result(`${label}: exists`, 'fail', `provider ${probe.target.name} does not offer "${id}"`, fix)];
  }
  const tools = await checkToolCalling(probe, id, `${label}: tool calling`, ollama !== undefined);
  if (tools.modelMissing) return [{ ...tools.outcome, check: `${label}: exists` }];
  const out = [result(`${label}: exists`, 'ok', ids ? 'listed by GET /models' : 'answers a completion'), tools.outcome];
  if (ollama) out.push(await checkOllamaContext(serverRoot(probe.target.config.base_url!), id, `${label}: context window`, probe.timeoutMs));
  return out;
}

/**
 * Every check of one OpenAI-compatible provider, in order: key present, reachable, key accepted, then
 * per model id: exists, tool calling, context window (Ollama). Embeddings are checked once, for the
 * embedder `[memory] embedder` names (src/cli/doctor/embeddings.ts).
 */
async function checkOpenAICompatible(target: ProviderTarget, env: NodeJS.ProcessEnv): Promise<CheckResult[]> {
  const name = `provider ${target.name}`;
  const key = target.config.api_key ?? (target.config.api_key_env ? env[target.config.api_key_env] : undefined);
  if (target.config.type === 'openai' && !key) {
    return [
      result(
        `${name}: key`,
        'fail',
        `${keySource(target)} is not set`,
        `key missing: set ${keySource(target)} in the daemon's environment (e.g. export ${target.config.api_key_env ?? 'OPENAI_API_KEY'}=sk-...)`,
      ),
    ];
  }
  const { default: sdk } = await import('openai');
  const timeoutMs = Math.min(target.config.timeout_ms, MAX_PROBE_MS);
  const client = new sdk({ apiKey: key ?? 'none', maxRetries: 0, timeout: timeoutMs, ...(target.config.base_url ? { baseURL: target.config.base_url } : {}) });
  const scrub = new SecretScrubber([key]).scrub;
  const probe: Probe = { target, sdk, client, scrub, keyed: key !== undefined, timeoutMs };
  const listing = await checkListing(probe);
  if (listing.stop) return listing.results;
  const ollama = target.config.base_url ? await ollamaVersion(serverRoot(target.config.base_url), timeoutMs) : undefined;
  const out = [...listing.results];
  for (const [id, aliases] of target.models) out.push(...(await checkModel(probe, id, aliases, listing.ids, ollama)));
  if (!ollama) out.push(result(`${name}: context window`, 'skip', 'not an Ollama server (no /api/version): the context window is not checked'));
  return out;
}

/** Every check of one provider; offline and scripted providers need no network and only say so. */
export async function checkProvider(target: ProviderTarget, env: NodeJS.ProcessEnv = process.env): Promise<CheckResult[]> {
  const name = `provider ${target.name}`;
  if (target.config.type === 'offline') return [result(name, 'ok', 'offline: canned replies, no network')];
  if (target.config.type === 'scripted') return [result(name, 'ok', `scripted replies from ${target.config.script ?? '(no script)'}, no network`)];
  return checkOpenAICompatible(target, env);
}
