import { afterAll, expect, it } from 'vitest';
import { freshDatabase, startPgCluster } from '../helpers/pg-cluster.js';
import { startFakeOpenAI } from '../helpers/fake-openai.js';
import { client, makeApp } from './fixture.js';

const cl = startPgCluster();
afterAll(() => cl.destroy());
it('probe', async () => {
  const fake = await startFakeOpenAI();
  for (const b of ['sqlite', 'pg']) {
    const t = await makeApp({ fakeUrl: fake.url, ...(b === 'pg' ? { databaseUrl: await freshDatabase(cl) } : {}) });
    const call = client(t.app);
    const r: unknown[] = [];
    const s = async (x: Promise<{ status: number; text: string }>) => {
      const y = await x;
      r.push([y.status, y.text.slice(0, 300)]);
    };
    await s(call('POST', '/api/agents/router/chat', { body: { message: 'nul \u0000 here' } }));
    await s(call('POST', '/api/agents', { body: { name: 'n1', model: 'fast', system_prompt: 'p \u0000 q' } }));
    await s(call('POST', '/api/agents', { body: { name: 'n2', model: 'fast', system_prompt: 'p', description: 'd\u0000' } }));
    await s(call('POST', '/api/auth/register', { body: { email: 'x'.repeat(3000) + '@example.com', password: 'correct horse' } }));
    await s(call('POST', '/api/keys', { body: { name: 'k\u0000' } }));
    await s(call('POST', '/api/keys', { body: { name: 'k'.repeat(5000) } }));
    fake.enqueue({ tool_calls: [{ name: 'memory_set', arguments: JSON.stringify({ key: 'k'.repeat(4000), value: 'v' }) }] }, { content: 'done' });
    await s(call('POST', '/api/agents', { body: { name: 'mem', model: 'fast', system_prompt: 'p', tools: ['memory_set'], memory: { enabled: true } } }));
    await s(call('POST', '/api/agents/mem/chat', { body: { message: 'store it' } }));
    r.push(JSON.stringify(fake.requests.at(-1)?.body.messages.at(-1)).slice(0, 300));
    fake.enqueue({ tool_calls: [{ name: 'memory_set', arguments: JSON.stringify({ key: 'nul', value: 'a\u0000b' }) }] }, { content: 'done' });
    await s(call('POST', '/api/agents/mem/chat', { body: { message: 'store nul' } }));
    r.push(JSON.stringify(fake.requests.at(-1)?.body.messages.at(-1)).slice(0, 300));
    fake.enqueue({ content: 'reply with \u0000 nul' });
    await s(call('POST', '/api/agents/router/chat', { body: { message: 'model says nul' } }));
    console.log(b, JSON.stringify(r, null, 1));
    await t.close();
  }
  await fake.close();
}, 60_000);
