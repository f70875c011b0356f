/**
 * `caxton test` without a daemon (docs/testing.md; STORY-014): the daemon's own parts
 * (src/daemon/services.ts `buildServices`: config, catalog, providers, toolbox) over the home's
 * ares.toml and config/, with a throwaway SQLite store in a temporary directory. Each case gets a
 * runtime of its own (src/runtime/run.ts `createRuntime`) whose provider is the case's scripted
 * replies (src/llm/scripted.ts), or the real provider behind the suite's cassette
 * (src/llm/cassette.ts), and whose toolbox answers `mock_tools` with their canned results (the real
 * tool is not run). Runs are stateless (`conversation` is passed as history). Cases run concurrently
 * up to `concurrency`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createRunStarter } from '../api/run.js';
import { createWorkflowStarter, type WorkflowEvent } from '../api/workflow-run.js';
import type { ScenarioCase } from '../config/scenario.js';
import { loadAresConfig } from '../config/ares-toml.js';
import { buildServices, type Services } from '../daemon/services.js';
import { isDomainError } from '../domain/errors.js';
import { LOCAL_USER_ID } from '../domain/users.js';
import type { Paths } from '../ipc/paths.js';
import { cassetteProvider, openCassette, recordedTool, recordTool, saveCassette, type Cassette, type CassetteMode } from '../llm/cassette.js';
import { createScriptedProvider } from '../llm/scripted.js';
import type { ChatMessage, ChatRequest, Provider } from '../llm/types.js';
import type { RunEvent } from '../runtime/events.js';
import { createRuntime, type Runtime } from '../runtime/run.js';
import type { StoredMessage } from '../store/types.js';
import type { Toolbox } from '../tools/toolbox.js';
import type { ToolResult } from '../tools/types.js';
import { checkExpectations, type Failure, type Judge, type ObservedCall, type Outcome } from './assertions.js';
import { createJudge } from './judge.js';
import type { Suite } from './suites.js';
import { tracedProvider, variablesStep, type TraceStep } from './trace.js';

/** How cassettes are used: `auto` replays a suite's cassette when it exists and runs live otherwise. */
export type RecordMode = 'auto' | 'record' | 'replay' | 'update';

/** Options of `runSuites`. */
export interface RunOptions {
  paths: Paths;
  /** Only cases whose `FILE › NAME` contains this text. */
  filter?: string;
  mode: RecordMode;
  /** Cases running at once (default 4). */
  concurrency?: number;
  /** Environment for provider keys (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/** One case's result: the verdict and everything needed to see why. */
export interface CaseResult extends Outcome {
  file: string;
  /** `agent NAME` or `workflow NAME`. */
  target: string;
  name: string;
  passed: boolean;
  failures: Failure[];
  notes: string[];
  /** The messages of the first model request: system prompt, history and the rendered user prompt. */
  prompt: ChatMessage[];
  /** Every step of the run (`caxton test --trace` prints it). */
  trace: TraceStep[];
  /** Wall-clock ms of the whole case. */
  duration_ms: number;
}

/** The whole run. */
export interface TestReport {
  passed: number;
  failed: number;
  cases: CaseResult[];
  /** Cassettes written (display paths). */
  cassettes: string[];
  duration_ms: number;
}

/** The services of a test session: the daemon's, over a temporary store and run directory. */
async function testServices(
  paths: Paths,
  env: NodeJS.ProcessEnv | undefined,
  probe: boolean,
): Promise<{ services: Services; tmp: string; judgeModel?: string }> {
  const tmp = mkdtempSync(join(tmpdir(), 'caxton-test-'));
  const config = loadAresConfig(paths.aresToml, env);
  const { url: _url, ...database } = config.database;
  const isolated = { ...config, database: { ...database, path: join(tmp, 'test.db') } };
  try {
    const services = await buildServices(isolated, { ...paths, runDir: tmp, dataDir: tmp }, pino({ level: 'silent' }), {
      ...(env ? { env } : {}),
      probeProviders: probe,
    });
    return { services, tmp, ...(config.test.judge_model ? { judgeModel: config.test.judge_model } : {}) };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Run every case of `suites` (filtered); write the cassettes recorded. Never throws for a failing case. */
export async function runSuites(suites: readonly Suite[], opts: RunOptions): Promise<TestReport> {
  const started = performance.now();
  const jobs = suites.flatMap((suite) =>
    suite.scenario.cases.filter((c) => !opts.filter || `${suite.file} › ${c.name}`.includes(opts.filter)).map((c) => ({ suite, c })),
  );
  const cassettes = new Map(suites.map((s) => [s, cassetteFor(s, opts.mode)]));
  const { services, tmp, judgeModel } = await testServices(opts.paths, opts.env, opts.mode === 'record' || opts.mode === 'update');
  try {
    await services.ready;
    const results: CaseResult[] = new Array(jobs.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < jobs.length; i = next++) {
        const { suite, c } = jobs[i]!;
        const cassette = cassettes.get(suite);
        results[i] = await runCase(services, suite, c, cassette, createJudge(services, judgeModel, cassette));
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 4, jobs.length)) }, worker));
    const written: string[] = [];
    for (const c of cassettes.values()) {
      if (c?.dirty) written.push(c.file);
      if (c) saveCassette(c, services.secrets.scrub);
    }
    const passed = results.filter((r) => r.passed).length;
    return { passed, failed: results.length - passed, cases: results, cassettes: written, duration_ms: performance.now() - started };
  } finally {
    await services.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The cassette of a suite with cases that call the real model: `NAME.cassette.json` beside `NAME.test.*`. */
function cassetteFor(suite: Suite, mode: RecordMode): Cassette | undefined {
  if (suite.scenario.cases.every((c) => c.replies)) return undefined;
  const file = suite.path.replace(/\.test\.(toml|toon|json)$/i, '.cassette.json');
  if (mode !== 'auto') return openCassette(file, mode as CassetteMode);
  const c = openCassette(file, 'replay');
  return c.data.interactions.length > 0 ? c : undefined;
}

/** Conversation strings as history: user, assistant, user... */
const historyOf = (turns: readonly string[] = []): StoredMessage[] => turns.map((content, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content }));

