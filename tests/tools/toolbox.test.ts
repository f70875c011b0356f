/** Toolbox: what an agent is offered, permission checks at call time, deny list, throws and timeouts as results. */
import { describe, expect, it } from 'vitest';
import { AgentSchema, type Agent } from '../../src/domain/entities.js';
import { createToolbox, matchesToolPattern } from '../../src/tools/toolbox.js';
import type { ToolContext, ToolDefinition, ToolSet } from '../../src/tools/types.js';

const agent = (tools: string[], extra: Partial<Agent> = {}): Agent => AgentSchema.parse({ name: 'a1', system_prompt: 'x', tools, ...extra });
const def = (name: string, timeoutMs = 1000): ToolDefinition => ({
  name,
  spec: { name: name.replace('.', '__'), parameters: { type: 'object' } },
  timeoutMs,
});
const ctx = (signal = new AbortController().signal): ToolContext => ({ agentName: 'a1', userId: 'local', signal });

function set(defs: ToolDefinition[], impl: (name: string, args: unknown, ctx: ToolContext) => Promise<string>): ToolSet & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    list: () => defs,
    async call(name, args, c) {
      calls.push(name);
      return { content: await impl(name, args, c) };
    },
  };
}

describe('toolbox', () => {
  const echo = set([def('everything.echo'), def('everything.add'), def('calculator')], async (n, a) => `${n}:${JSON.stringify(a)}`);

  it('matches exact names and server wildcards only', () => {
    expect(matchesToolPattern('calculator', 'calculator')).toBe(true);
    expect(matchesToolPattern('everything.*', 'everything.echo')).toBe(true);
    expect(matchesToolPattern('everything.*', 'everythingelse.echo')).toBe(false);
    expect(matchesToolPattern('every', 'everything.echo')).toBe(false);
  });

  it('offers exactly the tools the agent names, and says why the others are unavailable', async () => {
    const tb = createToolbox({ sets: () => [echo] });
    const { tools, unavailable } = await tb.forAgent(agent(['everything.*', 'web_search', 'other.*']));
    expect(tools.map((t) => t.spec.name)).toEqual(['everything__echo', 'everything__add']);
    expect(unavailable.map((u) => u.name)).toEqual(['web_search', 'other.*']);
    expect(unavailable[1]!.reason).toMatch(/MCP server other is not running/);
  });

  it('uses the reason a tool set gives for a tool it cannot run', async () => {
    const search = Object.assign(
      set([], async () => ''),
      { unavailable: () => [{ name: 'web_search', reason: 'no search backend is configured' }] },
    );
    const tb = createToolbox({ sets: () => [search] });
    expect((await tb.forAgent(agent(['web_search']))).unavailable).toEqual([{ name: 'web_search', reason: 'no search backend is configured' }]);
  });

  it('refuses at call time a tool the agent does not hold, whatever name the model uses, and logs it', async () => {
    const warnings: string[] = [];
    const tb = createToolbox({ sets: () => [echo], log: { warn: (o, m) => warnings.push(`${String(o.tool)} ${m}`) } });
    const a = agent(['everything.echo']);
    expect(await tb.call(a, 'everything__echo', { x: 1 }, ctx())).toEqual({ content: 'everything.echo:{"x":1}' });
    const refused = await tb.call(a, 'everything__add', {}, ctx());
    expect(refused.isError).toBe(true);
    expect(refused.content).toMatch(/not allowed for agent a1/);
    expect((await tb.call(a, 'calculator', {}, ctx())).isError).toBe(true);
    expect((await tb.call(a, 'nope', {}, ctx())).content).toMatch(/no tool named nope/);
    expect(warnings).toHaveLength(3);
    expect(echo.calls.filter((c) => c !== 'everything.echo')).toEqual([]);
  });

  it('applies the system-wide deny list to offers and calls', async () => {
    const tb = createToolbox({ sets: () => [echo], deny: ['everything.add'] });
    const a = agent(['everything.*']);
    const offered = await tb.forAgent(a);
    expect(offered.tools.map((t) => t.name)).toEqual(['everything.echo']);
    expect(offered.unavailable[0]).toMatchObject({ name: 'everything.add', reason: expect.stringMatching(/deny/) });
    const r = await tb.call(a, 'everything__add', {}, ctx());
    expect(r).toMatchObject({ isError: true, content: expect.stringMatching(/disabled/) });
  });

  it('never offers a tool whose offered name OpenAI would reject', async () => {
    const odd = set([{ name: 'srv.bad', spec: { name: 'srv.bad name', parameters: {} }, timeoutMs: 1000 }], async () => '');
    const offered = await createToolbox({ sets: () => [odd] }).forAgent(agent(['srv.*']));
    expect(offered.tools).toEqual([]);
    expect(offered.unavailable[0]!.reason).toMatch(/does not match/);
  });

  it('grants memory tools to agents with memory enabled', async () => {
    const mem = set([def('memory_get'), def('memory_set'), def('memory_search')], async () => '');
    const tb = createToolbox({ sets: () => [mem] });
    expect((await tb.forAgent(agent([]))).tools).toEqual([]);
    expect((await tb.forAgent(agent([], { memory: { enabled: true, scope: 'user' } }))).tools.map((t) => t.name)).toEqual([
      'memory_get',
      'memory_set',
      'memory_search',
    ]);
  });

  it('returns a throwing tool and a hanging tool as error results, and aborts the hung call', async () => {
    let abortedWith: unknown;
    const bad = set([def('boom'), def('hang', 50)], (name, _a, c) => {
      if (name === 'boom') return Promise.reject(new Error('disk on fire'));
      return new Promise((_, reject) =>
        c.signal.addEventListener('abort', () => {
          abortedWith = c.signal.reason;
          reject(new Error('aborted'));
        }),
      );
    });
    const tb = createToolbox({ sets: () => [bad] });
    const a = agent(['boom', 'hang']);
    expect(await tb.call(a, 'boom', {}, ctx())).toEqual({ content: 'error: tool boom failed: disk on fire', isError: true });
    const hung = await tb.call(a, 'hang', {}, ctx());
    expect(hung).toMatchObject({ isError: true, timedOut: true, content: expect.stringMatching(/timed out after 0.05 s/) });
    expect(abortedWith).toBeInstanceOf(Error);
  });

  it('stops waiting for a tool when the run is cancelled', async () => {
    const hang = set([def('hang', 60_000)], () => new Promise(() => {}));
    const tb = createToolbox({ sets: () => [hang] });
    const ac = new AbortController();
    const p = tb.call(agent(['hang']), 'hang', {}, ctx(ac.signal));
    ac.abort();
    expect(await p).toMatchObject({ isError: true, content: expect.stringMatching(/cancelled/) });
  });

  it('passes the user to the tool sets, and prepare never rejects nor outlives a cancelled run', async () => {
    const seen: (string | undefined)[] = [];
    const warnings: string[] = [];
    let prepare: () => Promise<void> = () => new Promise(() => {});
    const tb = createToolbox({
      sets: (scope) => {
        seen.push(scope?.userId);
        return [echo];
      },
      prepare: () => prepare(),
      log: { warn: (_o, m) => warnings.push(m) },
    });
    await tb.forAgent(agent(['calculator']), 'ann');
    await tb.call(agent(['calculator']), 'calculator', {}, { ...ctx(), userId: 'bob' });
    expect(seen).toEqual(['ann', 'bob']);

    const ac = new AbortController();
    const hung = tb.prepare(agent(['calculator']), 'ann', ac.signal);
    ac.abort();
    await expect(hung).resolves.toBeUndefined();

    prepare = () => Promise.reject(new Error('cannot connect'));
    await expect(tb.prepare(agent(['calculator']), 'ann')).resolves.toBeUndefined();
    expect(warnings).toEqual(['preparing tools failed']);
  });
});
