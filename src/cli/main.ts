/**
 * The `caxton` / `ares` command line (SPEC §5). This file only declares commands; each handler lives
 * in `commands/` and is imported when its command runs, so `caxton server status` loads little more
 * than commander and the socket client. Exit codes: 0 ok, 1 failed, 2 usage, 3 daemon not running.
 */
import { Command, CommanderError, Option } from 'commander';
import { versionInfo } from '../ipc/version.js';
import { programName, type GlobalOptions } from './context.js';
import { fail } from './output.js';

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

/** Build the commander program (exported for tests and for `--help` rendering). */
export function buildProgram(name = 'caxton'): Command {
  const program = new Command(name)
    .description('Caxton / ARES: run config-file agents in a local daemon with a REST API')
    .option('--home <dir>', 'home directory (default: $CAXTON_HOME, $ARES_HOME or ~/.caxton)')
    .option('--json', 'machine-readable output')
    .version(versionInfo().version, '-V, --version', 'print the version')
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      `
Exit status: 0 ok, 1 failed, 2 usage error, 3 daemon not running.
Docs: man caxton; README.md.`,
    );
  program.exitOverride();
  program.configureOutput({ outputError: (str, write) => write(str) });

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
    .description('print the daemon log (JSON lines)')
    .option('-n, --lines <n>', 'number of lines from the end', parseCount, 50)
    .option('-f, --follow', 'keep printing new lines')
    .action(lazy(() => import('./commands/server-logs.js')));

  const agent = program.command('agent').description('list and run agents');
  agent
    .command('list')
    .description('table of the agents you can use: NAME SOURCE MODEL TOOLS')
    .action(lazy(() => import('./commands/agent-list.js')));
  agent
    .command('test')
    .description('send one message to an agent and stream the reply')
    .argument('<name>', 'agent name')
    .argument('<message>', 'the message to send')
    .option('--conversation <id>', 'continue this conversation')
    .option('--no-stream', 'wait for the whole reply instead of streaming it')
    .action(lazy(() => import('./commands/agent-test.js')));

  const mcp = program.command('mcp').description('MCP servers the agents use, and the daemon as an MCP server');
  mcp
    .command('list')
    .description('table of MCP servers: NAME STATE TRANSPORT TOOLS LAST_ERROR')
    .action(lazy(() => import('./commands/mcp-list.js')));
  mcp
    .command('serve')
    .description('serve your agents as MCP tools on stdin/stdout (for MCP clients); needs the daemon running')
    .action(lazy(() => import('./commands/mcp-serve.js')));

  return program;
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
