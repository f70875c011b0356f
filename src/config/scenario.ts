/**
 * Scenario files for `caxton test` (docs/testing.md; STORY-014 agent testing): `NAME.test.toml`,
 * `NAME.test.toon` or `NAME.test.json` hold one agent's (or workflow's) cases: an input, optional
 * history, scripted model replies, canned tool results and the expectations the run must meet. Parsed
 * and validated like entity files (src/config/codec.ts): located diagnostics (file:line:col) and
 * did-you-mean hints for unknown keys.
 */
import { basename } from 'node:path';
import { z } from 'zod';
import { knownKeysFor, zodIssuesToDetails, type Diagnostic } from './diagnostics.js';
import { formatOfFile, readerForFormat, SyntaxDiagnosticError, type ReadableFormat } from './formats/index.js';
import { checkLimits, checkText } from './limits.js';

/** File names of scenario files: `NAME.test.toml`, `NAME.test.toon`, `NAME.test.json`. */
const SCENARIO_FILE = /\.test\.(toml|toon|json)$/i;

/** True when `path` is named like a scenario file. */
export function isScenarioFile(path: string): boolean {
  return SCENARIO_FILE.test(basename(path));
}

/** One tool call of a scripted reply; `arguments` is an object or JSON text. */
const ScriptedCallSchema = z.strictObject({
  id: z.string().min(1).optional(),
  name: z.string().min(1),
  arguments: z.union([z.string(), z.record(z.string(), z.unknown())]).default({}),
});

/** One scripted model reply (served in order, one per model call; src/llm/scripted.ts). */
const ReplySchema = z.strictObject({
  text: z.string().optional(),
  tool_calls: z.array(ScriptedCallSchema).optional(),
  /** Usage the reply reports (tokens); default 0 in and the word count out. */
  usage: z.strictObject({ input_tokens: z.number().int().min(0), output_tokens: z.number().int().min(0) }).optional(),
  /** Provider finish reason (default `tool_calls` with tool calls, else `stop`). */
  finish_reason: z.string().min(1).optional(),
});

const strings = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));

/** What a case's run must show (promptfoo's vocabulary where one exists: contains, icontains, regex, equals, is-json, cost, latency, llm-rubric). */
export const ExpectSchema = z.strictObject({
  /** The reply contains each string (case-sensitive). */
  contains: strings.optional(),
  /** The reply contains none of these strings. */
  not_contains: strings.optional(),
  /** The reply contains each string, ignoring case. */
  icontains: strings.optional(),
  /** The reply matches each regular expression (JavaScript syntax, no flags). */
  regex: strings.optional(),
  /** The reply, trimmed, equals this text. */
  equals: z.string().optional(),
  /** `true`: the reply is valid JSON; a table: the reply is JSON valid against this JSON Schema. */
  json: z.union([z.literal(true), z.record(z.string(), z.unknown())]).optional(),
  /** Each tool was called at least once. */
  tool_called: strings.optional(),
  /** None of these tools was called. */
  tool_not_called: strings.optional(),
  /** These tools were called in this order (other calls may come between). */
  tool_order: z.array(z.string()).min(1).optional(),
  /** Per tool: some call's arguments contain these fields with these values (subset match). */
  tool_args: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  /** The run's finish reason (docs/finish-reasons.md), e.g. `stop`, `max_iterations`. */
  finish_reason: z.string().min(1).optional(),
  /** At most this many model calls. */
  max_iterations: z.number().int().min(1).optional(),
  /** The run cost at most this much (USD, from the model's prices). */
  max_cost_usd: z.number().min(0).optional(),
  /** The run took at most this long (ms, wall clock). */
  max_latency_ms: z.number().min(0).optional(),
  /** A rubric graded by `[test] judge_model` of ares.toml; skipped with a note when that is unset. */
  judge: z.string().min(1).optional(),
});

/** One case: the user's message, and everything around it. */
export const CaseSchema = z.strictObject({
  name: z.string().min(1).max(200),
  input: z.string(),
  /** Earlier turns, alternately user and assistant, starting with the user (the run is stateless). */
  conversation: z.array(z.string()).optional(),
  /** Scripted model replies in order; absent: the real model (or its cassette) answers. */
  replies: z.array(ReplySchema).optional(),
  /** Tool (configured name) -> canned result; the real tool is not run. Tables are sent as JSON text. */
  mock_tools: z.record(z.string(), z.union([z.string(), z.record(z.string(), z.unknown())])).optional(),
  expect: ExpectSchema.prefault({}),
});

