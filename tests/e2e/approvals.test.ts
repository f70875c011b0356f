/**
 * The approval gate end to end (the real daemon, the fake OpenAI server over HTTP, the SQLite file):
 * `caxton agent test` pauses on a gated call and names the commands that decide it; the daemon is
 * restarted; `caxton run pending` still lists the run and `caxton run approve` continues it: the call
 * runs once and the model answers with the conversation as it was. `caxton run reject --reason`
 * sends the reason to the model.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeRegistry, openaiToml, requireBuild, type TestHome } from '../helpers/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';

requireBuild();

const GATED = `name: gated
model: balanced
tools[2]: calculator,current_time
approval[1]: calc*
system_prompt: "You do arithmetic with the calculator."
`;

describe('approval gate (real daemon, restart between pause and approval)', { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  let fake: FakeOpenAI;
  let home: TestHome;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    home = homes.create();
    home.writeAresToml(openaiToml(fake.url));
    home.env = { OPENAI_API_KEY: 'sk-test-secret-key-123456' };
    const init = await home.run(['init']);
    expect(init.exitCode, init.stderr).toBe(0);
    home.writeFile('config/agents/gated.toon', GATED);
    await home.start();
  }, 30_000);
  afterAll(async () => {
    await homes.cleanupAll();
    await fake.close();
  });

  const toolResults = (id: string) =>
    fake.requests.flatMap((r) =>
      ((r.body?.messages ?? []) as { role: string; tool_call_id?: string; content: string }[]).filter((m) => m.role === 'tool' && m.tool_call_id === id),
    );
  const rowOf = (id: string) => {
    const db = new Database(join(home.dir, 'data', 'ares.db'), { readonly: true, fileMustExist: true });
    try {
      return db.prepare('SELECT status, finish_reason, output FROM agent_executions WHERE id = ?').get(id) as {
        status: string;
        finish_reason: string;
        output: string;
      };
    } finally {
      db.close();
    }
  };

  it('pauses, survives a restart, and the approval continues the run: the call runs once', async () => {
    fake.enqueue({ tool_calls: [{ id: 'call_r1', name: 'calculator', arguments: '{"expression":"6*7"}' }] });
    const paused = await home.run(['agent', 'test', 'gated', 'What is 6*7?']);
    expect(paused.exitCode, paused.stderr).toBe(0);
    expect(paused.stderr).toContain('[approval] the run waits for your decision on:');
    expect(paused.stderr).toContain('finish_reason awaiting_approval');
    const id = /caxton run approve (\S+)/.exec(paused.stderr)![1]!;
    expect(rowOf(id)).toMatchObject({ status: 'awaiting_approval', finish_reason: 'awaiting_approval' });

    const restarted = await home.run(['server', 'restart']);
    expect(restarted.exitCode, restarted.stderr).toBe(0);

    const pending = await home.run(['run', 'pending', '--json']);
    expect(JSON.parse(pending.stdout)).toEqual([
      expect.objectContaining({ execution_id: id, agent: 'gated', calls: [expect.objectContaining({ id: 'call_r1' })] }),
    ]);

    fake.enqueue({ content: 'It is 42.' });
    const approved = await home.run(['run', 'approve', id]);
    expect(approved.exitCode, approved.stderr).toBe(0);
    expect(approved.stdout).toContain('It is 42.');
    expect(approved.stderr).toContain('[tool] calculator -> 42');
    expect(toolResults('call_r1')).toEqual([expect.objectContaining({ content: '42' })]);
    // The model saw the conversation as it was before the restart.
    expect(fake.requests.at(-1)!.body.messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(rowOf(id)).toMatchObject({ status: 'success', finish_reason: 'stop', output: 'It is 42.' });

    const again = await home.run(['run', 'approve', id]);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain('already approved');
    expect(toolResults('call_r1')).toHaveLength(1);
  });

  it('caxton run reject --reason sends the reason to the model', async () => {
    fake.enqueue({ tool_calls: [{ id: 'call_r2', name: 'calculator', arguments: '{"expression":"1/0"}' }] });
    const paused = await home.run(['agent', 'test', 'gated', 'Divide by zero', '--json']);
    const id = JSON.parse(paused.stdout).approval.execution_id as string;
    fake.enqueue({ content: 'Fine, I will not.' });
    const rejected = await home.run(['run', 'reject', id, '--reason', 'pointless', '--no-stream']);
    expect(rejected.exitCode, rejected.stderr).toBe(0);
    expect(rejected.stdout).toContain('Fine, I will not.');
    expect(toolResults('call_r2')).toEqual([expect.objectContaining({ content: 'rejected by local: pointless' })]);
  });
});
