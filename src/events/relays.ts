import type { Config } from '../config';
import type { OutboxRepository } from '../catalog/outboxRepository';
import type { Logger } from '../logger';
import { createAmqpPublisher, redactAmqpUrl } from './amqpPublisher';
import { createOutboxConsumer, type OutboxConsumer } from './outboxConsumer';
import { createWebhookNotifier } from './webhookNotifier';

/**
 * The server's outbox consumers: RabbitMQ when AMQP_URL is set, the webhook when
 * NOTIFY_WEBHOOK_URL is set. Without them events simply stay in the outbox.
 */
export interface EventRelays {
  consumers: OutboxConsumer[];
  stop(): Promise<void>;
}

export function startEventRelays(deps: {
  config: Pick<Config, 'events'>;
  outbox: OutboxRepository;
  logger: Logger;
}): EventRelays {
  const { events } = deps.config;
  const common = {
    outbox: deps.outbox,
    listen: true,
    logger: deps.logger,
    pollIntervalMs: events.pollIntervalMs,
    retryBaseMs: events.retryBaseMs,
    retryMaxMs: events.retryMaxMs,
  };
  const consumers: OutboxConsumer[] = [];
  const closers: (() => Promise<void>)[] = [];
  if (events.amqpUrl) {
    const publisher = createAmqpPublisher({
      url: events.amqpUrl,
      exchange: events.exchange,
      logger: deps.logger,
    });
    consumers.push(
      createOutboxConsumer({
        ...common,
        name: 'rabbitmq',
        columns: 'publish',
        deliver: (event) => publisher.publish(event),
      }),
    );
    closers.push(() => publisher.close());
  } else {
    deps.logger.info('AMQP_URL not set: user.new events stay in the outbox');
  }
  if (events.webhookUrl) {
    consumers.push(
      createOutboxConsumer({
        ...common,
        name: 'webhook',
        columns: 'notify',
        deliver: createWebhookNotifier(events.webhookUrl),
      }),
    );
  }
  for (const consumer of consumers) consumer.start();
  if (events.amqpUrl) {
    deps.logger.info(
      { broker: redactAmqpUrl(events.amqpUrl), exchange: events.exchange },
      'publishing user.new events to RabbitMQ',
    );
  }
  return {
    consumers,
    async stop() {
      await Promise.all(consumers.map((c) => c.stop()));
      for (const close of closers) await close();
    },
  };
}
