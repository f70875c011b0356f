/**
 * The `caxton` / `ares` command line (SPEC §5). This file only declares commands; each handler lives
 * in `commands/` and is imported when its command runs, so `caxton server status` loads little more
 * than commander and the socket client. Exit codes: 0 ok, 1 failed, 2 usage, 3 daemon not running.
 */
import { Command, CommanderError, Option } from 'commander';
import { setActingAs } from '../client/http.js';
import { MEMORY_SCOPES } from '../domain/memory-scope.js';
import { versionInfo } from '../ipc/version.js';
import { programName, type GlobalOptions } from './context.js';
import { fail } from './output.js';

/** Entity kinds for `--kind` choices (kept here so the CLI's startup imports no schemas). */
const ENTITY_KIND_NAMES = ['agents', 'models', 'tools', 'workflows', 'mcps'] as const;

/** `--kind` of `validate`: a kind, plural or singular (`agent` = `agents`). */
function parseKind(value: string): string {
  const kind = ENTITY_KIND_NAMES.find((k) => k === value || k === `${value}s`);
  if (!kind) throw new CommanderError(2, 'caxton.invalidKind', `invalid kind "${value}": expected one of ${ENTITY_KIND_NAMES.join(', ')} (singular works too)`);
  return kind;
}

/** A command handler; each declares the option shape its command defines (commander validated it). */
type Handler = (args: string[], opts: never) => Promise<number | void>;

/** Wrap a lazily imported handler so it gets positional args + options merged with the globals. */
function lazy(load: () => Promise<{ run: Handler }>) {
  return async (...params: unknown[]) => {
    const cmd = params[params.length - 1] as Command;
    const args = params.slice(0, -2) as string[];
    const { run } = await load();
    const code = await run(args, cmd.optsWithGlobals() as never);
    if (typeof code === 'number' && code !== 0) process.exitCode = code;
  };
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CommanderError(2, 'caxton.invalidPort', `invalid port "${value}": expected an integer from 0 to 65535`);
  }
  return port;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CommanderError(2, 'caxton.invalidCount', `invalid count "${value}": expected a whole number`);
  return n;
}

/** Text formats of `agent show` / `agent export --format` (SPEC §3). */
const TEXT_FORMATS = ['toon', 'toml', 'json'];

/** Help text for `--public` on the commands that create user agents (SPEC §4 community tier). */
const PUBLIC_HELP = 'share it with every user (community tier, reached as YOUR-HANDLE/NAME)';

/**
 * Build the commander program (exported for tests and for `--help` rendering). Commands are
 * registered in the order `--help` lists them; every handler is imported only when its command runs.
 */
export function buildProgram(name = 'caxton'): Command {
  const program = new Command(name)
    .description('Caxton / ARES: run config-file agents in a local daemon with a REST API')
    .option('--home <dir>', 'home directory (default: $CAXTON_HOME, $ARES_HOME or ~/.caxton)')
    .option('--json', 'machine-readable output')
    .version(versionInfo().version, '-V, --version', 'print the version')
    .option('--as <email>', 'act as this user (the control socket is the admin)')
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      `
Exit status: 0 ok, 1 failed, 2 usage error, 3 daemon not running.
Docs: man caxton; README.md.`,
    );
  program.exitOverride();
  program.configureOutput({ outputError: (str, write) => write(str) });
  program.hook('preAction', (_program, action) => setActingAs(action.optsWithGlobals<{ as?: string }>().as));

  registerSetupCommands(program);
  registerServerCommands(program);
  registerAgentCommands(program);
  registerRunCommands(program);
  registerCreateAlias(program);
  registerTenantCommands(program);
  registerBudgetCommands(program);
  registerConfigTools(program);
  registerTestCommand(program);
  registerTemplateCommands(program);
  registerMcpCommands(program);
  registerWorkflowCommands(program);
  registerDelegationCommands(program);
  registerMemoryCommands(program);
  registerDatabaseCommands(program);
  registerDoctorCommand(program);
  return program;
}

