/**
 * The expectations of a scenario case (src/config/scenario.ts `ExpectSchema`) checked against what
 * the run did. Each failed expectation says what was expected and what happened; `equals` adds a
 * unified diff of the reply (the `diff` package); `json` with a schema lists Ajv's errors.
 * Vocabulary after promptfoo (contains, icontains, regex, equals, is-json, cost, latency, llm-rubric).
 */
import { isDeepStrictEqual } from 'node:util';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { createTwoFilesPatch } from 'diff';
import type { Expectations } from '../config/scenario.js';

/** One tool call of the run, with its result as the model saw it. */
export interface ObservedCall {
  name: string;
  /** Arguments as parsed JSON (the raw text when it is not JSON). */
  arguments: unknown;
  result: string;
  is_error: boolean;
  /** True when the result is the case's `mock_tools` entry (the real tool did not run). */
  mocked: boolean;
}

/** What a run did, as the expectations see it. */
export interface Outcome {
  reply: string;
  /** Finish reason of the `done` event; `error` when the run failed. */
  finish_reason: string;
  /** The failure of a run that ended with an `error` event. */
  error?: { code: string; message: string };
  tool_calls: ObservedCall[];
  /** Model calls made. */
  iterations: number;
  /** USD. */
  cost_usd: number;
  /** Wall-clock ms of the run. */
  latency_ms: number;
}

/** One expectation that was not met. */
export interface Failure {
  /** The expectation's key, e.g. `contains`, `tool_args`. */
  assertion: string;
  /** What it expected, in words. */
  expected: string;
  /** What happened, in words. */
  actual: string;
  /** Unified diff expected -> actual, for text comparisons. */
  diff?: string;
}

/** A graded rubric: `pass`, with the judge's reason. */
export type Judge = (rubric: string, reply: string) => Promise<{ pass: boolean; reason: string }>;

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats.default(ajv);

const q = (s: string) => JSON.stringify(s);
const clip = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);
const sameTool = (called: string, wanted: string) => called === wanted || called === wanted.replace('.', '__');

/** True when `actual` contains every field of `expected` with an equal value (objects recursively). */
function isSubset(expected: unknown, actual: unknown): boolean {
  if (expected === null || typeof expected !== 'object' || Array.isArray(expected)) return isDeepStrictEqual(expected, actual);
  if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
  return Object.entries(expected).every(([k, v]) => isSubset(v, (actual as Record<string, unknown>)[k]));
}

/** Text expectations: contains, not_contains, icontains, regex, equals. */
function textChecks(e: Expectations, reply: string, out: Failure[]): void {
  const said = `the reply was ${q(clip(reply))}`;
  for (const s of e.contains ?? []) if (!reply.includes(s)) out.push({ assertion: 'contains', expected: `the reply contains ${q(s)}`, actual: said });
  for (const s of e.not_contains ?? [])
    if (reply.includes(s)) out.push({ assertion: 'not_contains', expected: `the reply does not contain ${q(s)}`, actual: said });
  for (const s of e.icontains ?? []) {
    if (!reply.toLowerCase().includes(s.toLowerCase())) out.push({ assertion: 'icontains', expected: `the reply contains ${q(s)} (any case)`, actual: said });
  }
  for (const p of e.regex ?? []) if (!new RegExp(p).test(reply)) out.push({ assertion: 'regex', expected: `the reply matches /${p}/`, actual: said });
  if (e.equals !== undefined && reply.trim() !== e.equals.trim()) {
    const diff = createTwoFilesPatch('expected', 'reply', `${e.equals.trim()}\n`, `${reply.trim()}\n`, '', '', { context: 3 }).split('\n').slice(1).join('\n');
    out.push({ assertion: 'equals', expected: `the reply equals ${q(clip(e.equals))}`, actual: said, diff });
  }
  if (e.json !== undefined) jsonCheck(e.json, reply, out);
}

