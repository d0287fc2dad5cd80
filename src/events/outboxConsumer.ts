import type { OutboxConsumerName, OutboxRepository } from '../catalog/outboxRepository';
import type { Logger } from '../logger';
import type { UserNewEvent } from './userNew';

/**
 * Drains the outbox for one consumer (RabbitMQ or the webhook). Batches are claimed so that
 * several servers never deliver the same event at the same time (OutboxRepository.deliverDue).
 * An event is marked done only after `deliver` resolved (for RabbitMQ: after the broker's
 * publisher confirm); a failure schedules a retry with exponential backoff. Delivery is
 * therefore at least once, and nothing is ever dropped. Polls every `pollIntervalMs`, and
 * LISTENs for the NOTIFY the signup transaction sends so new events go out at once.
 */

export interface OutboxConsumerOptions {
  name: string;
  outbox: OutboxRepository;
  /** LISTEN for new events (else it only polls). */
  listen?: boolean;
  columns: OutboxConsumerName;
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

export function backoffMs(attempts: number, baseMs: number, maxMs: number): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exp / 2 + Math.random() * (exp / 2)); // "equal jitter"
}

export function createOutboxConsumer(opts: OutboxConsumerOptions): OutboxConsumer {
  const { outbox, columns, logger, name } = opts;
  const batchSize = opts.batchSize ?? 50;
  const log = logger.child({ consumer: name });

  let stopped = true;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let unlisten: (() => Promise<void>) | undefined;

  function drainOnce(): Promise<number> {
    return outbox.deliverDue(
      columns,
      batchSize,
      async (event) => {
        await opts.deliver(event);
        log.debug({ eventId: event.id }, 'outbox event delivered');
      },
      ({ eventId, attempts, error }) => {
        const delay = backoffMs(attempts, opts.retryBaseMs, opts.retryMaxMs);
        log.warn(
          { eventId, attempts, retryInMs: delay, error },
          'outbox delivery failed; will retry',
        );
        return delay;
      },
    );
  }

  async function listen(): Promise<void> {
    if (!opts.listen) return;
    try {
      unlisten = await outbox.listen(
        () => wake?.(),
        (err) => {
          log.warn({ err }, 'outbox LISTEN connection lost; polling only');
          unlisten = undefined;
        },
      );
    } catch (err) {
      log.warn({ err }, 'outbox LISTEN unavailable; polling only');
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
      const stopListening = unlisten;
      unlisten = undefined;
      await stopListening?.();
      log.info('outbox consumer stopped');
    },
  };
}