/** `workflow list|run` (DIR-12 workflows: an entry agent that hands the message on). */
function registerWorkflowCommands(program: Command): void {
  const workflow = program.command('workflow').description('list and run workflows (config/workflows)');
  const load = (name: 'list' | 'run') => lazy(async () => ({ run: (await import('./commands/workflow.js'))[name] as Handler }));
  workflow.command('list').description('table of workflows: NAME ENTRY FALLBACK MAX_DEPTH MAX_ITERATIONS').action(load('list'));
  workflow
    .command('run')
    .description('send one message to a workflow and stream the answer; the path of agents goes to stderr')
    .argument('<name>', 'workflow name')
    .argument('<message>', 'the message to send')
    .option('--conversation <id>', 'continue this conversation')
    .option('--no-stream', 'wait for the whole answer instead of streaming it')
    .action(load('run'));
}

/** `memory list|search|add|delete|export|import|reindex|stats` (docs/memory.md), and `conversation clear` (STORY-019) with the shared-conversation commands. */
function registerMemoryCommands(program: Command): void {
  const memory = program.command('memory').description('memory items: list, search, add, delete, export, import, re-embed');
  const load = (name: 'list' | 'search' | 'add' | 'remove' | 'exportItems' | 'importItems' | 'reindex' | 'stats') =>
    lazy(async () => ({ run: (await import('./commands/memory.js'))[name] as Handler }));
  const scopes = [...MEMORY_SCOPES];
  memory
    .command('list')
    .description('your memory items, newest first')
    .option('--agent <name>', 'items stored by this agent')
    .addOption(new Option('--scope <scope>').choices(scopes))
    .option('--conversation <id>', 'items of this conversation')
    .option('--text <text>', 'items containing this text')
    .option('--limit <n>', 'at most this many (default 100)')
    .action(load('list'));
  memory
    .command('search <query>')
    .description('search memory items by meaning, by words or both')
    .option('--k <n>', 'results at most (default 10)')
    .addOption(new Option('--mode <mode>', 'ranking (default hybrid)').choices(['semantic', 'keyword', 'hybrid']))
    .option('--agent <name>', "what this agent's runs would find")
    .addOption(new Option('--scope <scope>').choices(scopes))
    .action(load('search'));
  memory
    .command('add <text>')
    .description('store a memory item')
    .addOption(new Option('--scope <scope>', 'who shares it (default user)').choices(scopes))
    .option('--agent <name>', 'the agent whose memory it is (scope agent)')
    .option('--conversation <id>', 'the conversation (scope conversation)')
    .option('--metadata <json>', 'a JSON object stored with it')
    .action(load('add'));
  memory.command('delete <id>').description('delete a memory item').action(load('remove'));
  memory.command('export').description('write every memory item as JSON lines to stdout').action(load('exportItems'));
  memory
    .command('import [file]')
    .description('read memory items from JSON lines (a file, or - / nothing for stdin); each is embedded on the way in')
    .action(load('importItems'));
  memory
    .command('reindex')
    .description('re-embed every item without a vector of the configured embedder (admin); progress on stderr, joins a re-embedding already running')
    .action(load('reindex'));
  memory.command('stats').description('item counts per scope and embedder, and the embedder in use').action(load('stats'));
  const conversation = program.command('conversation').description('conversations, shared ones included');
  conversation
    .command('clear <id>')
    .description("clear a conversation's context: delete its messages, keep the conversation")
    .action(lazy(() => import('./commands/conversation-clear.js')));
  registerSharedConversationCommands(conversation);
}

/** `conversation create|send|show`: shared conversations of several agents (STORY-032). */
function registerSharedConversationCommands(conversation: Command): void {
  const load = (name: 'create' | 'send' | 'show') => lazy(async () => ({ run: (await import('./commands/conversation.js'))[name] as Handler }));
  conversation
    .command('create')
    .description('start a shared conversation; prints its id')
    .requiredOption('--agents <names>', 'participants, comma-separated, in answering order')
    .action(load('create'));
  conversation
    .command('send <id> <message>')
    .description('post a message: to one participant (default the first) or to all, who answer in order')
    .option('--to <agent>', 'a participant, or "all"')
    .option('--no-stream', 'wait for every answer instead of streaming them')
    .action(load('send'));
  conversation
    .command('show <id>')
    .description('participants, the summary of the oldest messages when one was made, and messages with their authors')
    .action(load('show'));
}

