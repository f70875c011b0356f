/**
 * Semantic memory on the real daemon with the fake OpenAI server: an agent with `memory.recall` gets a
 * stored fact in its system prompt (the fake logs every request it receives); memory survives a
 * restart; scopes isolate agents, conversations and users (user B's runs never see user A's items,
 * through recall, the memory tools or the API); `caxton memory` commands (add, search, stats,
 * export, import); `/v1/embeddings` with the official `openai` client; and the embedder switched to a
 * model alias served by the fake's `/v1/embeddings`, the items re-embedded in the background;
 * `caxton memory reindex` after a failed background run (its count, a clear error when the embedder
 * fails) and its progress bar and that of `import` in a terminal; `caxton conversation clear` and the
 * summary `caxton conversation show` prints (STORY-019).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_EMBEDDING_DIMS, type FakeOpenAI } from '../helpers/fake-openai.js';
import { CAXTON_BIN, cleanEnv, homeRegistry, openaiToml, requireBuild, waitFor, type TestHome } from '../helpers/cli.js';

requireBuild();

/** util-linux `script` gives the CLI a pseudo-terminal (progress is drawn only on a terminal). */
const SCRIPT = spawnSync('script', ['--version']).status === 0;
if (!SCRIPT) console.warn('memory e2e: `script` (util-linux) is not installed: the terminal progress test is skipped');

/** Recalls 3 items of its user's `user` scope into the system prompt; has the memory tools. */
const REMEMBERER = `name: rememberer
model: fast
system_prompt: "You remember things."
memory:
  enabled: true
  scope: user
  recall: 3
`;

/** Agent-scoped memory with recall: sees none of the user's \`user\` items. */
const LONER = `name: loner
model: fast
system_prompt: "You keep to yourself."
memory:
  enabled: true
  scope: agent
  recall: 3
`;

/** Conversation-scoped, storing each exchange and recalling it in that conversation only. */
const DIARY = `name: diary
model: fast
system_prompt: "You keep a diary."
memory:
  scope: conversation
  recall: 3
  auto_store: true
`;

/** Summarises what no longer fits its small model's context (\`memory.summarize\`, STORY-019). */
const SUMMARIZER = `name: summarizer
model: tiny
system_prompt: "You are terse."
memory:
  summarize: true
`;

/** An unknown model id: an 8,192-token context, 256 of them kept for the reply. */
const TINY_MODEL = `name: tiny
provider: openai
model: tiny-test
max_tokens: 256
`;

const EMBEDDER_MODEL = `name: embedder
provider: openai
model: text-embedding-fake
`;

interface ChatBody {
  messages: { role: string; content: string | null }[];
}

