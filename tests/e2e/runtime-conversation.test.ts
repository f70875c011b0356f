/**
 * A ten-turn conversation keeps its context across a daemon restart (SPEC §7): every turn goes
 * through `caxton agent test --conversation ID`; after turn five the daemon is restarted; the model
 * is sent the whole history each turn, oldest first, and the store has all twenty messages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeRegistry, requireBuild, type TestHome } from '../helpers/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';

requireBuild();

describe('conversation across a daemon restart', { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  let fake: FakeOpenAI;
  let home: TestHome;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    // Reply with the turn number the model can see, so the reply proves what context it got.
    fake.setDefault((req) => {
      const users = (req.body.messages as { role: string }[]).filter((m) => m.role === 'user').length;
      return { content: `reply ${users}` };
    });
    home = await homes.createWithFake(fake.url);
    await home.start();
  }, 30_000);
  afterAll(async () => {
    await homes.cleanupAll();
    await fake.close();
  });

  it('ten turns, restart after the fifth, the tenth request carries all nineteen earlier messages', async () => {
    let conv = '';
    for (let turn = 1; turn <= 10; turn++) {
      if (turn === 6) {
        const r = await home.run(['server', 'restart']);
        expect(r.exitCode, r.stderr).toBe(0);
      }
      const args = ['--json', 'agent', 'test', 'router', `message number ${turn}`, ...(conv ? ['--conversation', conv] : [])];
      const r = await home.run(args);
      expect(r.exitCode, r.stderr).toBe(0);
      const done = JSON.parse(r.stdout) as { reply: string; conversation_id: string };
      expect(done.reply).toBe(`reply ${turn}`);
      if (turn === 1) conv = done.conversation_id;
      expect(done.conversation_id).toBe(conv);
    }
    const chats = fake.requests.filter((r) => r.path === '/v1/chat/completions');
    const last = chats.at(-1)!.body.messages as { role: string; content: string }[];
    expect(last[0]!.role).toBe('system');
    const turns = last.slice(1);
    expect(turns).toHaveLength(19);
    expect(turns.filter((m) => m.role === 'user').map((m) => m.content)).toEqual(Array.from({ length: 10 }, (_, i) => `message number ${i + 1}`));
    expect(turns.filter((m) => m.role === 'assistant').map((m) => m.content)).toEqual(Array.from({ length: 9 }, (_, i) => `reply ${i + 1}`));
  });
});