/** One case: resolve the agent, run it with its provider and tools, check its expectations. */
async function runCase(services: Services, suite: Suite, c: ScenarioCase, cassette: Cassette | undefined, judge: Judge | undefined): Promise<CaseResult> {
  const t0 = performance.now();
  const target = suite.scenario.agent ? `agent ${suite.scenario.agent}` : `workflow ${suite.scenario.workflow}`;
  const requests: ChatRequest[] = [];
  const trace: TraceStep[] = [];
  const base = { file: suite.file, target, name: c.name, prompt: [] as ChatMessage[], notes: [] as string[] };
  let outcome: Outcome;
  try {
    const resolved = await services.catalog.resolveAgent(agentOf(services, suite), LOCAL_USER_ID);
    trace.push(variablesStep(resolved.agent));
    const provider = caseProvider(services, c, cassette);
    const runtime = createRuntime({
      store: services.store,
      providers: { get: async (name) => tracedProvider(capturing(await provider(name), requests), trace) },
      toolbox: testToolbox(services.toolbox, c.mock_tools ?? {}, cassette, trace),
      memory: services.store.memory,
      scrub: services.secrets.scrub,
      limits: services.limits,
    });
    const events = suite.scenario.workflow
      ? await workflowEvents(services, runtime, suite.scenario.workflow, c)
      : runtime.run({
          agent: resolved.agent,
          source: resolved.source,
          model: resolved.model,
          message: c.input,
          userId: LOCAL_USER_ID,
          history: historyOf(c.conversation),
          agentKey: `${suite.file} › ${c.name}`,
        });
    outcome = await collect(events, c.mock_tools ?? {}, t0);
  } catch (err) {
    outcome = failed(err, t0);
  }
  outcome.iterations = requests.length;
  trace.push({ kind: 'end', finish_reason: outcome.finish_reason, ...(outcome.error ? { error: `${outcome.error.code} ${outcome.error.message}` } : {}) });
  const prompt = requests[0]?.messages ?? [];
  const { failures, notes } = await checkExpectations(c.expect, outcome, judge);
  return { ...base, ...outcome, prompt, trace, passed: failures.length === 0, failures, notes, duration_ms: performance.now() - t0 };
}

/**
 * The events of workflow `name` run on the case's runtime, as the daemon runs it (src/api/workflow-run.ts):
 * hand-overs between agents included, the case's scripted replies answering each agent's calls in order.
 */
async function workflowEvents(services: Services, runtime: Runtime, name: string, c: ScenarioCase): Promise<AsyncIterable<WorkflowEvent>> {
  const startWorkflow = createWorkflowStarter(services.catalog, createRunStarter(services.catalog, runtime));
  return (await startWorkflow({ workflow: name, message: c.input, userId: LOCAL_USER_ID, history: historyOf(c.conversation) })).events;
}

