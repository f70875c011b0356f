/**
 * Real transports of the MCP manager (SPEC §3 MCP server): stdio children and Streamable HTTP.
 * A stdio child gets only the server's configured `env` (with `${VAR}` references expanded from the
 * daemon's environment) on top of the SDK's `getDefaultEnvironment()` (HOME, LOGNAME, PATH, SHELL,
 * TERM, USER): never the daemon's API keys. Its stderr is piped and kept (last 2 KiB, with the secret
 * values of its `env` scrubbed: src/domain/secrets.ts `secretEnvValues`) so a crash can say why. A
 * child runs under its `memory_mb` / `cpu_secs` limits (src/tools/mcp/limits.ts), and its exit
 * status tells which limit it broke. The SDK modules load on first use.
 */
import type { McpServer } from '../../domain/entities.js';
import { SecretScrubber, secretEnvValues } from '../../domain/secrets.js';
import { publicOnlyFetch } from '../net-policy.js';
import { expandEnv, type OpenedTransport, type TransportFactory } from './connection.js';
import { breachOf, limitsOf, reportsOutOfMemory, wrapCommand, type ChildExit } from './limits.js';

/** Bytes of a child's stderr kept for error messages. */
const STDERR_KEEP = 2048;

/** The child process the SDK's stdio transport spawns in `start()` (a field the SDK keeps private). */
interface SpawnedChild {
  _process?: { once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): void };
}

async function openStdio(
  server: McpServer,
  source: Readonly<Record<string, string | undefined>>,
  cwd: string | undefined,
  opts: RealTransportOptions,
): Promise<OpenedTransport> {
  const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
  const env = expandEnv(server.env, source);
  const secrets = new SecretScrubber(secretEnvValues(server.env, env));
  const limits = limitsOf(server, opts.defaultMemoryMb);
  const run = wrapCommand(server.command!, server.args, limits, opts.warn ?? (() => undefined));
  let exit: ChildExit | undefined;
  const transport = new StdioClientTransport({ command: run.command, args: run.args, env, stderr: 'pipe', ...(cwd ? { cwd } : {}) });
  const start = transport.start.bind(transport);
  // The SDK reports a child's end without its exit status; the status is what tells a broken limit apart.
  transport.start = () => {
    const started = start();
    (transport as unknown as SpawnedChild)._process?.once('exit', (code, signal) => (exit = { code, signal }));
    return started;
  };
  let tail = '';
  let outOfMemory = false;
  transport.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    outOfMemory ||= run.limited && reportsOutOfMemory(text);
    tail = (tail + text).slice(-STDERR_KEEP);
  });
  return {
    transport,
    pid: () => transport.pid,
    breach: () => (run.limited && exit ? breachOf(limits, exit, outOfMemory) : undefined),
    stderrTail: () => {
      // Prefer the last line that names a problem over trailers such as node's "Node.js v20.x".
      const lines = secrets
        .scrub(tail)
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      const telling = lines.filter((l) => /error|exception|cannot|can't|not found|denied|usage|invalid|fatal/i.test(l));
      return (telling[telling.length - 1] ?? lines[lines.length - 1] ?? '').slice(0, 300);
    },
  };
}

async function openHttp(server: McpServer, publicOnly: boolean): Promise<OpenedTransport> {
  const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
  return { transport: new StreamableHTTPClientTransport(new URL(server.url!), publicOnly ? { fetch: publicOnlyFetch } : undefined) };
}

/** Options of `realTransports`. */
export interface RealTransportOptions {
  /**
   * Streamable HTTP may only reach public addresses (src/tools/net-policy.ts), checked on every
   * address connected to: for user-tier servers of non-admin users unless `[mcp] allow_private_urls`.
   */
  publicOnly?: boolean;
  /** `[mcp] default_memory_mb`: the memory limit of stdio servers without their own `memory_mb` (MiB). */
  defaultMemoryMb?: number;
  /** Told once when limits are set but `prlimit` is missing (servers then start without them). */
  warn?: (msg: string) => void;
}

/**
 * The transport factory the daemon uses: stdio for `command` (children start in `cwd`, the home, so
 * relative paths in `command`/`args` mean the same whatever directory the daemon was started from),
 * Streamable HTTP for `url`.
 */
export function realTransports(cwd?: string, opts: RealTransportOptions = {}): TransportFactory {
  return (server, env) => (server.url ? openHttp(server, opts.publicOnly === true) : openStdio(server, env, cwd, opts));
}
