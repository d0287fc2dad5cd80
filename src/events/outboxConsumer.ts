import { Client } from 'pg';
import type { Knex } from '../db/knexFactory';
import type { Logger } from '../logger';
import { OUTBOX_CHANNEL, type UserNewEvent } from './userNew';

/**
 * Drains catalog.outbox for one consumer (RabbitMQ or the webhook), each with its own
 * columns: `<prefix>_at` (done), `<prefix>_attempts`, `<prefix>_next_at`, `<prefix>_last_error`.
 *
 * A batch is claimed with FOR UPDATE SKIP LOCKED inside a transaction that stays open while
 * the batch is delivered, so several servers never deliver the same event at the same time.
 * A row is marked done only after `deliver` resolved (for RabbitMQ: after the broker's
 * publisher confirm); a failure schedules a retry with exponential backoff. Delivery is
 * therefore at least once, and nothing is ever dropped. Polls every `pollIntervalMs`, and
 * LISTENs for the NOTIFY the signup transaction sends so new events go out at once.
 */

export interface OutboxConsumerOptions {
  name: string;
  catalog: Knex;
  /** Used for LISTEN; without it the consumer only polls. */
  catalogUrl?: string;
  columns: 'publish' | 'notify';
  deliver: (event: UserNewEvent) => Promise<void>;
  logger: Logger;
  pollIntervalMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  batchSize?: number;
}

export interface OutboxConsumer {
  /** Claims and delivers one batch; resolves to how many rows were delivered. */
  drainOnce(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

const DONE_COLUMN = { publish: 'published_at', notify: 'notified_at' } as const;

export function backoffMs(attempts: number, baseMs: number, maxMs: number): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exp / 2 + Math.random() * (exp / 2)); // "equal jitter"
}

export function createOutboxConsumer(opts: OutboxConsumerOptions): OutboxConsumer {
  const { catalog, columns, logger, name } = opts;
  const done = DONE_COLUMN[columns];
  const attempts = `${columns}_attempts`;
  const nextAt = `${columns}_next_at`;
  const lastError = `${columns}_last_error`;
  const batchSize = opts.batchSize ?? 50;
  const log = logger.child({ consumer: name });

  let stopped = true;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let listener: Client | undefined;

  async function drainOnce(): Promise<number> {
    let delivered = 0;
    await catalog.transaction(async (trx) => {
      const { rows } = await trx.raw<{
        rows: { id: string; payload: UserNewEvent; attempts: number }[];
      }>(
        `SELECT id, payload, ${attempts} AS attempts FROM catalog.outbox
         WHERE ${done} IS NULL AND ${nextAt} <= now()
         ORDER BY created_at, id
         LIMIT ?
         FOR UPDATE SKIP LOCKED`,
        [batchSize],
      );
      for (const row of rows) {
        try {
          await opts.deliver(row.payload);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          const delay = backoffMs(row.attempts + 1, opts.retryBaseMs, opts.retryMaxMs);
          log.warn(
            { eventId: row.id, attempts: row.attempts + 1, retryInMs: delay, error: message },
            'outbox delivery failed; will retry',
          );
          await trx('catalog.outbox')
            .where({ id: row.id })
            .update({
              [attempts]: row.attempts + 1,
              [nextAt]: trx.raw(`now() + make_interval(secs => ?)`, [delay / 1000]),
              [lastError]: message.slice(0, 1000),
            });
          // The target is most likely down: the rest of the batch waits for the next round.
          return;
        }
        await trx('catalog.outbox')
          .where({ id: row.id })
          .update({ [done]: trx.fn.now(), [lastError]: null });
        delivered++;
        log.debug({ eventId: row.id }, 'outbox event delivered');
      }
    });
    return delivered;
  }

  async function listen(): Promise<void> {
    if (!opts.catalogUrl) return;
    const client = new Client({
      connectionString: opts.catalogUrl,
      application_name: `tenant-signup outbox ${name}`,
    });
    client.on('error', (err) => {
      log.warn({ err }, 'outbox LISTEN connection lost; polling only');
      listener = undefined;
    });
    client.on('notification', () => wake?.());
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      listener = client;
    } catch (err) {
      log.warn({ err }, 'outbox LISTEN unavailable; polling only');
      await client.end().catch(() => undefined);
    }
  }

  async function run(): Promise<void> {
    await listen();
    while (!stopped) {
      let delivered = 0;
      try {
        delivered = await drainOnce();
      } catch (err) {
        if (stopped) break;
        log.error({ err }, 'outbox round failed');
      }
      if (stopped) break;
      if (delivered >= batchSize) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, opts.pollIntervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  }

  return {
    drainOnce,
    start() {
      if (!stopped) return;
      stopped = false;
      loop = run();
      log.info({ pollIntervalMs: opts.pollIntervalMs }, 'outbox consumer started');
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      wake?.();
      await loop;
      const client = listener;
      listener = undefined;
      await client?.end().catch(() => undefined);
      log.info('outbox consumer stopped');
    },
  };
}
