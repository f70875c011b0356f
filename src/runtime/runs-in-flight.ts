/**
 * Runs in flight (SPEC §7 cancellation): each run gets one `RunScope` whose signal fires when its
 * client goes away (`RunRequest.signal`) or when the daemon shuts down (`cancelAll`), and which holds
 * the stored conversation the run writes. One AbortController per run; tools get a second one only
 * at a run's first tool round (most runs call no tool), which also fires when the run's consumer
 * stops iterating early. A run with `max_run_seconds` is aborted the same way at its deadline.
 */
import { DomainError } from '../domain/errors.js';

/** One run's cancellation and conversation hold. */
export interface RunScope {
  /** Fires on the client's abort or `cancelAll`; passed to the queue wait and the provider request. */
  readonly signal: AbortSignal;
  /** Why the run was cancelled, as recorded: the daemon's shutdown reason, else `fallback` (the client's). */
  cancelMessage(fallback: string): string;
  /** The signal running tools get (made on first use): `signal`, or `stopTools`. */
  toolSignal(): AbortSignal;
  /** Abort running tools with `reason` (the consumer went away). */
  stopTools(reason: Error): void;
  /** Abort the run (provider request and tools) `ms` from now (its `max_run_seconds`); see `expired`. */
  limitTo(ms: number): void;
  /** True once the run was aborted by its `limitTo` deadline (not by its client or the daemon). */
  expired(): boolean;
  /** Mark stored conversation `id` in use by this run until `end`. */
  hold(id: string): void;
  /** The run is over: drop its hold and listeners, and wake `idle` waiters when it was the last. */
  end(): void;
}

/** Every run between its admission and its end. */
export interface RunsInFlight {
  begin(clientSignal?: AbortSignal): RunScope;
  /** Cancel every run in flight or queued, and every run begun afterwards, with `reason`. */
  cancelAll(reason: string): void;
  /** Resolves once no run is in flight or queued. */
  idle(): Promise<void>;
  /** True while a run holds stored conversation `id`. */
  conversationInUse(id: string): boolean;
}

interface Live {
  own: AbortController;
  /** Set when `cancelAll` reached this run. */
  stopped: boolean;
}

/** Build the registry. */
export function createRunsInFlight(): RunsInFlight {
  const live = new Set<Live>();
  const held = new Map<string, number>();
  let stopReason: string | undefined;
  let idleWaiters: (() => void)[] = [];
  const stop = (run: Live, reason: string) => {
    run.stopped = true;
    run.own.abort(new DomainError('UNAVAILABLE', reason));
  };

  function begin(clientSignal?: AbortSignal): RunScope {
    const run: Live = { own: new AbortController(), stopped: false };
    live.add(run);
    const signal = run.own.signal;
    if (stopReason !== undefined) stop(run, stopReason);
    const onClientAbort = () => run.own.abort(clientSignal?.reason);
    if (clientSignal?.aborted) onClientAbort();
    else clientSignal?.addEventListener('abort', onClientAbort, { once: true });
    let tools: AbortController | undefined;
    const onAbort = () => tools?.abort(signal.reason);
    let conversation: string | undefined;
    let deadline: NodeJS.Timeout | undefined;
    let expired = false;
    return {
      signal,
      cancelMessage: (fallback) => (run.stopped && stopReason !== undefined ? stopReason : fallback),
      toolSignal() {
        if (!tools) {
          tools = new AbortController();
          if (signal.aborted) tools.abort(signal.reason);
          else signal.addEventListener('abort', onAbort, { once: true });
        }
        return tools.signal;
      },
      stopTools: (reason) => tools?.abort(reason),
      limitTo(ms) {
        deadline = setTimeout(() => {
          if (signal.aborted) return;
          expired = true;
          run.own.abort(new DomainError('TIMEOUT', 'the run reached max_run_seconds'));
        }, ms);
        deadline.unref();
      },
      expired: () => expired,
      hold(id) {
        conversation = id;
        held.set(id, (held.get(id) ?? 0) + 1);
      },
      end() {
        clearTimeout(deadline);
        clientSignal?.removeEventListener('abort', onClientAbort);
        signal.removeEventListener('abort', onAbort);
        if (conversation !== undefined) release(conversation);
        live.delete(run);
        if (live.size === 0) wakeIdle();
      },
    };
  }
  const release = (id: string) => {
    const n = (held.get(id) ?? 1) - 1;
    if (n > 0) held.set(id, n);
    else held.delete(id);
  };
  const wakeIdle = () => {
    for (const wake of idleWaiters) wake();
    idleWaiters = [];
  };

  return {
    begin,
    cancelAll(reason) {
      stopReason = reason;
      for (const run of live) stop(run, reason);
    },
    idle: () => (live.size === 0 ? Promise.resolve() : new Promise((wake) => idleWaiters.push(wake))),
    conversationInUse: (id) => held.has(id),
  };
}
