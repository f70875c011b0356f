/**
 * The PostgreSQL ChangeFeed (src/store/types.ts `ChangeFeed`): LISTEN/NOTIFY on channel
 * `caxton_changes`. A notice's payload is JSON `{ node, topic, detail }`; `node` is this process's
 * random id, so a node ignores its own notices. One dedicated client (outside the pool) listens;
 * when its connection is lost it reconnects with exponential backoff (100 ms doubling to 5 s) and
 * then delivers `all` to subscribers, since notices sent meanwhile are lost. Correctness never
 * depends on the feed: it only tells caches to forget.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { ChangeFeed, ChangeTopic } from '../types.js';
import type { Db } from './client.js';

/** The notification channel shared by every node of one database. */
export const CHANNEL = 'caxton_changes';

const NOTIFY = { name: 'cx_changes_notify', text: `SELECT pg_notify('${CHANNEL}', $1)` };
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5000;

/** The feed plus its lifecycle: `start()` connects the listener (resolves once LISTEN is active), `close()` stops it. */
export interface PgChangeFeed extends ChangeFeed {
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Build the feed: `publish` through `db`, listening on a client made from `config` (the pool's
 * connection settings). `log` gets background trouble (a lost listener), never a secret.
 */
export function createChangeFeed(db: Db, config: pg.ClientConfig, log: (msg: string, err?: unknown) => void): PgChangeFeed {
  const node = randomUUID();
  const subscribers = new Set<(topic: ChangeTopic, detail: string) => void>();
  let client: pg.Client | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let delay = BACKOFF_MIN_MS;

  const deliver = (topic: ChangeTopic, detail: string) => {
    for (const fn of [...subscribers]) {
      try {
        fn(topic, detail);
      } catch (err) {
        log('change feed subscriber failed', err);
      }
    }
  };
  const onNotice = (msg: pg.Notification) => {
    try {
      const n = JSON.parse(msg.payload ?? '') as { node?: string; topic?: ChangeTopic; detail?: string };
      if (n.node !== node && typeof n.topic === 'string') deliver(n.topic, String(n.detail ?? ''));
    } catch {
      log('change feed: ignored a malformed notice');
    }
  };
  const connect = async (): Promise<void> => {
    const c = new pg.Client(config);
    c.on('notification', onNotice);
    c.on('error', () => lost(c)); // also ends the connection; `lost` runs once per client
    c.on('end', () => lost(c));
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      c.removeAllListeners('end');
      c.end().catch(() => undefined);
      throw err;
    }
    client = c;
    delay = BACKOFF_MIN_MS;
  };
  const reconnect = () => {
    timer = undefined;
    if (stopped) return;
    connect().then(
      () => (stopped ? void client?.end().catch(() => undefined) : deliver('all', '')),
      () => {
        delay = Math.min(delay * 2, BACKOFF_MAX_MS);
        timer = setTimeout(reconnect, delay);
      },
    );
  };
  const lost = (c: pg.Client) => {
    if (client !== c || stopped) return;
    client = undefined;
    log('change feed: lost the listening connection; reconnecting');
    timer = setTimeout(reconnect, delay);
  };

  return {
    start: connect,
    async publish(topic, detail) {
      try {
        await db.run(NOTIFY, [JSON.stringify({ node, topic, detail })]);
      } catch (err) {
        log(`change feed: could not publish ${topic}`, err);
      }
    },
    subscribe(fn) {
      subscribers.add(fn);
      return () => void subscribers.delete(fn);
    },
    async close() {
      stopped = true;
      clearTimeout(timer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
