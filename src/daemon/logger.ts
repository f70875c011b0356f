/**
 * The daemon log: pino JSON lines with ISO timestamps (SPEC §2, §8), sent where `[logging]
 * destination` says: `file` (default) writes `logs/caxton.log`, rotated by size (RotatingFile
 * below); `stdout` writes to stdout only (systemd's journald, containers); `syslog` sends RFC 5424
 * messages to a syslog server over UDP or TCP (pino-syslog formats, pino-socket sends, in pino's
 * transport worker thread, loaded only for this destination). With `file` or `syslog`,
 * `--foreground` also echoes every line to stdout, in the file's line format whatever the
 * destination. Secrets are redacted twice: by path (fields such as `api_key`), and by value on
 * every serialized line (pino's `streamWrite` hook with the daemon's SecretScrubber,
 * src/domain/secrets.ts), so no line carries a configured secret wherever it sits in the message.
 */
import { chmodSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';

/** Keys that may carry secrets anywhere in a log object; pino replaces their values. */
const REDACT = [
  'api_key',
  '*.api_key',
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'password',
  '*.password',
  'jwt_secret',
  '*.jwt_secret',
];

/** Where the lines go and how the file is rotated (`[logging]` of ares.toml). Sizes in bytes. */
export interface LogOptions {
  /** The log file (`logs/caxton.log`); unused with destination `stdout`. */
  file: string;
  level: string;
  destination: 'file' | 'stdout' | 'syslog';
  /** With destination `file` or `syslog`: also write every line to stdout (`--foreground`), in the file's line format. */
  echo: boolean;
  /** The file is rotated before a line would take it past this size (bytes). */
  maxFileBytes: number;
  /** Rotated files kept: `caxton.log.1` (newest) to `caxton.log.N`; 0 keeps none (the file starts over). */
  maxFiles: number;
  /** With destination `syslog`: the server (`udp://HOST:PORT` or `tcp://HOST:PORT`) and facility (0-23). */
  syslog?: SyslogOptions;
  /** Rewrites each serialized line before it is written (secret scrubbing). */
  scrub?: (line: string) => string;
  /** Also receives every line written (scrubbed, at `level`, in the file's line format), e.g. the dashboard's live log. */
  tap?: (line: string) => void;
}

/** `[logging] syslog_address` and `syslog_facility`. */
export interface SyslogOptions {
  address: string;
  facility: number;
}

/** `[logging]`'s defaults for the syslog destination. */
const DEFAULT_SYSLOG: SyslogOptions = { address: 'udp://127.0.0.1:514', facility: 3 };

/** The RFC 5424 APP-NAME of the daemon's syslog messages. */
const SYSLOG_APP_NAME = 'caxton';

/**
 * A pino transport sending each line as an RFC 5424 message (the JSON line is the MSG part) to the
 * syslog server at `opts.address`; over TCP, messages are newline-framed and the connection is
 * re-made when it drops. Lines are written by a worker thread, which pino flushes at exit.
 */
function syslogStream(opts: SyslogOptions): pino.DestinationStream {
  const url = new URL(opts.address);
  const mode = url.protocol === 'tcp:' ? 'tcp' : 'udp';
  const resolve = createRequire(import.meta.url).resolve;
  return pino.transport({
    pipeline: [
      { target: resolve('pino-syslog'), options: { modern: true, appname: SYSLOG_APP_NAME, facility: opts.facility, newline: mode === 'tcp' } },
      {
        target: resolve('pino-socket'),
        options: { address: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port), mode, ...(mode === 'tcp' ? { reconnect: true } : {}) },
      },
    ],
  });
}

/**
 * The log file, rotated by size: before a line would take it past `maxBytes`, `caxton.log.N-1` ..
 * `caxton.log.1` move up one (the oldest beyond `maxFiles` is removed), `caxton.log` becomes
 * `caxton.log.1` and a new `caxton.log` (0600) is opened. Writes are synchronous, so a crash loses
 * no line. The file and its directory are owner-only (0600/0700) whatever the umask: the log names
 * users, agents and paths.
 */
