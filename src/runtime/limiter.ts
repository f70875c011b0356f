/**
 * Per-agent concurrency (SPEC §7 isolation): at most `maxConcurrent` runs of one agent at a time;
 * more wait in that agent's FIFO queue (at most `maxQueued`, beyond which a run is refused as busy),
 * and at most `maxQueuedTotal` runs wait across all agents (so a flood spread over many agents is
 * bounded too). Each agent has its own slots, so an agent whose provider or tool hangs fills only its
 * own slots and never delays another agent. A queued run whose signal aborts leaves the queue at once.
 * `busy(key)` tells, without side effects, whether a new run would be refused, so callers can refuse
 * a flood before doing any work for it (load shedding).
 */
import { DomainError } from '../domain/errors.js';

/** Limits per agent. */
export interface LimiterOptions {
  maxConcurrent: number;
  /** Runs of one agent waiting for a slot. */
  maxQueued: number;
  /** Runs waiting for a slot across all agents (default: unbounded). */
  maxQueuedTotal?: number;
}

/** Releases a slot; calling it twice is harmless. */
export type Release = () => void;

/** Slots per key (agent). */
export interface Limiter {
  /**
   * Take a slot for `key`, waiting in its queue when all are busy.
   * @throws DomainError UNAVAILABLE when the queue is full; rejects with the signal's reason when aborted while waiting.
   */
  acquire(key: string, signal?: AbortSignal): Promise<Release>;
  /** Why a new run of `key` would be refused now (its queue or the total queue is full), or undefined. */
  busy(key: string): string | undefined;
  /** Runs in flight and waiting for `key`. */
  load(key: string): { active: number; queued: number };
}

interface Lane {
  active: number;
  waiting: { grant: () => void; reject: (e: unknown) => void; signal?: AbortSignal; onAbort?: () => void }[];
}

/** Create a limiter. */
export function createLimiter(opts: LimiterOptions): Limiter {
  const lanes = new Map<string, Lane>();
  const maxTotal = opts.maxQueuedTotal ?? Number.POSITIVE_INFINITY;
  let queuedTotal = 0;
  const busy = (key: string): string | undefined => {
    const l = lanes.get(key);
    if (!l || l.active < opts.maxConcurrent) return undefined;
    if (l.waiting.length >= opts.maxQueued) return `agent ${key} is busy: ${l.active} runs in flight and ${l.waiting.length} queued; try again shortly`;
    if (queuedTotal >= maxTotal) return `the daemon is busy: ${queuedTotal} runs queued across all agents; try again shortly`;
    return undefined;
  };
  const lane = (key: string) => {
    let l = lanes.get(key);
    if (!l) {
      l = { active: 0, waiting: [] };
      lanes.set(key, l);
    }
    return l;
  };
  const releaser = (key: string, l: Lane): Release => {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = l.waiting.shift();
      if (next) {
        queuedTotal--;
        if (next.onAbort) next.signal?.removeEventListener('abort', next.onAbort);
        next.grant(); // the slot passes straight to the next run
      } else {
        l.active--;
        if (l.active === 0) lanes.delete(key);
      }
    };
  };
  return {
    acquire(key, signal) {
      const l = lane(key);
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (l.active < opts.maxConcurrent) {
        l.active++;
        return Promise.resolve(releaser(key, l));
      }
      const refusal = busy(key);
      if (refusal) return Promise.reject(new DomainError('UNAVAILABLE', refusal));
      return new Promise<Release>((resolve, reject) => {
        const w: Lane['waiting'][number] = { grant: () => resolve(releaser(key, l)), reject, ...(signal ? { signal } : {}) };
        if (signal) {
          w.onAbort = () => {
            const i = l.waiting.indexOf(w);
            if (i >= 0) {
              l.waiting.splice(i, 1);
              queuedTotal--;
            }
            reject(signal.reason);
          };
          signal.addEventListener('abort', w.onAbort, { once: true });
        }
        l.waiting.push(w);
        queuedTotal++;
      });
    },
    busy,
    load(key) {
      const l = lanes.get(key);
      return { active: l?.active ?? 0, queued: l?.waiting.length ?? 0 };
    },
  };
}
