/**
 * Shared conversations (STORY-032) through the daemon: `caxton conversation create --agents a,b,c`
 * (`POST /api/conversations`), `caxton conversation send ID [--to AGENT|all] [--no-stream] "message"`
 * (`POST /api/conversations/ID/messages`: each answer printed as `AGENT: reply`, streamed as it
 * arrives; without `--to` the first participant answers) and `caxton conversation show ID`
 * (`GET /api/conversations/ID`: participants, the summary standing in for the oldest messages when
 * the agent made one (`memory.summarize`), then each message as `AUTHOR -> TO: text`).
 * A failure exits 1, as does an answer that ended as a stated failure (docs/finish-reasons.md).
 */
import { requestJson, requestSse } from '../../client/http.js';
import { DomainError } from '../../domain/errors.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';

interface Participants {
  id: string;
  participants: { agent: string; joined_at: number }[];
}
/** A conversation as `GET /api/conversations/ID` answers it. */
interface Conversation extends Participants {
  messages: { role: string; content: string; author?: string; to?: string }[];
  summary?: { text: string; covers: number };
}
interface Answer {
  agent: string;
  reply: string;
  finish_reason: string;
  error?: string;
}
const TIMEOUT_MS = 10 * 60_000;
const path = (id: string, rest = '') => `/api/conversations/${encodeURIComponent(id)}${rest}`;

/** Create a shared conversation with `--agents` (comma-separated, in answering order); prints its id. */
export async function create(_args: string[], opts: GlobalOptions & { agents: string }): Promise<number> {
  const participants = opts.agents
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  const conv = await requestJson<Participants>(homePaths(opts).socket, '/api/conversations', { method: 'POST', body: { participants } });
  if (opts.json) printJson(conv);
  else process.stdout.write(`${conv.id}\n`);
  return 0;
}

/** Post `args[1]` to conversation `args[0]`; exit 1 when a run fails or an answer is a stated failure. */
export async function send(args: string[], opts: GlobalOptions & { to?: string; stream?: boolean }): Promise<number> {
  const [id, text] = args as [string, string];
  const socket = homePaths(opts).socket;
  const body = { text, ...(opts.to ? { to: opts.to } : {}) };
  if (opts.stream === false || opts.json) {
    const res = await requestJson<{ answers: Answer[] }>(socket, path(id, '/messages'), {
      method: 'POST',
      body: { ...body, stream: false },
      timeoutMs: TIMEOUT_MS,
    });
    if (opts.json) printJson(res);
    else for (const a of res.answers) process.stdout.write(`${a.agent}: ${a.reply}\n`);
    return res.answers.some((a) => a.error !== undefined) ? 1 : 0;
  }
  let failed = false;
  for await (const ev of requestSse(socket, path(id, '/messages'), { method: 'POST', body: { ...body, stream: true }, timeoutMs: TIMEOUT_MS })) {
    const data = JSON.parse(ev.data) as Record<string, unknown>;
    if (ev.event === 'agent_started') process.stdout.write(`${String(data.agent)}: `);
    else if (ev.event === 'text_delta') process.stdout.write(String(data.text));
    else if (ev.event === 'agent_finished') {
      process.stdout.write('\n');
      if (data.error !== undefined) failed = true;
    } else if (ev.event === 'error') {
      process.stdout.write('\n');
      throw new DomainError((data.code as DomainError['code']) ?? 'INTERNAL', String(data.message));
    }
  }
  return failed ? 1 : 0;
}

/** Print conversation `args[0]`: its participants, its summary when one was made, then its messages with author and addressee. */
export async function show(args: string[], opts: GlobalOptions): Promise<number> {
  const conv = await requestJson<Conversation>(homePaths(opts).socket, path(args[0]!));
  if (opts.json) {
    printJson(conv);
    return 0;
  }
  process.stdout.write(`conversation ${conv.id}\nparticipants: ${conv.participants.map((p) => p.agent).join(', ') || '(none)'}\n`);
  if (conv.summary) process.stdout.write(`summary of the oldest ${conv.summary.covers} message(s): ${conv.summary.text}\n`);
  for (const m of conv.messages) process.stdout.write(`${m.author ?? m.role}${m.to ? ` -> ${m.to}` : ''}: ${m.content}\n`);
  return 0;
}
