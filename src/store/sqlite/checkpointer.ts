/**
 * WAL checkpoints off the event loop. In WAL mode SQLite copies the log back into the database
 * (a checkpoint: page copies and two fsyncs) inside whichever commit crosses `wal_autocheckpoint`
 * frames, so every few hundred step commits one request pays for it on the event loop. Once a store
 * has committed `START_AFTER_COMMITS` steps, a worker thread with its own connection runs a PASSIVE
 * checkpoint (never blocks a writer) every `INTERVAL_MS`, or every `BUSY_INTERVAL_MS` while the last
 * one found at least `BUSY_FRAMES` frames (under load), and the store's connection keeps only a far
 * threshold (`BACKSTOP_FRAMES`) for when the worker cannot keep up. Stores that commit little
 * (tests, idle daemons) never start the thread. Durability is unchanged: a commit is in the WAL
 * before it returns, checkpointed or not.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/** Step commits after which the worker starts. */
export const START_AFTER_COMMITS = 256;
/** Time between two background checkpoints (ms). */
const INTERVAL_MS = 200;
/** Time between two background checkpoints while the log grows fast (ms). */
const BUSY_INTERVAL_MS = 20;
/** Frames in the log at a checkpoint from which the next one comes after `BUSY_INTERVAL_MS`. */
const BUSY_FRAMES = 500;
/** `wal_autocheckpoint` of the store's own connection while the worker runs (frames of 4 KiB). */
const BACKSTOP_FRAMES = 30_000;
/** SQLite's default `wal_autocheckpoint`, restored when the worker fails. */
const DEFAULT_FRAMES = 1_000;

/** Longest wait in `stop()` for the worker to close its connection (ms). */
const STOP_WAIT_MS = 2_000;

// CommonJS run by the worker: open the same file, checkpoint on a timer (sooner while the log it
// found was long); on request close, then flag `closed` (a shared Int32) so the store's thread,
// blocked in Atomics.wait, can go on.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const closed = new Int32Array(workerData.closed);
const db = new Database(workerData.file);
let timer;
const checkpoint = () => {
  let frames = 0;
  try { frames = db.pragma('wal_checkpoint(PASSIVE)')[0].log; } catch {}
  timer = setTimeout(checkpoint, frames >= workerData.busyFrames ? workerData.busyIntervalMs : workerData.intervalMs);
};
timer = setTimeout(checkpoint, workerData.intervalMs);
parentPort.once('message', () => {
  clearTimeout(timer);
  db.close();
  Atomics.store(closed, 0, 1);
  Atomics.notify(closed, 0);
  parentPort.close();
});
`;

/**
 * A background checkpointer. `stop()` has the worker close its connection and waits (at most
 * STOP_WAIT_MS) until it has, so the store closes last and the files are settled when close returns.
 */
export interface Checkpointer {
  stop(): void;
}

/** Start checkpointing `file` in a worker, with `db` (the store's connection) set to the backstop threshold. */
export function startCheckpointer(db: Database.Database, file: string): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const closed = new SharedArrayBuffer(4);
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { driver, file, intervalMs: INTERVAL_MS, busyIntervalMs: BUSY_INTERVAL_MS, busyFrames: BUSY_FRAMES, closed },
  });
  worker.unref();
  let stopped = false;
  let failed = false;
  worker.once('online', () => {
    if (!stopped && db.open) db.pragma(`wal_autocheckpoint = ${BACKSTOP_FRAMES}`);
  });
  worker.once('error', () => {
    failed = true;
    if (!stopped && db.open) db.pragma(`wal_autocheckpoint = ${DEFAULT_FRAMES}`);
  });
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      if (failed) return;
      worker.postMessage('close');
      Atomics.wait(new Int32Array(closed), 0, 0, STOP_WAIT_MS);
    },
  };
}
