/**
 * The daemon log: pino JSON lines with ISO timestamps in `logs/caxton.log` (SPEC §2, §8), also echoed
 * to stdout in `--foreground` (journald picks it up under systemd). Secrets are redacted twice: by path
 * (fields such as `api_key`), and by value on every serialized line (pino's `streamWrite` hook with the
 * daemon's SecretScrubber, src/domain/secrets.ts), so no line carries a configured secret wherever it
 * sits in the message.
 */
import { chmodSync, mkdirSync } from 'node:fs';
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

/**
 * Create the logger. `echo` also writes every line to stdout; `scrub` (when given) rewrites each
 * serialized line before it is written. Flush with `logger.flush()` before exit. The log directory
 * is 0700 and the file 0600 whatever the umask (tightened when found looser): the log names users,
 * agents and paths.
 */
export function createLogger(opts: { file: string; level: string; echo: boolean; scrub?: (line: string) => string }): Logger {
  const dir = dirname(opts.file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const fileDest = pino.destination({ dest: opts.file, sync: true, mode: 0o600 });
  chmodSync(opts.file, 0o600);
  const streams: pino.StreamEntry[] = [{ stream: fileDest, level: opts.level as pino.Level }];
  if (opts.echo) streams.push({ stream: pino.destination({ dest: 1, sync: true }), level: opts.level as pino.Level });
  return pino(
    {
      level: opts.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      ...(opts.scrub ? { hooks: { streamWrite: opts.scrub } } : {}),
    },
    pino.multistream(streams),
  );
}