export class RotatingFile {
  private readonly dest: pino.DestinationStream & { reopen(): void; flushSync(): void };
  private size: number;

  constructor(
    private readonly file: string,
    private readonly maxBytes: number,
    private readonly maxFiles: number,
  ) {
    const dir = dirname(file);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    this.dest = pino.destination({ dest: file, sync: true, mode: 0o600 });
    chmodSync(file, 0o600);
    this.size = statSync(file).size;
  }

  /** Append one serialized line (rotating first when it would not fit). */
  write(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
    this.dest.write(line);
    this.size += bytes;
  }

  /** Push buffered bytes to the file (writes are synchronous: nothing is buffered, kept for pino). */
  flushSync(): void {
    this.dest.flushSync();
  }

  private rotate(): void {
    rmSync(`${this.file}.${this.maxFiles}`, { force: true });
    for (let i = this.maxFiles - 1; i >= 1; i--) {
      try {
        renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    if (this.maxFiles > 0) renameSync(this.file, `${this.file}.1`);
    else rmSync(this.file, { force: true });
    this.dest.reopen();
    chmodSync(this.file, 0o600);
    this.size = 0;
  }
}

/** File and stdout lines: ISO 8601 `time` and the level's name. */
const FILE_LINE: pino.LoggerOptions = {
  base: { pid: process.pid },
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
};

/**
 * Syslog lines: what pino-syslog reads to build the RFC 5424 header (`time` in ms since epoch, the
 * numeric `level` for the severity, `hostname` and `pid`), which then carries the time and severity.
 */
const SYSLOG_LINE: pino.LoggerOptions = { base: { pid: process.pid, hostname: hostname() } };

/**
 * A syslog-format line (numeric level, time in ms) as the file has it (level name, ISO time), so the
 * tap's readers (the dashboard's live log) see one format whatever the destination.
 */
function asFileLine(line: string): string {
  const entry = JSON.parse(line) as Record<string, unknown>;
  const { hostname: _host, ...rest } = entry;
  return `${JSON.stringify({ ...rest, level: pino.levels.labels[entry.level as number] ?? entry.level, time: new Date(entry.time as number).toISOString() })}\n`;
}

/**
 * The streams of `opts.destination`, the `--foreground` echo to stdout and the tap, each at
 * `opts.level`; the echo and the tap always get the file's line format.
 */
function streamsFor(opts: LogOptions): pino.StreamEntry[] {
  const level = opts.level as pino.Level;
  const stdout = pino.destination({ dest: 1, sync: true });
  if (opts.destination === 'stdout') return [{ stream: stdout, level }, ...(opts.tap ? [{ stream: { write: opts.tap }, level }] : [])];
  const syslog = opts.destination === 'syslog';
  const stream = syslog ? syslogStream(opts.syslog ?? DEFAULT_SYSLOG) : new RotatingFile(opts.file, opts.maxFileBytes, opts.maxFiles);
  /** `write` fed the file's line format: syslog lines are converted. */
  const fileFormat = (write: (line: string) => void): pino.StreamEntry => ({
    stream: { write: syslog ? (line: string) => write(asFileLine(line)) : write },
    level,
  });
  return [{ stream, level }, ...(opts.echo ? [fileFormat((line) => stdout.write(line))] : []), ...(opts.tap ? [fileFormat(opts.tap)] : [])];
}

/**
 * Create the daemon's root logger over the destination of `opts`. Parts log through children that
 * name their `component` (src/domain/log.ts). File and stdout writes are synchronous (nothing to
 * flush before exit); the syslog transport is flushed by pino at exit.
 */
export function createLogger(opts: LogOptions): Logger {
  return pino(
    {
      level: opts.level,
      ...(opts.destination === 'syslog' ? SYSLOG_LINE : FILE_LINE),
      redact: { paths: REDACT, censor: '[redacted]' },
      ...(opts.scrub ? { hooks: { streamWrite: opts.scrub } } : {}),
    },
    pino.multistream(streamsFor(opts)),
  );
}
