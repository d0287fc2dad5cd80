import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { Logger } from '../logger';
import type { UserNewEvent } from './userNew';

/**
 * Publishes events to a durable RabbitMQ topic exchange with persistent messages and
 * publisher confirms: `publish` resolves only once the broker has taken responsibility for
 * the message. The connection is opened lazily and re-opened after it drops; while the
 * broker is unreachable `publish` rejects, and the outbox retries later.
 */

export interface AmqpPublisher {
  publish(event: UserNewEvent): Promise<void>;
  close(): Promise<void>;
}

export interface AmqpPublisherOptions {
  url: string;
  exchange: string;
  logger: Logger;
  /** Longest wait for a connection or a confirm. */
  timeoutMs?: number;
}

/** The URL without credentials, for logs. */
export function redactAmqpUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'amqp://[unparseable]';
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function createAmqpPublisher(opts: AmqpPublisherOptions): AmqpPublisher {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const where = redactAmqpUrl(opts.url);
  let current: Promise<{ connection: ChannelModel; channel: ConfirmChannel }> | undefined;
  let closed = false;

  const open = async () => {
    const connection = await withTimeout(
      connect(opts.url, { timeout: timeoutMs }),
      timeoutMs,
      'AMQP connect',
    );
    const forget = () => {
      current = undefined;
    };
    connection.on('error', (err: unknown) => {
      opts.logger.warn({ err, broker: where }, 'AMQP connection error');
      forget();
    });
    connection.on('close', forget);
    try {
      const channel = await connection.createConfirmChannel();
      channel.on('error', (err: unknown) => {
        opts.logger.warn({ err, broker: where }, 'AMQP channel error');
      });
      channel.on('close', () => {
        forget();
        connection.close().catch(() => undefined);
      });
      await channel.assertExchange(opts.exchange, 'topic', { durable: true });
      opts.logger.info({ broker: where, exchange: opts.exchange }, 'AMQP publisher connected');
      return { connection, channel };
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  };

  const session = () => {
    current ??= open().catch((error: unknown) => {
      current = undefined;
      throw error;
    });
    return current;
  };

  return {
    async publish(event) {
      if (closed) throw new Error('AMQP publisher is closed');
      const { channel } = await session();
      const body = Buffer.from(JSON.stringify(event));
      await withTimeout(
        new Promise<void>((resolve, reject) => {
          try {
            channel.publish(
              opts.exchange,
              event.type,
              body,
              {
                persistent: true,
                messageId: event.id,
                type: event.type,
                contentType: 'application/json',
                timestamp: Math.floor(Date.parse(event.occurredAt) / 1000),
              },
              (err: unknown) =>
                err ? reject(err instanceof Error ? err : new Error('broker nacked')) : resolve(),
            );
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        }),
        timeoutMs,
        'AMQP publisher confirm',
      ).catch((error: unknown) => {
        // A lost confirm may mean a broken connection: start afresh next time.
        current = undefined;
        channel.close().catch(() => undefined);
        throw error;
      });
    },
    async close() {
      closed = true;
      const session = await current?.catch(() => undefined);
      current = undefined;
      await session?.connection.close().catch(() => undefined);
    },
  };
}