/** `run show ID` (the execution tree), `run trace ID` (docs/testing.md "Run traces") and `run pending|approve|reject` (the approval gate, docs/patterns.md). */
function registerRunCommands(program: Command): void {
  const run = program.command('run').description('agent runs: their trees and traces, and tool calls waiting for approval');
  run
    .command('show')
    .description('a run and the sub-agent runs it started, as an indented tree')
    .argument('<id>', 'execution id (exec_…)')
    .action(lazy(() => import('./commands/run-show.js')));
  run
    .command('trace')
    .description('print the step-by-step trace stored with a run (recorded with --trace, trace: true or [runtime] trace)')
    .argument('<id>', 'execution id (exec_...)')
    .option('--kind <kinds>', 'only these step kinds, comma-separated: prompt, messages, model_call, tool_call, end')
    .action(lazy(() => import('./commands/run-trace.js')));
  const load = (name: 'pending' | 'approve' | 'reject') => lazy(async () => ({ run: (await import('./commands/run-approvals.js'))[name] as Handler }));
  run.command('pending').description('runs paused for approval of their tool calls').option('--all', "everyone's (admin)").action(load('pending'));
  run
    .command('approve <id>')
    .description('approve the tool calls a paused run waits on: they run once and the run goes on')
    .option('--no-stream', 'print the result at the end')
    .action(load('approve'));
  run
    .command('reject <id>')
    .description('reject them: the model is told "rejected by USER: reason" and the run goes on')
    .option('--reason <text>', 'why (sent to the model)')
    .option('--no-stream', 'print the result at the end')
    .action(load('reject'));
}

/** `version` and `init` (SPEC §2 home layout, §5). */
function registerSetupCommands(program: Command): void {
  program
    .command('version')
    .description('print version, build and Node.js version')
    .action(lazy(() => import('./commands/version.js')));
  program
    .command('init')
    .description('write ares.toml and the shipped config/ into the home')
    .option('--force', 'overwrite existing files')
    .addOption(new Option('--provider <name>', 'what the shipped models use').choices(['openai', 'ollama', 'offline']))
    .action(lazy(() => import('./commands/init.js')));
}