/** The agent a suite runs (the first one of a workflow): its `agent`, or its workflow's entry agent. @throws Error for an unknown workflow. */
function agentOf(services: Services, suite: Suite): string {
  if (suite.scenario.agent) return suite.scenario.agent;
  const wf = services.watcher.current().workflows.get(suite.scenario.workflow!);
  if (!wf) throw new Error(`workflow ${suite.scenario.workflow} is not defined in config/workflows`);
  return wf.value.entry_agent;
}

/** The provider of a case: its scripted replies (an extra model call fails), else the real one behind the cassette. */
function caseProvider(services: Services, c: ScenarioCase, cassette: Cassette | undefined): (name: string) => Promise<Provider> {
  if (c.replies) {
    const scripted = createScriptedProvider('scripted', c.replies, { whenEmpty: 'error', record: false });
    return async () => scripted;
  }
  if (!cassette) return (name) => services.providers.get(name);
  return async (name) => cassetteProvider(cassette, () => services.providers.get(name), name);
}

/** `provider` with every request it is sent kept in `requests` (messages copied). */
function capturing(provider: Provider, requests: ChatRequest[]): Provider {
  return {
    name: provider.name,
    type: provider.type,
    chat(request, signal) {
      requests.push({ ...request, messages: request.messages.map((m) => ({ ...m })) });
      return provider.chat(request, signal);
    },
  };
}

/** The mock of `offered` (a configured name, or its offered form `server__tool`), if any. */
function mockOf(mocks: Record<string, unknown>, offered: string): string | undefined {
  const m = mocks[offered] ?? mocks[offered.replace('__', '.')];
  return m === undefined ? undefined : typeof m === 'string' ? m : JSON.stringify(m);
}

/** `inner` with `mock_tools` answered by their canned results, tool results recorded in / replayed from the cassette, each call traced. */
function testToolbox(inner: Toolbox, mocks: Record<string, unknown>, cassette: Cassette | undefined, steps: TraceStep[]): Toolbox {
  const answer = async (...[agent, offered, args, ctx]: Parameters<Toolbox['call']>): Promise<[ToolResult, 'mocked' | 'cassette' | 'real']> => {
    const mock = mockOf(mocks, offered);
    if (mock !== undefined) return [{ content: mock }, 'mocked'];
    const recorded = cassette && recordedTool(cassette, offered, args);
    if (recorded) return [recorded, 'cassette'];
    const result = await inner.call(agent, offered, args, ctx);
    if (cassette) recordTool(cassette, offered, args, result);
    return [result, 'real'];
  };
  return {
    forAgent: (agent, userId) => inner.forAgent(agent, userId),
    prepare: (agent, userId, signal) => inner.prepare(agent, userId, signal),
    async call(agent, offered, args, ctx) {
      const t0 = performance.now();
      const [result, source] = await answer(agent, offered, args, ctx);
      steps.push({
        kind: 'tool',
        name: offered,
        arguments: args,
        result: result.content,
        is_error: result.isError === true,
        ms: performance.now() - t0,
        source,
      });
      return result;
    },
  };
}

/** A case that could not run at all (its agent or workflow is unknown, its provider cannot be built). */
function failed(err: unknown, t0: number): Outcome {
  const error = { code: isDomainError(err) ? err.code : 'INTERNAL', message: (err as Error)?.message ?? String(err) };
  return { reply: '', finish_reason: 'error', error, tool_calls: [], iterations: 0, cost_usd: 0, latency_ms: performance.now() - t0 };
}

/** Drain a run's events into its outcome. */
async function collect(events: AsyncIterable<RunEvent | WorkflowEvent>, mocks: Record<string, unknown>, t0: number): Promise<Outcome> {
  const o: Outcome = { reply: '', finish_reason: 'error', tool_calls: [], iterations: 0, cost_usd: 0, latency_ms: 0 };
  const byId = new Map<string, ObservedCall>();
  for await (const ev of events) {
    if (ev.type === 'tool_call') {
      const call: ObservedCall = {
        name: ev.name,
        arguments: parseArgs(ev.arguments),
        result: '',
        is_error: false,
        mocked: mockOf(mocks, ev.name) !== undefined,
      };
      byId.set(ev.id, call);
      o.tool_calls.push(call);
    } else if (ev.type === 'tool_result') {
      const call = byId.get(ev.id);
      if (call) Object.assign(call, { result: ev.result, is_error: ev.is_error });
    } else if (ev.type === 'done') {
      Object.assign(o, { reply: ev.reply, finish_reason: ev.finish_reason, cost_usd: ev.cost_usd });
      if (ev.error) o.error = { code: 'RUN_FAILED', message: ev.error };
    } else if (ev.type === 'error') {
      o.error = { code: ev.code, message: ev.message };
    }
  }
  o.latency_ms = performance.now() - t0;
  return o;
}

const parseArgs = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};
