/**
 * `caxton server logs [-n N] [-f] [--level L] [--agent A] [--run ID] [--request ID] [--grep TEXT] [--json]`:
 * the last N lines of logs/caxton.log that pass the filters, optionally following the file as it
 * grows (rotation included), printed as human lines (time, level, component, message, fields) or,
 * with `--json`, as the JSON lines themselves. The filters read the fields every line of a request or
 * run carries (STORY-021): `--level` keeps that level and above, `--agent` the lines of agent A,
 * `--run` those with `execution_id` ID, `--request` those with `request_id` ID, `--grep` the lines
 * containing TEXT (case-sensitive, anywhere in the JSON line). A line that is not JSON (a crash trace
 * the daemon's stderr wrote) passes only `--grep`, or no filter at all.
 */
import { closeSync, createReadStream, openSync, readSync, statSync, watch } from 'node:fs';
import { loadAresConfig } from '../../config/ares-toml.js';
import { DomainError } from '../../domain/errors.js';
import { homePaths, type GlobalOptions } from '../context.js';

/** pino's levels by name, for `--level` and the human lines. */
export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

/** The command's options (commander, with the globals). */
export interface LogsOptions extends GlobalOptions {
  lines: number;
  follow?: boolean;
  level?: keyof typeof LOG_LEVELS;
  agent?: string;
  run?: string;
  request?: string;
  grep?: string;
}

type Entry = Record<string, unknown>;

/** The parsed line, or undefined when it is not a JSON object. */
function parse(line: string): Entry | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Entry;
  } catch {
    return undefined;
  }
}

/** pino's numeric level of an entry whose `level` is a label (the daemon's) or a number. */
const levelOf = (e: Entry): number => (typeof e.level === 'number' ? e.level : (LOG_LEVELS[e.level as keyof typeof LOG_LEVELS] ?? 0));

/** The predicate of the filters in `opts`: true for lines to print. */
export function lineFilter(opts: Pick<LogsOptions, 'level' | 'agent' | 'run' | 'request' | 'grep'>): (line: string) => boolean {
  const fields: [string, string][] = [];
  if (opts.agent !== undefined) fields.push(['agent', opts.agent]);
  if (opts.run !== undefined) fields.push(['execution_id', opts.run]);
  if (opts.request !== undefined) fields.push(['request_id', opts.request]);
  const min = opts.level ? LOG_LEVELS[opts.level] : undefined;
  const structured = fields.length > 0 || min !== undefined;
  return (line) => {
    if (opts.grep !== undefined && !line.includes(opts.grep)) return false;
    if (!structured) return true;
    const e = parse(line);
    if (!e) return false;
    return (min === undefined || levelOf(e) >= min) && fields.every(([k, v]) => e[k] === v);
  };
}

const SHOWN_APART = new Set(['time', 'level', 'msg', 'component', 'pid', 'hostname', 'err']);