/** `server start|stop|restart|status|logs`: the daemon's process lifecycle (SPEC §5, §8). */
function registerServerCommands(program: Command): void {
  const server = program.command('server').description('start, stop and inspect the daemon');
  server
    .command('start')
    .description('start the daemon in the background (initialises an empty home first)')
    .option('--port <n>', 'TCP port of the HTTP API (default 8080; 0 = any free port)', parsePort)
    .option('--host <addr>', 'address to bind (default 127.0.0.1)')
    .option('--foreground', 'run in this process (for systemd and containers); logs go to stdout too')
    .action(lazy(() => import('./commands/server-start.js')));
  server
    .command('stop')
    .description('stop the daemon gracefully (in-flight requests finish first)')
    .action(lazy(() => import('./commands/server-stop.js')));
  server
    .command('restart')
    .description('stop the daemon if it runs, then start it')
    .option('--port <n>', 'TCP port of the HTTP API', parsePort)
    .option('--host <addr>', 'address to bind')
    .action(lazy(() => import('./commands/server-restart.js')));
  server
    .command('status')
    .description('show whether the daemon runs, its pid, URL, socket, uptime, agents and providers (exit 3 if not running)')
    .action(lazy(() => import('./commands/server-status.js')));
  server
    .command('logs')
    .description('print the daemon log as readable lines (--json: the JSON lines), filtered by level, agent, run, request or text')
    .option('-n, --lines <n>', 'number of matching lines from the end', parseCount, 50)
    .option('-f, --follow', 'keep printing new matching lines')
    .addOption(new Option('--level <level>', 'only lines of this level and above').choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal']))
    .option('--agent <name>', 'only lines about this agent')
    .option('--run <id>', 'only lines of this run (execution_id, exec_...)')
    .option('--request <id>', 'only lines of this request (request_id, the X-Request-Id header)')
    .option('--grep <text>', 'only lines containing this text (case-sensitive)')
    .action(lazy(() => import('./commands/server-logs.js')));
}

/** `agent ...`: use, manage and control agents (SPEC §4 tiers, §5). */
function registerAgentCommands(program: Command): void {
  const agent = program.command('agent').description('create, list, run, share and control agents');
  agent
    .command('list')
    .description('table of the agents you can use: NAME SOURCE MODEL TOOLS')
    .option('--source <tier>', 'only agents of this tier: user, community or system')
    .action(lazy(() => import('./commands/agent-list.js')));
  agent
    .command('test')
    .description('send one message to an agent and stream the reply')
    .argument('<name>', 'agent name')
    .argument('<message>', 'the message to send')
    .option('--conversation <id>', 'continue this conversation')
    .option('--no-stream', 'wait for the whole reply instead of streaming it')
    .option('--trace', 'record the run trace and print it after the reply (to stderr; with --json, as `trace`)')
    .action(lazy(() => import('./commands/agent-test.js')));
  registerUserAgentCommands(agent);
  registerAgentLifecycleCommands(agent);
}

/** `agent create|show|export|import|update|delete`: the caller's user-tier agents (SPEC §3, §4). */
function registerUserAgentCommands(agent: Command): void {
  agent
    .command('create')
    .description('create a user agent from a file (TOON, TOML, JSON, Markdown), interactively, or from a template')
    .option('--from-file <file>', 'agent definition file')
    .option('--interactive', 'ask for the fields, show the TOON, confirm')
    .option('--template <name>', 'start from templates/NAME.toon (chatbot, data-analyzer, task-scheduler, customer-support)')
    .option('--name <name>', 'store under this name instead of the one in the file')
    .option('--public', PUBLIC_HELP)
    .action(lazy(() => import('./commands/agent-create.js')));
  agent
    .command('show')
    .description('show an agent as you see it (canonical TOON unless --format)')
    .argument('<name>', 'agent name')
    .addOption(new Option('--format <format>', 'text format').choices(TEXT_FORMATS))
    .action(lazy(() => import('./commands/agent-show.js')));
  agent
    .command('export')
    .description('write an agent as canonical text to stdout (TOON unless --format)')
    .argument('<name>', 'agent name')
    .addOption(new Option('--format <format>', 'text format').choices(TEXT_FORMATS))
    .action(lazy(() => import('./commands/agent-export.js')));
  agent
    .command('import')
    .description('create a user agent from a TOON, TOML, JSON or Markdown file')
    .argument('<file>', 'agent definition file')
    .option('--name <name>', 'store under this name instead of the one in the file')
    .option('--public', PUBLIC_HELP)
    .action(lazy(() => import('./commands/agent-import.js')));
  agent
    .command('update')
    .description("replace one of your agents with a file's definition")
    .argument('<name>', 'agent name')
    .requiredOption('--from-file <file>', 'agent definition file')
    .option('--public', 'make it public')
    .option('--private', 'make it private')
    .action(lazy(() => import('./commands/agent-update.js')));
  agent
    .command('delete')
    .description('delete one of your agents')
    .argument('<name>', 'agent name')
    .action(lazy(() => import('./commands/agent-delete.js')));
}

/** `agent stop|start|restart NAME`: agent lifecycle (admin, over the control socket; seed STORY-009, STORY-024). */
function registerAgentLifecycleCommands(agent: Command): void {
  const lifecycle = {
    stop: 'stop serving an agent: new runs are refused (HTTP 503) until it is started; runs in flight finish',
    start: 'start a stopped agent again',
    restart: 'restart an agent: clears a failed agent; any other agent ends up running',
  } as const;
  for (const [action, description] of Object.entries(lifecycle) as [keyof typeof lifecycle, string][]) {
    agent
      .command(action)
      .description(description)
      .argument('<name>', 'agent name')
      .action(lazy(() => import('./commands/agent-lifecycle.js').then((m) => ({ run: m.runAction(action) }))));
  }
}

/** Top-level `create --config FILE`, the alias of `agent create --from-file` (SPEC §5). */
function registerCreateAlias(program: Command): void {
  program
    .command('create')
    .description('create a user agent from a config file (alias of `agent create --from-file`)')
    .requiredOption('--config <file>', 'agent definition file')
    .option('--name <name>', 'store under this name instead of the one in the file')
    .option('--public', PUBLIC_HELP)
    .action(lazy(() => import('./commands/create.js')));
}

/** `user create` and `key create|list|revoke`: tenants and their API keys (SPEC §4, §6). */
function registerTenantCommands(program: Command): void {
  const user = program.command('user').description('tenants (admin, over the control socket)');
  user
    .command('create')
    .description('create a user')
    .argument('<email>', "the user's email (login name)")
    .option('--handle <handle>', 'public name for their shared agents, tools and MCP servers (HANDLE/NAME); default: from the email')
    .option('--name <name>', 'display name')
    .option('--admin', 'give the user admin rights over TCP too')
    .option('--key', 'also create an API key for them and print it once')
    .action(lazy(() => import('./commands/user-create.js')));
  const key = program.command('key').description('API keys (shown once, stored hashed)');
  key
    .command('create')
    .description('create an API key and print it once')
    .option('--name <name>', 'a label to recognise it by')
    .action(lazy(() => import('./commands/key-create.js')));
  key
    .command('list')
    .description('list your API keys by prefix')
    .action(lazy(() => import('./commands/key-list.js')));
  key
    .command('revoke')
    .description('revoke an API key')
    .argument('<id>', 'key id (from `key list`)')
    .action(lazy(() => import('./commands/key-revoke.js')));
}

/** An amount of a budget: a number >= 0 (USD, or a whole number of tokens when `whole`). */
function parseAmount(whole: boolean) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (whole && !Number.isInteger(n))) {
      throw new CommanderError(2, 'caxton.invalidAmount', `invalid amount "${value}": expected ${whole ? 'a whole number of tokens' : 'a number of USD'} >= 0`);
    }
    return n;
  };
}

