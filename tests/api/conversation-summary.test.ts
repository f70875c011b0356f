/**
 * Conversation summaries (agent `memory.summarize`, STORY-019) over the app with a real SQLite file
 * and the fake OpenAI server. The model `tiny` has an unknown model id (an 8,192-token context) and
 * `max_tokens` 256, so three turns of ~2,250-token messages fill it. With summaries on, the fourth
 * turn makes exactly one summarisation call, whose tokens count in the run and its budget, and its prompt carries the
 * summary instead of the first turn; a short turn re-uses the stored summary; a later overflow folds
 * the old summary in; clearing the conversation removes it. A failing summarisation leaves the run to
 * plain trimming with a warning; with summaries off, trimming is plain.
 *
 * The fake answers the summarisation request (its system prompt asks for a summary) with
 * `SUMMARY-n` (n counting those requests), 500 when the text to summarise contains `FAILSUM`, and any
 * other request with `ok`.
 */
import { cpSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeReply, type FakeRequestLog } from '../helpers/fake-openai.js';
import { tempDir } from '../helpers/tmp.js';
import { client, makeApp } from './fixture.js';

type Msg = { role: string; content: string | null };
const SUMMARY_USAGE = { prompt_tokens: 1000, completion_tokens: 40 };
const CHAT_USAGE = { prompt_tokens: 7, completion_tokens: 3 };

const isSummaryCall = (r: FakeRequestLog) =>
  r.path.endsWith('/chat/completions') && /summarise a conversation/.test((r.body.messages as Msg[])[0]!.content ?? '');
let summaries = 0;
function reply(req: FakeRequestLog): FakeReply {
  if (!isSummaryCall(req)) return { content: 'ok', usage: CHAT_USAGE };
  if (((req.body.messages as Msg[])[1]!.content ?? '').includes('FAILSUM')) return { status: 500 };
  return { content: `SUMMARY-${++summaries}`, usage: SUMMARY_USAGE };
}

const fake = await startFakeOpenAI({ default: reply });
const configDir = tempDir('cx-summary-config-');
cpSync(resolve(__dirname, '../../config'), configDir, { recursive: true });
writeFileSync(
  join(configDir, 'models', 'tiny.json'),
  JSON.stringify({ name: 'tiny', provider: 'openai', model: 'tiny-test', max_tokens: 256, input_cost_per_mtok: 1, output_cost_per_mtok: 2 }),
);
for (const [name, summarize] of [
  ['summarizer', true],
  ['trimmer', false],
] as const) {
  writeFileSync(join(configDir, 'agents', `${name}.json`), JSON.stringify({ name, model: 'tiny', system_prompt: 'You are terse.', memory: { summarize } }));
}
const t = await makeApp({ fakeUrl: fake.url, configDir, budgets: { tokens_per_day: 10_000_000 } });
const call = client(t.app);
afterAll(async () => {
  await t.close();
  await fake.close();
});

/** A message of ~2,250 tokens that starts with `tag`. */
const long = (tag: string) => `${tag} ${'lorem ipsum '.repeat(750)}`;

/** One chat turn; returns the conversation, the run's usage and the chat requests the fake got for it. */
async function turn(agent: string, message: string, conversation?: string, trace?: boolean) {
  const before = fake.requests.length;
  const res = await call('POST', `/api/agents/${agent}/chat`, {
    body: { message, ...(conversation ? { conversation_id: conversation } : {}), ...(trace ? { trace } : {}) },
  });
  expect(res.status, res.text).toBe(200);
  const sent = fake.requests.slice(before).filter((r) => r.path.endsWith('/chat/completions'));
  return {
    conversation: res.json.conversation_id as string,
    execution: res.json.execution_id as string,
    usage: res.json.usage as { input_tokens: number; output_tokens: number },
    summaryCalls: sent.filter(isSummaryCall),
    chat: sent.filter((r) => !isSummaryCall(r)).map((r) => r.body.messages as Msg[]),
  };
}

const texts = (messages: Msg[]) => messages.map((m) => m.content ?? '').join('\n');