/** One line for people: `TIME LEVEL COMPONENT message key=value...`, an error's stack below it; non-JSON lines as they are. */
export function humanLine(line: string): string {
  const e = parse(line);
  if (!e) return line;
  const label =
    typeof e.level === 'number'
      ? (Object.keys(LOG_LEVELS).find((k) => LOG_LEVELS[k as keyof typeof LOG_LEVELS] === e.level) ?? String(e.level))
      : String(e.level);
  const fields = Object.entries(e)
    .filter(([k]) => !SHOWN_APART.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const err = e.err as { message?: string; stack?: string } | string | undefined;
  if (typeof err === 'string') fields.push(`err=${err}`);
  else if (err?.message) fields.push(`err=${err.message}`);
  const head = [String(e.time ?? ''), label.toUpperCase().padEnd(5), String(e.component ?? '-').padEnd(7), String(e.msg ?? ''), ...fields].join(' ');
  return typeof err === 'object' && err.stack ? `${head}\n  ${err.stack.split('\n').join('\n  ')}` : head;
}

/**
 * The last `n` lines of `file` that `keep` accepts, oldest first, and the file's size (bytes). Reads
 * backwards in 64 KiB blocks and stops once it has them, so the tail of a big log is cheap.
 */
export function tail(file: string, n: number, keep: (line: string) => boolean): { lines: string[]; size: number } {
  const size = statSync(file).size;
  const found: string[] = [];
  if (n === 0) return { lines: found, size };
  const fd = openSync(file, 'r');
  try {
    let pos = size;
    let carry = Buffer.alloc(0); // the start of a line whose beginning lies in the block before
    while (pos > 0 && found.length < n) {
      const len = Math.min(64 * 1024, pos);
      pos -= len;
      const block = Buffer.alloc(len);
      readSync(fd, block, 0, len, pos);
      let chunk = Buffer.concat([block, carry]);
      const first = chunk.indexOf(0x0a);
      if (pos > 0) {
        carry = first < 0 ? chunk : chunk.subarray(0, first);
        if (first < 0) continue;
        chunk = chunk.subarray(first + 1);
      }
      const lines = chunk.toString('utf8').split('\n');
      for (let i = lines.length - 1; i >= 0 && found.length < n; i--) {
        if (lines[i] !== '' && keep(lines[i]!)) found.push(lines[i]!);
      }
    }
    return { lines: found.reverse(), size };
  } finally {
    closeSync(fd);
  }
}

/** Follow `file` from byte `offset` until SIGINT/SIGTERM, printing each new complete line `keep` accepts. */
async function follow(file: string, offset: number, keep: (line: string) => boolean, print: (line: string) => void): Promise<void> {
  let reading = false;
  let partial = '';
  const pump = () => {
    if (reading) return;
    const size = statSync(file).size;
    if (size < offset) offset = 0; // rotated or truncated: start the new file from its beginning
    if (size === offset) return;
    reading = true;
    const stream = createReadStream(file, { start: offset, end: size - 1, encoding: 'utf8' });
    stream.on('data', (chunk) => {
      const lines = (partial + String(chunk)).split('\n');
      partial = lines.pop()!;
      for (const line of lines) if (line !== '' && keep(line)) print(line);
    });
    stream.on('close', () => {
      offset = size;
      reading = false;
    });
  };
  const watcher = watch(file, pump);
  const poll = setInterval(pump, 500); // fs.watch can miss events on some filesystems, and rotation replaces the file
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  watcher.close();
  clearInterval(poll);
}

/**
 * Where the daemon's log goes when `[logging] destination` (with `CAXTON_LOG_DESTINATION`) is not the
 * file, in words for the user; undefined for the file, or when ares.toml cannot be read (the file is
 * then tried, and its absence explained).
 */
function logsElsewhere(aresToml: string): string | undefined {
  let logging;
  try {
    logging = loadAresConfig(aresToml).logging;
  } catch {
    return undefined;
  }
  if (logging.destination === 'stdout')
    return 'the daemon logs to standard output ([logging] destination = "stdout"): read it where that goes, e.g. journalctl -u caxton';
  if (logging.destination === 'syslog')
    return `the daemon logs to the syslog server at ${logging.syslog_address} ([logging] destination = "syslog"): read it there`;
  return undefined;
}

/**
 * Print the filtered log tail; with `--follow`, keep printing matching lines until interrupted.
 * @throws DomainError NOT_FOUND when the log goes to stdout or syslog, or there is no log file yet (daemon never started).
 */
export async function run(_args: string[], opts: LogsOptions): Promise<number> {
  const paths = homePaths(opts);
  const keep = lineFilter(opts);
  const print = (line: string) => process.stdout.write(`${opts.json ? line : humanLine(line)}\n`);
  const elsewhere = logsElsewhere(paths.aresToml);
  if (elsewhere) throw new DomainError('NOT_FOUND', elsewhere);
  let result;
  try {
    result = tail(paths.logFile, opts.lines, keep);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DomainError(
        'NOT_FOUND',
        `no log yet at ${paths.logFile}; start the daemon with \`caxton server start\` (with [logging] destination = "stdout" the log goes to standard output, e.g. journalctl -u caxton)`,
      );
    }
    throw err;
  }
  for (const line of result.lines) print(line);
  if (opts.follow) await follow(paths.logFile, result.size, keep, print);
  return 0;
}