/** `limits show|set` and `usage`: budgets and what was spent (src/runtime/budgets.ts). */
function registerBudgetCommands(program: Command): void {
  const limits = program.command('limits').description("budgets: a user's limits per UTC day and month (admin)");
  limits
    .command('show')
    .description('show the budgets that apply to a user, with use, what remains and the reset time')
    .option('--user <email>', 'the user (email or id; default: local)')
    .action(lazy(() => import('./commands/limits-show.js')));
  limits
    .command('set')
    .description("override a user's budgets and request rate (other limits stay as they are)")
    .requiredOption('--user <email>', 'the user (email or id; local for the built-in user)')
    .option('--usd-per-day <usd>', 'most USD per UTC day', parseAmount(false))
    .option('--usd-per-month <usd>', 'most USD per UTC month', parseAmount(false))
    .option('--tokens-per-day <n>', 'most tokens per UTC day', parseAmount(true))
    .option('--tokens-per-month <n>', 'most tokens per UTC month', parseAmount(true))
    .option('--requests-per-minute <n>', 'most requests per minute over TCP, on each node (0: unlimited)', parseAmount(true))
    .option('--clear', 'remove every override first (the [limits] defaults apply again)')
    .action(lazy(() => import('./commands/limits.js')));
  program
    .command('usage')
    .description('runs, tokens and cost of this UTC month (or day), and what remains of each budget')
    .option('--user <email>', 'one user (email or id; default: every user over the control socket)')
    .addOption(new Option('--by <group>', 'group by').choices(['agent', 'model', 'day', 'user']).default('agent'))
    .addOption(new Option('--period <period>', 'this UTC day or month').choices(['day', 'month']).default('month'))
    .action(lazy(() => import('./commands/usage.js')));
}

/** `validate`, `migrate` and `schema`: config-file tools that need no daemon (SPEC §3, §5). */
function registerConfigTools(program: Command): void {
  program
    .command('validate')
    .description('check entity files, config trees and ares.toml without the daemon (exit 1 on errors)')
    .argument('[paths...]', 'files, kind directories (config/agents), config trees (config/) or homes (default: the home)')
    .option(
      '--kind <kind>',
      `kind of loose files outside a kind directory: ${ENTITY_KIND_NAMES.join(', ')} (singular too; default: the kind they resemble)`,
      parseKind,
    )
    .action(lazy(() => import('./commands/validate.js')));
  program
    .command('migrate')
    .description('convert Markdown+YAML frontmatter agents to TOML (validates what it writes)')
    .argument('<paths...>', '.md files or directories holding them')
    .option('--out <dir>', 'write the .toml files here (default: next to each source, which is kept)')
    .option('--force', 'overwrite existing .toml files')
    .action(lazy(() => import('./commands/migrate.js')));
  program
    .command('schema')
    .description('print the entity schemas (fields, types, defaults) from the validator itself')
    .addOption(new Option('--format <format>', 'output format').choices(['markdown', 'json']).default('markdown'))
    .addOption(new Option('--kind <kind>', 'only this entity kind').choices([...ENTITY_KIND_NAMES]))
    .action(lazy(() => import('./commands/schema.js')));
}

