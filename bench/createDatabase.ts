import { Client } from 'pg';
import { nowMs, pool } from './stats';

/**
 * The floor a signup is compared with: a bare `CREATE DATABASE x` (from template1) over a
 * plain pg connection, on the same server in the same run. Only the CREATE is timed; each
 * database is dropped afterwards (untimed).
 */

async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url, application_name: 'bench bare create' });
  await client.connect();
  return client;
}

/** One connection taking sequential samples, so they can be interleaved with signups. */
export class BareCreates {
  private taken = 0;

  private constructor(
    private readonly client: Client,
    private readonly runId: string,
  ) {}

  static async open(adminUrl: string, runId: string): Promise<BareCreates> {
    return new BareCreates(await connect(adminUrl), runId);
  }

  /** Milliseconds one CREATE DATABASE took. */
  async sample(): Promise<number> {
    const name = `bench_bare_${this.runId}_seq_${this.taken++}`;
    const started = nowMs();
    await this.client.query(`CREATE DATABASE "${name}"`);
    const ms = nowMs() - started;
    await this.client.query(`DROP DATABASE "${name}"`);
    return ms;
  }

  close(): Promise<void> {
    return this.client.end();
  }
}

export interface BareThroughput {
  total: number;
  clients: number;
  wallMs: number;
  perSecond: number;
}

export async function bareCreateThroughput(
  adminUrl: string,
  name: string,
  total: number,
  clients: number,
): Promise<BareThroughput> {
  const conns = await Promise.all(Array.from({ length: clients }, () => connect(adminUrl)));
  const names = Array.from({ length: total }, (_, i) => `${name}_${i}`);
  try {
    const idle = [...conns];
    const started = nowMs();
    await pool(total, clients, async (i) => {
      const client = idle.pop()!;
      try {
        await client.query(`CREATE DATABASE "${names[i]!}"`);
      } finally {
        idle.push(client);
      }
    });
    const wallMs = nowMs() - started;
    return {
      total,
      clients,
      wallMs: Math.round(wallMs),
      perSecond: Math.round((total / wallMs) * 1000 * 10) / 10,
    };
  } finally {
    // Untimed clean-up, a few at a time.
    await pool(total, 4, async (i) => {
      await conns[i % conns.length]!.query(`DROP DATABASE IF EXISTS "${names[i]!}"`);
    });
    await Promise.all(conns.map((c) => c.end()));
  }
}
