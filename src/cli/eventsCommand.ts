import type { CatalogRuntime } from '../runtime';
import { command } from './command';
import { parseCommandArgs } from './options';

/** `npm run tenants -- events`: what is waiting in catalog.outbox, per consumer. */

interface EventRow {
  id: string;
  type: string;
  created_at: Date;
  school: string | null;
  published_at: Date | null;
  publish_attempts: number;
  publish_last_error: string | null;
  notified_at: Date | null;
  notify_attempts: number;
  notify_last_error: string | null;
}

const clip = (text: string, max: number) =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;

export const eventsCommand = command({
  summary: 'Events in the outbox: pending for RabbitMQ / the webhook, attempts, last error',
  usage: `Usage: npm run tenants -- events [--all] [--json]

  --all    include events already delivered everywhere (default: only pending ones)
  --json   print the rows as JSON instead of a table`,
  parse: (args: string[]) =>
    parseCommandArgs(args, { options: { all: { type: 'boolean' }, json: { type: 'boolean' } } })
      .values,
  async run(values, runtime: CatalogRuntime) {
    const { rows } = await runtime.catalog.raw<{ rows: EventRow[] }>(
      `SELECT id, type, created_at, payload->'data'->>'schoolName' AS school,
              published_at, publish_attempts, publish_last_error,
              notified_at, notify_attempts, notify_last_error
       FROM catalog.outbox
       ${values.all ? '' : 'WHERE published_at IS NULL OR notified_at IS NULL'}
       ORDER BY created_at, id
       LIMIT 1000`,
    );
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ events: rows }, null, 2)}\n`);
      return 0;
    }
    const amqp = runtime.config.events.amqpUrl !== undefined;
    const webhook = runtime.config.events.webhookUrl !== undefined;
    const unpublished = rows.filter((r) => r.published_at === null).length;
    const unnotified = rows.filter((r) => r.notified_at === null).length;
    process.stdout.write(
      `${unpublished} not yet published to RabbitMQ${amqp ? '' : ' (AMQP_URL not set)'}, ` +
        `${unnotified} not yet sent to the webhook${webhook ? '' : ' (NOTIFY_WEBHOOK_URL not set)'}\n`,
    );
    for (const r of rows) {
      const state = (at: Date | null, attempts: number, error: string | null) =>
        at ? 'sent' : `pending (${attempts} attempts${error ? `: ${clip(error, 60)}` : ''})`;
      process.stdout.write(
        `${r.id}  ${r.type}  ${r.created_at.toISOString()}  ${clip(r.school ?? '-', 30)}\n` +
          `    rabbitmq: ${state(r.published_at, r.publish_attempts, r.publish_last_error)}\n` +
          `    webhook:  ${state(r.notified_at, r.notify_attempts, r.notify_last_error)}\n`,
      );
    }
    return 0;
  },
});