/** `test`: scenario files run in-process against the home's config, without a daemon (docs/testing.md). */
function registerTestCommand(program: Command): void {
  program
    .command('test')
    .description('run scenario files (NAME.test.toml) against the agents without a daemon (exit 1 on a failed case)')
    .argument('[paths...]', "scenario files or directories (default: the home's config/ and tests/)")
    .option('--filter <text>', 'only cases whose "FILE › NAME" contains this text')
    .addOption(new Option('--reporter <kind>', 'also write a report').choices(['junit']))
    .option('--output <file>', 'where --reporter writes')
    .option('--record', "call the real models and (re)write each suite's cassette")
    .option('--replay', 'answer from cassettes only; a request not recorded fails')
    .option('--update', 'replay cassettes and record only the requests missing from them')
    .option('--concurrency <n>', 'cases run at once (default 4)', parseCount)
    .option('--trace', "print every case's prompt and steps: template variables, model calls, tool calls, the end")
    .action(lazy(() => import('./commands/test.js')));
}

/** `template list` and `template show`: the shipped agent templates and their metadata (STORY-048). */
function registerTemplateCommands(program: Command): void {
  const template = program.command('template').description('the shipped agent templates');
  template
    .command('list')
    .description('NAME VERSION TAGS DESCRIPTION of every template')
    .action(lazy(() => import('./commands/template.js').then((m) => ({ run: m.list }))));
  template
    .command('show')
    .description("a template's metadata, example inputs and file")
    .argument('<name>', 'template name')
    .action(lazy(() => import('./commands/template.js').then((m) => ({ run: m.show }))));
}

/** `mcp list` and `mcp serve`: MCP servers the agents use, and the daemon as an MCP server (SPEC §3, §6). */
function registerMcpCommands(program: Command): void {
  const mcp = program.command('mcp').description('MCP servers the agents use, and the daemon as an MCP server');
  mcp
    .command('list')
    .description('table of MCP servers: NAME STATE TRANSPORT TOOLS LAST_ERROR')
    .action(lazy(() => import('./commands/mcp-list.js')));
  mcp
    .command('serve')
    .description('serve your agents as MCP tools on stdin/stdout (for MCP clients); needs the daemon running')
    .action(lazy(() => import('./commands/mcp-serve.js')));
}

/** `capability list` and `ask CAPABILITY "message"` (capability routing). */
function registerDelegationCommands(program: Command): void {
  const load = (name: 'list' | 'ask') => lazy(async () => ({ run: (await import('./commands/capability.js'))[name] as Handler }));
  program
    .command('capability')
    .description('capabilities your agents offer')
    .command('list')
    .description('table of capabilities: CAPABILITY AGENTS (each with its state)')
    .action(load('list'));
  program
    .command('ask')
    .description('send one message to the agent routing chooses for a capability and stream the reply')
    .argument('<capability>', 'capability tag (an agent lists it in capabilities[])')
    .argument('<message>', 'the message to send')
    .option('--conversation <id>', 'continue this conversation')
    .option('--no-stream', 'wait for the whole reply instead of streaming it')
    .action(load('ask'));
}

/** `db migrate` and `db status`: offline database administration that opens the database directly (no daemon). */
function registerDatabaseCommands(program: Command): void {
  const db = program.command('db').description('copy and inspect the database directly (no daemon needed)');
  db.command('migrate')
    .description('copy every table from one database to another (SQLite <-> PostgreSQL) and verify the row counts')
    .requiredOption('--from <db>', 'source: sqlite:PATH, PATH.db or postgres://USER@HOST/DB')
    .requiredOption('--to <db>', 'target, same forms; must be empty unless --force')
    .option('--force', "empty the target's tables first (in the same transaction as the copy)")
    .action(lazy(() => import('./commands/db-migrate.js')));
  db.command('status')
    .description('backend, location, schema version, rows per table and size of the configured database')
    .action(lazy(() => import('./commands/db-status.js')));
}

/** `doctor`: check the install, each provider and each MCP server for real, with the fix for each failure (no daemon needed). */
function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check the install, each provider (key, models, tool calling) and MCP server, and print the fix for each failure (exit 1 if broken)')
    .option('--provider <name>', 'check only this provider of ares.toml (and its models); skips MCP servers')
    .option('--skip-network', 'check the install only: no provider requests, no MCP servers started')
    .action(lazy(() => import('./commands/doctor.js')));
}

/** Entry point used by bin/caxton and bin/ares. Sets `process.exitCode`; never calls process.exit on success. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram(programName(argv));
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        process.exitCode = 0;
        return;
      }
      if (err.code.startsWith('caxton.')) process.stderr.write(`error: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.exitCode = fail(err, program.opts<GlobalOptions>().json === true);
  }
}

// Run when executed directly (`node dist/cli/main.js ...`, as the detached daemon is spawned).
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  await main(process.argv);
}
