/**
 * Store wrappers for tests that need what one SQLite file cannot show by itself (passed to
 * `buildServices` as `wrapStore`): a database that goes away and comes back (`databaseOutage`), and
 * several daemons sharing one database whose change notices travel on an in-memory bus (`changeBus`).
 */
import { DomainError } from '../../src/domain/errors.js';
import type { ChangeFeed, ChangeTopic, Store } from '../../src/store/types.js';

/** A switch for the database: while `down`, every store call rejects as PostgreSQL's store does when the server is gone. */
export interface DatabaseOutage {
  down: boolean;
  /** The wrapper to give `buildServices` (`wrapStore`). */
  wrap(store: Store): Store;
}

/** The error a store raises while its database cannot be reached (src/store/postgres: connection refused). */
const unavailable = () => new DomainError('UNAVAILABLE', 'database unavailable: connect ECONNREFUSED 10.9.8.7:5432');

/** A database outage switch, up at first. */
export function databaseOutage(): DatabaseOutage {
  const outage: DatabaseOutage = {
    down: false,
    wrap(store) {
      const guard = <T extends object>(part: T): T =>
        new Proxy(part, {
          get(target, key, receiver) {
            const value: unknown = Reflect.get(target, key, receiver);
            if (typeof value !== 'function') return value;
            return (...args: unknown[]) => (outage.down ? Promise.reject(unavailable()) : (value as (...a: unknown[]) => unknown).apply(target, args));
          },
        });
      return {
        ...store,
        conversations: guard(store.conversations),
        executions: guard(store.executions),
        memory: guard(store.memory),
        tenants: { users: guard(store.tenants.users), entities: guard(store.tenants.entities), history: guard(store.tenants.history) },
        health: async () => (outage.down ? { ...(await store.health()), ok: false, error: unavailable().message } : store.health()),
      };
    },
  };
  return outage;
}

/** Change notices between the nodes of one test database; each node gets its own feed. */
export interface ChangeBus {
  /** The wrapper to give one node's `buildServices` (`wrapStore`): its store with the bus as `changes`. */
  node(): (store: Store) => Store;
  /**
   * Resolves once every notice published so far has reached every other node's listeners, and the
   * store reads those listeners started (SQLite answers them within the turn) are done.
   */
  delivered(): Promise<void>;
  /** Notices published so far, in order. */
  published: { topic: ChangeTopic; detail: string }[];
}

/** An in-memory bus delivering each node's notices to the other nodes (never back to the publisher), asynchronously as a database would. */
export function changeBus(): ChangeBus {
  const nodes: Set<(topic: ChangeTopic, detail: string) => void>[] = [];
  let pending: Promise<void> = Promise.resolve();
  const bus: ChangeBus = {
    published: [],
    node() {
      const listeners = new Set<(topic: ChangeTopic, detail: string) => void>();
      nodes.push(listeners);
      const feed: ChangeFeed = {
        async publish(topic, detail) {
          bus.published.push({ topic, detail });
          pending = pending
            .then(() => new Promise<void>((r) => setImmediate(r)))
            .then(() => {
              for (const other of nodes) if (other !== listeners) for (const fn of other) fn(topic, detail);
            });
        },
        subscribe(fn) {
          listeners.add(fn);
          return () => void listeners.delete(fn);
        },
      };
      return (store) => ({ ...store, changes: feed });
    },
    delivered: () => pending.then(() => new Promise<void>((r) => setImmediate(r))),
  };
  return bus;
}