/** A whole scenario file. Exactly one of `agent` and `workflow` (run as the daemon runs it, hand-overs included). */
export const ScenarioSchema = z
  .strictObject({
    agent: z.string().min(1).optional(),
    workflow: z.string().min(1).optional(),
    description: z.string().optional(),
    cases: z.array(CaseSchema).min(1),
  })
  .refine((s) => (s.agent === undefined) !== (s.workflow === undefined), {
    message: 'name exactly one of `agent` and `workflow`',
    path: ['agent'],
  });

export type Scenario = z.infer<typeof ScenarioSchema>;
export type ScenarioCase = z.infer<typeof CaseSchema>;
export type Expectations = z.infer<typeof ExpectSchema>;

/** A parsed scenario file: the scenario when it has no error, and every diagnostic. */
export interface ScenarioParse {
  value?: Scenario;
  diagnostics: Diagnostic[];
}

/**
 * Parse and validate one scenario text. `file` labels diagnostics. Never throws for bad content:
 * syntax errors, wrong shapes and unknown keys (with did-you-mean) come back as located diagnostics;
 * so does a `regex` expectation that does not compile.
 */
export function parseScenario(text: string, format: ReadableFormat, file = '<input>'): ScenarioParse {
  const reader = readerForFormat(format);
  const tooBig = checkText(text, { file, format: reader.format });
  if (tooBig.length > 0) return { diagnostics: tooBig };
  let raw: unknown;
  try {
    raw = reader.parse(text).value;
  } catch (err) {
    if (!(err instanceof SyntaxDiagnosticError)) throw err;
    return { diagnostics: [{ code: 'E_SYNTAX', file, line: err.line, col: err.col, message: err.message, ...(err.hint ? { hint: err.hint } : {}) }] };
  }
  const limits = raw !== null && typeof raw === 'object' ? checkLimits(raw, { file, text, format: reader.format }) : [];
  if (limits.length > 0) return { diagnostics: limits };
  const result = ScenarioSchema.safeParse(raw);
  if (!result.success) {
    const knownKeys = knownKeysFor(ScenarioSchema);
    return { diagnostics: zodIssuesToDetails(result.error.issues, { file, text, format: reader.format, value: raw, knownKeys: scenarioKeys(knownKeys) }) };
  }
  const bad = badPatterns(result.data, text, file);
  return bad.length > 0 ? { diagnostics: bad } : { value: result.data, diagnostics: [] };
}

/** The format of a scenario file by its name, or undefined when it is not one. */
export function scenarioFormat(path: string): ReadableFormat | undefined {
  return isScenarioFile(path) ? formatOfFile(path) : undefined;
}

/** Allowed keys at a path of the scenario (array indexes skipped), for did-you-mean hints. */
function scenarioKeys(base: (path: PropertyKey[]) => string[]): (path: PropertyKey[]) => string[] {
  const CASE = Object.keys(CaseSchema.shape);
  const EXPECT = Object.keys(ExpectSchema.shape);
  const REPLY = Object.keys(ReplySchema.shape);
  return (path) => {
    const keys = path.filter((p) => typeof p === 'string');
    if (keys.length === 1 && keys[0] === 'cases') return CASE;
    if (keys.length === 2 && keys[1] === 'expect') return EXPECT;
    if (keys.length === 2 && keys[1] === 'replies') return REPLY;
    return keys.length === 0 ? ['agent', 'workflow', 'description', 'cases'] : base(path);
  };
}

/** E_VALUE for `regex` expectations that are not valid regular expressions. */
function badPatterns(s: Scenario, text: string, file: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  s.cases.forEach((c, i) => {
    for (const pattern of c.expect.regex ?? []) {
      try {
        new RegExp(pattern);
      } catch (err) {
        const line = text.split('\n').findIndex((l) => l.includes(pattern.slice(0, 20))) + 1 || 1;
        const msg = (err as Error).message;
        out.push({ code: 'E_VALUE', file, line, col: 1, field: `cases.${i}.expect.regex`, message: `\`cases.${i}.expect.regex\` is not a valid regular expression: ${msg}`, hint: 'JavaScript regular expression syntax, without slashes or flags' });
      }
    }
  });
  return out;
}
