/**
 * `caxton agent create --from-file F | --interactive | --template T [--name N] [--public]`
 * (templates are `templates/T.toon|toml|json`)
 * (SPEC §5; DIR-12 "CLI Tool Support"): create a user agent through the daemon. Interactive mode
 * asks for the fields, shows the TOON the daemon would store, and creates it after confirmation.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { fileURLToPath } from 'node:url';
import { requestJson } from '../../client/http.js';
import { DomainError } from '../../domain/errors.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';
import { bodyFromFile, createdLine, importQuery } from './agent-files.js';
import type { AgentCreated } from '../../domain/api-types.js';

/** Options of `agent create` (and `create --config`, `agent import`). */
export interface CreateOptions extends GlobalOptions {
  fromFile?: string;
  config?: string;
  interactive?: boolean;
  template?: string;
  name?: string;
  public?: boolean;
}

/** The shipped templates directory (package root `templates/`; dist/cli/commands -> ../../..). */
export function templatesDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../../..', '../..']) {
    const dir = resolve(here, up, 'templates');
    if (existsSync(dir)) return dir;
  }
  return resolve(here, '../../../templates');
}

async function interactive(socket: string, opts: CreateOptions): Promise<Record<string, unknown> | undefined> {
  // The async iterator buffers lines, so piped answers are not lost between prompts (question() would).
  const rl = createInterface({ input: process.stdin, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  const read = async (prompt: string) => {
    process.stderr.write(prompt);
    const next = await lines.next();
    if (next.done) throw new DomainError('BAD_REQUEST', 'input ended before the agent was complete; nothing created');
    return next.value.trim();
  };
  try {
    const ask = async (q: string, def = '') => (await read(def ? `${q} [${def}]: ` : `${q}: `)) || def;
    const name = await ask('Name (letters, digits, _ and -)', opts.name ?? '');
    const display_name = await ask('Display name (optional)');
    const description = await ask('Description (optional)');
    const model = await ask('Model alias', 'balanced');
    const tools = (await ask('Tools, comma-separated (optional)'))
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    process.stderr.write('System prompt (end with an empty line):\n');
    const prompt: string[] = [];
    for (;;) {
      const line = await read('> ');
      if (line === '') break;
      prompt.push(line);
    }
    const agent = { name, system_prompt: prompt.join('\n'), model, tools, ...(display_name ? { display_name } : {}), ...(description ? { description } : {}) };
    // The daemon validates and renders without storing (?dry_run), so what is shown is what it would keep.
    const preview = await requestJson<{ toon_preview: string }>(socket, '/api/agents?dry_run=true', { method: 'POST', body: agent });
    process.stderr.write(`\n${preview.toon_preview}\n`);
    const ok = (await ask('Create this agent? (y/N)', 'n')).toLowerCase();
    return ok === 'y' || ok === 'yes' ? agent : undefined;
  } finally {
    rl.close();
  }
}

/** Create the agent; exit 1 on any problem (located details on stderr). */
export async function run(_args: string[], opts: CreateOptions): Promise<number> {
  const socket = homePaths(opts).socket;
  const file = opts.fromFile ?? opts.config;
  const modes = [file, opts.interactive, opts.template].filter(Boolean).length;
  if (modes !== 1) throw new DomainError('BAD_REQUEST', 'choose exactly one of --from-file FILE, --interactive or --template NAME');
  let created: AgentCreated;
  if (opts.interactive) {
    const agent = await interactive(socket, opts);
    if (!agent) {
      process.stderr.write('cancelled; nothing created\n');
      return 1;
    }
    created = await requestJson<AgentCreated>(socket, '/api/agents', { method: 'POST', body: { ...agent, is_public: opts.public === true } });
  } else {
    let path = file;
    if (opts.template) {
      if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(opts.template)) throw new DomainError('BAD_REQUEST', `invalid template name ${opts.template}`);
      const dir = templatesDir();
      path = ['toon', 'toml', 'json'].map((ext) => join(dir, `${opts.template}.${ext}`)).find((p) => existsSync(p));
      if (!path) {
        const known = existsSync(dir)
          ? readdirSync(dir)
              .filter((f) => /\.(toon|toml|json)$/.test(f))
              .map((f) => f.replace(/\.\w+$/, ''))
          : [];
        throw new DomainError('NOT_FOUND', `no template named ${opts.template}`, [
          { message: `looked in ${dir}`, hint: known.length ? `templates: ${known.join(', ')}` : 'no templates are installed' },
        ]);
      }
    }
    const text = await bodyFromFile(path!);
    created = await requestJson<AgentCreated>(socket, `/api/agents/import${importQuery(opts)}`, { method: 'POST', text });
  }
  if (opts.json) printJson(created);
  else process.stdout.write(createdLine('created', created, file ?? opts.template ?? 'input'));
  return 0;
}
