/** `caxton server logs [-n N] [-f]`: print the last N lines of logs/caxton.log, optionally following it. */
import { createReadStream, openSync, readSync, closeSync, statSync, watch } from 'node:fs';
import { DomainError } from '../../domain/errors.js';
import { homePaths, type GlobalOptions } from '../context.js';

/** The last `n` lines of `file` (reads backwards in 64 KiB blocks, so big logs are cheap). */
function tail(file: string, n: number): { lines: string[]; size: number } {
  const size = statSync(file).size;
  if (n === 0) return { lines: [], size };
  const fd = openSync(file, 'r');
  try {
    let pos = size;
    let text = '';
    const block = Buffer.alloc(64 * 1024);
    while (pos > 0 && text.split('\n').length <= n + 1) {
      const len = Math.min(block.length, pos);
      pos -= len;
      readSync(fd, block, 0, len, pos);
      text = block.toString('utf8', 0, len) + text;
    }
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return { lines: lines.slice(-n), size };
  } finally {
    closeSync(fd);
  }
}

/** Print the log tail; with `--follow`, keep streaming appended bytes until interrupted. */
export async function run(_args: string[], opts: GlobalOptions & { lines: number; follow?: boolean }): Promise<number> {
  const paths = homePaths(opts);
  let result;
  try {
    result = tail(paths.logFile, opts.lines);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DomainError('NOT_FOUND', `no log yet at ${paths.logFile}; start the daemon with \`caxton server start\``);
    }
    throw err;
  }
  if (result.lines.length) process.stdout.write(`${result.lines.join('\n')}\n`);
  if (!opts.follow) return 0;

  let offset = result.size;
  let reading = false;
  const pump = () => {
    if (reading) return;
    const size = statSync(paths.logFile).size;
    if (size < offset) offset = 0; // truncated or rotated in place
    if (size === offset) return;
    reading = true;
    const stream = createReadStream(paths.logFile, { start: offset, end: size - 1 });
    stream.on('data', (chunk) => process.stdout.write(chunk));
    stream.on('close', () => {
      offset = size;
      reading = false;
    });
  };
  const watcher = watch(paths.logFile, pump);
  const poll = setInterval(pump, 500); // fs.watch can miss events on some filesystems
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  watcher.close();
  clearInterval(poll);
  return 0;
}