describe('semantic memory (real daemon, fake OpenAI)', { timeout: 120_000 }, () => {
  const homes = homeRegistry();
  let fake: FakeOpenAI;
  let home: TestHome;
  let url = '';
  const tokens: Record<'ann' | 'bob', string> = { ann: '', bob: '' };

  const post = (path: string, body: unknown, token: string) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  const get = (path: string, token: string) => fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const chat = async (agent: string, token: string, body: Record<string, unknown>) => {
    const res = await post(`/api/agents/${agent}/chat`, body, token);
    expect(res.status).toBe(200);
    return (await res.json()) as { reply: string; conversation_id: string };
  };
  /** The system prompt and user turn of the last chat request the fake received. */
  const lastPrompt = () => {
    const body = fake.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)!.body as ChatBody;
    return body.messages.map((m) => m.content ?? '').join('\n');
  };
  const login = async (email: string) => {
    expect(
      (
        await fetch(`${url}/api/auth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password: 'long enough' }),
        })
      ).status,
    ).toBe(201);
    const res = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'long enough' }),
    });
    return ((await res.json()) as { access_token: string }).access_token;
  };

  const memoryStats = async () =>
    (await (await get('/api/memory/stats', tokens.ann)).json()) as { embedder: { name: string; pending: number; reindexing: boolean } };
  /**
   * Restart with `[memory] embedder = NAME` while the fake refuses embeddings (the client retries
   * once), so the re-embedding the daemon starts by itself fails; returns the items left to embed.
   */
  const switchEmbedderFailingAtStart = async (name: string) => {
    const before = fake.requests.length;
    fake.enqueueEmbeddings({ status: 503 }, { status: 503 });
    home.writeAresToml(`${openaiToml(fake.url, '\n[auth]\nrequired = true\n')}\n[memory]\nembedder = "${name}"\n`);
    expect((await home.run(['server', 'restart', '--port', '0'])).exitCode).toBe(0);
    url = (await home.status()).url;
    const refused = () => fake.requests.slice(before).filter((r) => r.path === '/v1/embeddings').length >= 2;
    await waitFor('the background re-embedding failed', async () => refused() && !(await memoryStats()).embedder.reindexing, 30_000);
    return (await memoryStats()).embedder.pending;
  };
  /** Run the CLI in a pseudo-terminal (`script`), its stderr a TTY; `output` is everything it wrote. */
  const inTerminal = async (args: string[]) => {
    const command = [process.execPath, CAXTON_BIN, '--home', home.dir, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    const r = await execa('script', ['-qec', command, '/dev/null'], {
      env: cleanEnv(home.env),
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      timeout: 30_000,
    });
    return { exitCode: r.exitCode, output: String(r.stdout) };
  };

  beforeAll(async () => {
    ({ fake, home, url } = await homes.startWithFake(undefined, (h, f) => {
      h.writeAresToml(openaiToml(f.url, '\n[auth]\nrequired = true\n'));
      h.writeFile('config/agents/rememberer.toon', REMEMBERER);
      h.writeFile('config/agents/loner.toon', LONER);
      h.writeFile('config/agents/diary.toon', DIARY);
      h.writeFile('config/models/embedder.toon', EMBEDDER_MODEL);
      h.writeFile('config/agents/summarizer.toon', SUMMARIZER);
      h.writeFile('config/models/tiny.toon', TINY_MODEL);
    }));
    tokens.ann = await login('ann@example.com');
    tokens.bob = await login('bob@example.com');
  }, 60_000);
  afterAll(() => homes.cleanupAll());

  it("recalls a user's fact into the agent's prompt, for that user only", async () => {
    const stored = await post('/api/memory', { text: 'My favourite fruit is the mango', scope: 'user', metadata: { source: 'test' } }, tokens.ann);
    expect(stored.status).toBe(201);
    expect(await stored.json()).toMatchObject({ scope: 'user', scope_key: expect.stringMatching(/^user:/), embedder: 'builtin:use-lite-512' });

    await chat('rememberer', tokens.ann, { message: 'Which fruit do I like best?' });
    expect(lastPrompt()).toContain('My favourite fruit is the mango');

    await chat('rememberer', tokens.bob, { message: 'Which fruit do I like best?' });
    expect(lastPrompt()).not.toContain('mango');
    // The agent-scoped agent of the same user recalls none of the user's items.
    await chat('loner', tokens.ann, { message: 'Which fruit do I like best?' });
    expect(lastPrompt()).not.toContain('mango');
  });

  it("never shows user A's items to user B through the API or the memory tools", async () => {
    const anns = (await (await get('/api/memory', tokens.ann)).json()) as { items: { id: number }[] };
    expect(anns.items).toHaveLength(1);
    expect(((await (await get('/api/memory', tokens.bob)).json()) as { items: unknown[] }).items).toEqual([]);
    const search = await post('/api/memory/search', { query: 'mango fruit', mode: 'hybrid' }, tokens.bob);
    expect(((await search.json()) as { results: unknown[] }).results).toEqual([]);
    const del = await fetch(`${url}/api/memory/${anns.items[0]!.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${tokens.bob}` } });
    expect(del.status).toBe(404);

    fake.enqueue({ tool_calls: [{ name: 'memory_search', arguments: '{"query":"favourite fruit","mode":"semantic"}' }] }, { content: 'done' });
    await chat('rememberer', tokens.bob, { message: 'search your memory' });
    const toolTurn = (fake.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)!.body as ChatBody).messages.find((m) => m.role === 'tool');
    expect(toolTurn?.content).toBe('no memory entry matches "favourite fruit"');

    fake.enqueue({ tool_calls: [{ name: 'memory_search', arguments: '{"query":"favourite fruit","mode":"semantic"}' }] }, { content: 'done' });
    await chat('rememberer', tokens.ann, { message: 'search your memory' });
    const annTool = (fake.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)!.body as ChatBody).messages.find((m) => m.role === 'tool');
    expect(annTool?.content).toContain('My favourite fruit is the mango');
  });

  it('stores exchanges of a conversation-scoped agent and recalls them in that conversation only', async () => {
    const first = await chat('diary', tokens.ann, { message: 'My locker number is 4242' });
    await chat('diary', tokens.ann, { message: 'What is my locker number?', conversation_id: first.conversation_id });
    expect(lastPrompt()).toContain('User: My locker number is 4242');
    await chat('diary', tokens.ann, { message: 'What is my locker number?' });
    expect(lastPrompt()).not.toContain('4242');
  });

  it('serves /v1/embeddings to the official openai client', async () => {
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: tokens.ann });
    const res = await client.embeddings.create({ model: 'builtin', input: ['a cat', 'a kitten'] });
    expect(res).toMatchObject({ object: 'list', model: 'builtin', usage: { prompt_tokens: expect.any(Number) } });
    expect(res.data.map((d) => [d.index, d.embedding.length])).toEqual([
      [0, 512],
      [1, 512],
    ]);
    const b64 = await client.embeddings.create({ model: 'embedder', input: 'hello', encoding_format: 'base64' });
    // Asked for base64, the client hands over the string: little-endian float32, unit length.
    const floats = new Float32Array(new Uint8Array(Buffer.from(b64.data[0]!.embedding as unknown as string, 'base64')).buffer);
    expect(floats).toHaveLength(FAKE_EMBEDDING_DIMS);
    expect(Math.hypot(...floats)).toBeCloseTo(1, 5);
    await expect(client.embeddings.create({ model: 'no-such-model', input: 'x' })).rejects.toMatchObject({ status: 404 });
  });

  it('manages items with `caxton memory` (add, search, stats, export, import)', async () => {
    const add = await home.run(['memory', 'add', 'The office plant needs water on Mondays', '--metadata', '{"tag":"office"}']);
    expect(add.exitCode, add.stderr).toBe(0);
    const search = await home.run(['--json', 'memory', 'search', 'when to water the plant', '--mode', 'semantic']);
    expect(search.exitCode, search.stderr).toBe(0);
    expect((JSON.parse(search.stdout) as { results: { item: { text: string } }[] }).results[0]!.item.text).toBe('The office plant needs water on Mondays');
    const exported = await home.run(['memory', 'export']);
    expect(exported.exitCode).toBe(0);
    expect(
      exported.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { text: string; metadata: unknown }),
    ).toEqual([expect.objectContaining({ text: 'The office plant needs water on Mondays', metadata: { tag: 'office' }, scope: 'user' })]);
    const file = join(home.dir, 'memory.jsonl');
    writeFileSync(file, exported.stdout + '{"text":"Imported note about bicycles","scope":"user"}\n');
    const imported = await home.run(['--json', 'memory', 'import', file]);
    expect(JSON.parse(imported.stdout)).toEqual({ imported: 2 });
    writeFileSync(file, 'not json\n');
    const bad = await home.run(['memory', 'import', file]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain(`${file}:1`);
    const stats = await home.run(['--json', 'memory', 'stats']);
    expect(JSON.parse(stats.stdout)).toMatchObject({ items: 3, embedder: { name: 'builtin', dims: 512, pending: 0 } });
  });

  it("clears a conversation's context with `caxton conversation clear`, keeping the conversation", async () => {
    const first = await chat('loner', tokens.ann, { message: 'remember the word pineapple' });
    await chat('loner', tokens.ann, { message: 'and now?', conversation_id: first.conversation_id });
    expect(lastPrompt()).toContain('remember the word pineapple');
    const asBob = await fetch(`${url}/api/conversations/${first.conversation_id}/messages`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${tokens.bob}` },
    });
    expect(asBob.status).toBe(404);
    const cleared = await home.run(['--as', 'ann@example.com', '--json', 'conversation', 'clear', first.conversation_id]);
    expect(cleared.exitCode, cleared.stderr).toBe(0);
    expect(JSON.parse(cleared.stdout)).toEqual({ conversation_id: first.conversation_id, deleted: 4 });
    await chat('loner', tokens.ann, { message: 'and after clearing?', conversation_id: first.conversation_id });
    expect(lastPrompt()).not.toContain('pineapple');
  });

  it('`caxton conversation show` prints the summary standing in for the oldest turns', async () => {
    const long = (tag: string) => `${tag} ${'lorem ipsum '.repeat(750)}`;
    fake.enqueue({ content: 'ok' }, { content: 'ok' }, { content: 'ok' }, { content: 'EARLIER: three long turns' }, { content: 'ok' });
    const { conversation_id: id } = await chat('summarizer', tokens.ann, { message: long('one') });
    for (const tag of ['two', 'three', 'four']) await chat('summarizer', tokens.ann, { message: long(tag), conversation_id: id });
    expect(lastPrompt()).toContain('EARLIER: three long turns');
    const shown = await home.run(['--as', 'ann@example.com', 'conversation', 'show', id]);
    expect(shown.exitCode, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^summary of the oldest \d+ message\(s\): EARLIER: three long turns$/m);
  });

  it('keeps memory across a restart, and re-embeds it with a model alias served by the provider', async () => {
    const toml = openaiToml(fake.url, '\n[auth]\nrequired = true\n');
    expect((await home.run(['server', 'restart', '--port', '0'])).exitCode).toBe(0);
    url = (await home.status()).url;
    await chat('rememberer', tokens.ann, { message: 'Which fruit do I like best?' });
    expect(lastPrompt()).toContain('My favourite fruit is the mango');

    home.writeAresToml(`${toml}\n[memory]\nembedder = "embedder"\n`);
    expect((await home.run(['server', 'restart', '--port', '0'])).exitCode).toBe(0);
    url = (await home.status()).url;
    await waitFor(
      'items re-embedded',
      async () => {
        const s = (await (await get('/api/memory/stats', tokens.ann)).json()) as { embedder: { name: string; pending: number } };
        return s.embedder.name === 'embedder' && s.embedder.pending === 0;
      },
      30_000,
    );
    expect(fake.requests.some((r) => r.path === '/v1/embeddings' && (r.body as { model: string }).model === 'text-embedding-fake')).toBe(true);
    const res = await post('/api/memory/search', { query: 'favourite fruit mango', mode: 'semantic', k: 1 }, tokens.ann);
    const hit = ((await res.json()) as { results: { item: { text: string; embedder: string } }[] }).results[0]!;
    expect(hit.item).toMatchObject({ text: 'My favourite fruit is the mango', embedder: 'embedder:openai/text-embedding-fake' });
  });

  it('re-embeds with `caxton memory reindex` after the background run failed, and fails clearly when the embedder does', async () => {
    home.writeFile('config/models/embedder2.toon', EMBEDDER_MODEL.replace('name: embedder', 'name: embedder2').replace('-fake', '-fake-2'));
    const pending = await switchEmbedderFailingAtStart('embedder2');
    expect(pending).toBeGreaterThan(0);

    fake.enqueueEmbeddings({ status: 503 }, { status: 503 });
    const failed = await home.run(['memory', 'reindex']);
    expect(failed.exitCode).not.toBe(0);
    expect(failed.stderr).toContain(`re-embedding stopped after 0 of ${pending} item(s)`);
    expect(failed.stderr).toContain('embedder embedder2');

    const done = await home.run(['--json', 'memory', 'reindex']);
    expect(done.exitCode, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toEqual({ reindexed: pending });
    expect(done.stderr).toBe('');
    expect((await memoryStats()).embedder).toMatchObject({ name: 'embedder2', pending: 0, reindexing: false, progress: null });
  });

  it.skipIf(!SCRIPT)('shows re-embedding and import progress in a terminal', async () => {
    const pending = await switchEmbedderFailingAtStart('embedder');
    const reindex = await inTerminal(['--json', 'memory', 'reindex']);
    expect(reindex.exitCode, reindex.output).toBe(0);
    expect(reindex.output).toContain(`re-embedding memory items: 0 / ${pending}`);
    expect(reindex.output).toContain(`re-embedding memory items: ${pending} / ${pending}`);
    expect(JSON.parse(/\{[\s\S]*\}/.exec(reindex.output)![0])).toEqual({ reindexed: pending });

    const file = join(home.dir, 'progress.jsonl');
    writeFileSync(file, '{"text":"first imported line"}\n{"text":"second imported line"}\n');
    const imported = await inTerminal(['memory', 'import', file]);
    expect(imported.exitCode, imported.output).toBe(0);
    expect(imported.output).toContain('imported: 1 / 2');
    expect(imported.output).toContain('imported: 2 / 2');
    expect(imported.output).toContain('imported 2 memory item(s)');
  });
});
