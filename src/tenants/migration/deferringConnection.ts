import type { Client } from 'pg';

/** Schema changes without parameters: statements whose answer a migration has no use for. */
const DEFERRABLE = /^\s*(create|alter|drop|comment\s+on|grant|revoke)\b/i;

type QueryCallback = (error: Error | null, result?: unknown) => void;

/**
 * The connection a migration's knex talks to. Schema changes are not sent one by one: they
 * are held and go in the next message that has to reach the server anyway (a query whose
 * answer is needed, or the final INSERT … COMMIT), so a migration of five DDL statements
 * costs no round trip of its own. Order is kept: anything else sends what is held first.
 * The price is that a held statement's error surfaces later, on another statement; so any
 * error once something was held hands the tenant to knex's migrator (`spoiled`), which runs
 * the migration statement by statement and reports what really failed.
 */
export class DeferringConnection {
  held: string[] = [];
  spoiled = false;

  constructor(readonly client: Client) {}

  /** What knex's pg dialect calls: query({ text, values }, callback). */
  query(config: { text: string; values?: unknown[] }, callback: QueryCallback): void {
    if ((config.values?.length ?? 0) === 0 && DEFERRABLE.test(config.text)) {
      this.held.push(config.text);
      const command = config.text.trim().split(/\s+/, 1)[0]!.toUpperCase();
      queueMicrotask(() => callback(null, { command, rowCount: null, rows: [], fields: [] }));
      return;
    }
    this.flush().then(
      () => void this.client.query(config as never, callback as never),
      (error: Error) => callback(error),
    );
  }

  /** `sql` after everything held, in one message. Newlines first: a held statement may end in a comment. */
  withHeld(sql: string): string {
    const all = [...this.held.splice(0), sql];
    return all.join('\n;\n');
  }

  private async flush(): Promise<void> {
    if (this.held.length === 0) return;
    const sql = this.held.splice(0).join('\n;\n');
    try {
      await this.client.query(sql);
    } catch (error) {
      this.spoiled = true;
      throw error;
    }
  }
}
