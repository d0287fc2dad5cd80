import type { OutboxEvent } from '../catalog/outboxRepository';
import type { Dependencies } from '../composition';
import { command } from './command';
import { clip } from './format';
import { parseCommandArgs } from './options';

/** `npm run tenants -- events`: what is waiting in the outbox, per consumer. */

/** The --json shape: the outbox's own column names, which scripts may already read. */
const asJson = (e: OutboxEvent) => ({
  id: e.id,
  type: e.type,
  created_at: e.createdAt,
  school: e.school,
  published_at: e.publishedAt,
  publish_attempts: e.publishAttempts,
  publish_last_error: e.publishLastError,
  notified_at: e.notifiedAt,
  notify_attempts: e.notifyAttempts,
  notify_last_error: e.notifyLastError,
});

export const eventsCommand = command({
  summary: 'Events in the outbox: pending for RabbitMQ / the webhook, attempts, last error',
  usage: `Usage: npm run tenants -- events [--all] [--json]

  --all    include events already delivered everywhere (default: only pending ones)
  --json   print the rows as JSON instead of a table`,
  parse: (args: string[]) =>
    parseCommandArgs(args, { options: { all: { type: 'boolean' }, json: { type: 'boolean' } } })
      .values,
  async run(values, deps: Dependencies) {
    const { outbox } = deps.catalog;
    const rows = await outbox.list({ all: values.all === true });
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ events: rows.map(asJson) }, null, 2)}\n`);
      return 0;
    }
    const amqp = deps.config.events.amqpUrl !== undefined;
    const webhook = deps.config.events.webhookUrl !== undefined;
    const unpublished = rows.filter((r) => r.publishedAt === null).length;
    const unnotified = rows.filter((r) => r.notifiedAt === null).length;
    process.stdout.write(
      `${unpublished} not yet published to RabbitMQ${amqp ? '' : ' (AMQP_URL not set)'}, ` +
        `${unnotified} not yet sent to the webhook${webhook ? '' : ' (NOTIFY_WEBHOOK_URL not set)'}\n`,
    );
    for (const r of rows) {
      const state = (at: Date | null, attempts: number, error: string | null) =>
        at ? 'sent' : `pending (${attempts} attempts${error ? `: ${clip(error, 60)}` : ''})`;
      process.stdout.write(
        `${r.id}  ${r.type}  ${r.createdAt.toISOString()}  ${clip(r.school ?? '-', 30)}\n` +
          `    rabbitmq: ${state(r.publishedAt, r.publishAttempts, r.publishLastError)}\n` +
          `    webhook:  ${state(r.notifiedAt, r.notifyAttempts, r.notifyLastError)}\n`,
      );
    }
    return 0;
  },
});
