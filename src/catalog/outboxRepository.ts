import type { Knex } from '../db/knexFactory';
import { OUTBOX_CHANNEL, type UserNewEvent } from '../events/userNew';
import { listenOn } from './listen';
import { clipError } from './schoolRows';

/**
 * catalog.outbox: the `user.new` events the signup's final transaction writes, with one set
 * of delivery columns per consumer: `<prefix>_at` (done), `<prefix>_attempts`,
 * `<prefix>_next_at`, `<prefix>_last_error`.
 */

export type OutboxConsumerName = 'publish' | 'notify';

const DONE_COLUMN = { publish: 'published_at', notify: 'notified_at' } as const;

export interface OutboxEvent {
  id: string;
  type: string;
  createdAt: Date;
  school: string | null;
  publishedAt: Date | null;
  publishAttempts: number;
  publishLastError: string | null;
  notifiedAt: Date | null;
  notifyAttempts: number;
  notifyLastError: string | null;
}

export interface OutboxRepository {
  /**
   * Claims up to `batchSize` due events for `consumer` (FOR UPDATE SKIP LOCKED, in a
   * transaction held while they are delivered, so two servers never deliver one event at
   * once) and hands them to `deliver` in order. An event is marked done only after `deliver`
   * resolved; the first failure schedules that event's retry `retryDelayMs(attempts)` later
   * and ends the batch (its target is most likely down). Resolves to how many were delivered.
   */
  deliverDue(
    consumer: OutboxConsumerName,
    batchSize: number,
    deliver: (event: UserNewEvent) => Promise<void>,
    onFailure: (failure: { eventId: string; attempts: number; error: string }) => number,
  ): Promise<number>;
  /**
   * LISTENs for the NOTIFY the signup's final transaction sends; `onEvent` runs for each.
   * Resolves to a function that stops listening; rejects when LISTEN is not possible.
   */
  listen(onEvent: () => void, onLost: (error: Error) => void): Promise<() => Promise<void>>;
  /** Events in creation order (at most 1000): all, or only those still pending somewhere. */
  list(options: { all: boolean }): Promise<OutboxEvent[]>;
  /** How many events each consumer has yet to deliver. */
  pending(): Promise<{ unpublished: number; unnotified: number }>;
}

export function createOutboxRepository(db: Knex, catalogUrl: string): OutboxRepository {
  return {
    async deliverDue(consumer, batchSize, deliver, onFailure) {
      const done = DONE_COLUMN[consumer];
      const attempts = `${consumer}_attempts`;
      const nextAt = `${consumer}_next_at`;
      const lastError = `${consumer}_last_error`;
      let delivered = 0;
      await db.transaction(async (trx) => {
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
            await deliver(row.payload);
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            const delayMs = onFailure({
              eventId: row.id,
              attempts: row.attempts + 1,
              error: message,
            });
            await trx('catalog.outbox')
              .where({ id: row.id })
              .update({
                [attempts]: row.attempts + 1,
                [nextAt]: trx.raw(`now() + make_interval(secs => ?)`, [delayMs / 1000]),
                [lastError]: clipError(message),
              });
            return;
          }
          await trx('catalog.outbox')
            .where({ id: row.id })
            .update({ [done]: trx.fn.now(), [lastError]: null });
          delivered++;
        }
      });
      return delivered;
    },
    listen: (onEvent, onLost) =>
      listenOn(catalogUrl, OUTBOX_CHANNEL, 'tenant-signup outbox', () => onEvent(), onLost),
    async list({ all }) {
      const { rows } = await db.raw<{ rows: OutboxEvent[] }>(
        `SELECT id, type, created_at AS "createdAt",
                payload->'data'->>'schoolName' AS school,
                published_at AS "publishedAt", publish_attempts AS "publishAttempts",
                publish_last_error AS "publishLastError",
                notified_at AS "notifiedAt", notify_attempts AS "notifyAttempts",
                notify_last_error AS "notifyLastError"
         FROM catalog.outbox
         ${all ? '' : 'WHERE published_at IS NULL OR notified_at IS NULL'}
         ORDER BY created_at, id
         LIMIT 1000`,
      );
      return rows;
    },
    async pending() {
      const { rows } = await db.raw<{ rows: { unpublished: number; unnotified: number }[] }>(
        `SELECT count(*) FILTER (WHERE published_at IS NULL)::int AS unpublished,
                count(*) FILTER (WHERE notified_at IS NULL)::int AS unnotified
         FROM catalog.outbox`,
      );
      return rows[0] ?? { unpublished: 0, unnotified: 0 };
    },
  };
}