describe('memory.summarize', () => {
  it('replaces the trimmed turns by one stored summary, re-used until more turns drop out, and cleared with the conversation', async () => {
    const first = await turn('summarizer', long('T1'));
    const id = first.conversation;
    for (const tag of ['T2', 'T3']) expect((await turn('summarizer', long(tag), id)).summaryCalls).toHaveLength(0);

    const fourth = await turn('summarizer', long('T4'), id, true);
    expect(fourth.summaryCalls).toHaveLength(1);
    expect(fourth.summaryCalls[0]!.body.messages[1].content).toContain('T1');
    // The run trace lists the summarisation call among the run's model calls, with its tokens.
    const calls = (await call('GET', `/api/executions/${fourth.execution}/trace`)).json.steps.filter((s: { kind: string }) => s.kind === 'model_call');
    expect(calls.map((c: { text: string; input_tokens: number }) => [c.text, c.input_tokens])).toEqual([
      ['SUMMARY-1', 1000],
      ['ok', 7],
    ]);
    const sent = fourth.chat[0]!;
    expect(sent[1]).toEqual({ role: 'system', content: 'Summary of earlier conversation:\nSUMMARY-1' });
    expect(texts(sent)).not.toContain('T1 ');
    expect(texts(sent)).toContain('T2 ');
    // The summarisation call's tokens are the run's: in its usage and its execution row (with their cost).
    expect(fourth.usage).toEqual({ input_tokens: 1007, output_tokens: 43 });
    const row = (await call('GET', `/api/executions/${fourth.execution}`)).json;
    expect(row).toMatchObject({ tokens_input: 1007, tokens_output: 43 });
    expect(row.cost_usd).toBeCloseTo((1007 * 1 + 43 * 2) / 1e6, 9);
    // ... and in the budget: three runs of 10 tokens, then this one's 1,050.
    const budgets = (await call('GET', '/api/usage')).json.budgets;
    expect(budgets).toContainEqual(expect.objectContaining({ scope: 'user', limit_key: 'tokens_per_day', used: 3 * 10 + 1050 }));
    expect((await call('GET', `/api/conversations/${id}`)).json.summary).toMatchObject({ text: 'SUMMARY-1', covers: 2 });

    // A short message leaves room: the stored summary is sent again, not re-made, and the run trace shows it.
    const fifth = await turn('summarizer', 'short one', id, true);
    expect(fifth.summaryCalls).toHaveLength(0);
    expect(fifth.chat[0]![1]!.content).toBe('Summary of earlier conversation:\nSUMMARY-1');
    expect(texts(fifth.chat[0]!)).not.toContain('T1 ');
    const trace = (await call('GET', `/api/executions/${fifth.execution}/trace`)).json;
    const traced = trace.steps.find((s: { kind: string }) => s.kind === 'messages');
    expect(traced.messages[1]).toEqual({ role: 'system', content: 'Summary of earlier conversation:\nSUMMARY-1' });
    expect(traced.history_trimmed).toBe(2);

    // More turns drop out: the old summary is folded into a new one with them.
    const sixth = await turn('summarizer', long('T6'), id);
    expect(sixth.summaryCalls).toHaveLength(1);
    const folded = sixth.summaryCalls[0]!.body.messages[1].content as string;
    expect(folded).toContain('SUMMARY-1');
    expect(folded).toContain('T2 ');
    expect(folded).not.toContain('T1 ');
    expect(sixth.chat[0]![1]!.content).toBe('Summary of earlier conversation:\nSUMMARY-2');
    expect((await call('GET', `/api/conversations/${id}`)).json.summary).toMatchObject({ text: 'SUMMARY-2', covers: 4 });

    expect((await call('DELETE', `/api/conversations/${id}/messages`)).json).toEqual({ deleted: 12 });
    expect((await call('GET', `/api/conversations/${id}`)).json.summary).toBeUndefined();
    const after = await turn('summarizer', 'fresh start', id);
    expect(after.summaryCalls).toHaveLength(0);
    expect(after.chat[0]!.map((m) => m.role)).toEqual(['system', 'user']);
  });

  it('falls back to plain trimming with a warning when the summarisation fails', async () => {
    const id = (await turn('summarizer', long('FAILSUM T1'))).conversation;
    for (const tag of ['T2', 'T3']) await turn('summarizer', long(tag), id);
    const fourth = await turn('summarizer', long('T4'), id);
    expect(fourth.summaryCalls).toHaveLength(1);
    expect(texts(fourth.chat[0]!)).not.toContain('Summary of earlier conversation');
    expect(texts(fourth.chat[0]!)).not.toContain('FAILSUM');
    expect(fourth.usage).toEqual({ input_tokens: 7, output_tokens: 3 });
    expect(t.warnings.some((w) => String(w.msg).startsWith('conversation summary failed') && w.conversation_id === id)).toBe(true);
    expect((await call('GET', `/api/conversations/${id}`)).json.summary).toBeUndefined();
  });

  it('with summarize off, trims the oldest turns without a summary', async () => {
    const id = (await turn('trimmer', long('T1'))).conversation;
    for (const tag of ['T2', 'T3']) await turn('trimmer', long(tag), id);
    const fourth = await turn('trimmer', long('T4'), id);
    expect(fourth.summaryCalls).toHaveLength(0);
    expect(fourth.chat[0]!.filter((m) => m.role === 'system')).toHaveLength(1);
    expect(texts(fourth.chat[0]!)).not.toContain('T1 ');
    expect(texts(fourth.chat[0]!)).toContain('T2 ');
  });
});