/** `json = true`: the reply parses as JSON; `json = {schema}`: and is valid against it. */
function jsonCheck(schema: true | Record<string, unknown>, reply: string, out: Failure[]): void {
  let value: unknown;
  try {
    value = JSON.parse(reply);
  } catch (err) {
    out.push({ assertion: 'json', expected: 'the reply is valid JSON', actual: `it is not (${(err as Error).message}): ${q(clip(reply))}` });
    return;
  }
  if (schema === true) return;
  const validate = ajv.compile(schema);
  if (!validate(value))
    out.push({ assertion: 'json', expected: 'the reply is JSON valid against the schema', actual: ajv.errorsText(validate.errors, { dataVar: 'reply' }) });
}

/** Tool expectations: tool_called, tool_not_called, tool_order, tool_args. */
function toolChecks(e: Expectations, calls: readonly ObservedCall[], out: Failure[]): void {
  const names = calls.map((c) => c.name);
  const made = `tools called: ${names.length ? names.join(', ') : 'none'}`;
  for (const t of e.tool_called ?? []) if (!names.some((n) => sameTool(n, t))) out.push({ assertion: 'tool_called', expected: `${t} is called`, actual: made });
  for (const t of e.tool_not_called ?? [])
    if (names.some((n) => sameTool(n, t))) out.push({ assertion: 'tool_not_called', expected: `${t} is not called`, actual: made });
  if (e.tool_order) {
    let at = 0;
    for (const n of names) if (at < e.tool_order.length && sameTool(n, e.tool_order[at]!)) at++;
    if (at < e.tool_order.length) out.push({ assertion: 'tool_order', expected: `tools called in the order ${e.tool_order.join(' -> ')}`, actual: made });
  }
  for (const [tool, args] of Object.entries(e.tool_args ?? {})) {
    const mine = calls.filter((c) => sameTool(c.name, tool));
    if (mine.some((c) => isSubset(args, c.arguments))) continue;
    const seen = mine.length ? mine.map((c) => JSON.stringify(c.arguments)).join(', ') : `${tool} was not called`;
    out.push({
      assertion: 'tool_args',
      expected: `${tool} called with arguments including ${JSON.stringify(args)}`,
      actual: mine.length ? `called with ${seen}` : seen,
    });
  }
}

/** Run expectations: finish_reason, max_iterations, max_cost_usd, max_latency_ms. */
function runChecks(e: Expectations, o: Outcome, out: Failure[]): void {
  if (o.error && e.finish_reason !== 'error')
    out.push({ assertion: 'run', expected: 'the run completes', actual: `it failed: ${o.error.code} ${o.error.message}` });
  if (e.finish_reason !== undefined && o.finish_reason !== e.finish_reason) {
    out.push({ assertion: 'finish_reason', expected: `finish reason ${e.finish_reason}`, actual: `finish reason ${o.finish_reason}` });
  }
  if (e.max_iterations !== undefined && o.iterations > e.max_iterations) {
    out.push({ assertion: 'max_iterations', expected: `at most ${e.max_iterations} model calls`, actual: `${o.iterations} model calls` });
  }
  if (e.max_cost_usd !== undefined && o.cost_usd > e.max_cost_usd) {
    out.push({ assertion: 'max_cost_usd', expected: `cost at most $${e.max_cost_usd}`, actual: `cost $${o.cost_usd.toFixed(6)}` });
  }
  if (e.max_latency_ms !== undefined && o.latency_ms > e.max_latency_ms) {
    out.push({ assertion: 'max_latency_ms', expected: `at most ${e.max_latency_ms} ms`, actual: `${Math.round(o.latency_ms)} ms` });
  }
}

/**
 * Check every expectation of `e` against `o`. `judge` grades `e.judge` (absent: the rubric is
 * skipped and a note says why). Returns the failures and the notes.
 */
export async function checkExpectations(e: Expectations, o: Outcome, judge?: Judge): Promise<{ failures: Failure[]; notes: string[] }> {
  const failures: Failure[] = [];
  const notes: string[] = [];
  runChecks(e, o, failures);
  textChecks(e, o.reply, failures);
  toolChecks(e, o.tool_calls, failures);
  if (e.judge !== undefined) {
    if (!judge) notes.push('judge skipped: set [test] judge_model in ares.toml to grade it');
    else {
      const verdict = await judge(e.judge, o.reply);
      if (!verdict.pass) failures.push({ assertion: 'judge', expected: e.judge, actual: `the judge said: ${verdict.reason}` });
    }
  }
  return { failures, notes };
}
