import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { signupBody } from '../helpers/signupData';
import { waitUntil } from '../helpers/waitUntil';
import { startTestService, type TestService } from '../helpers/testService';

/** NOTIFY_WEBHOOK_URL: a Slack-compatible stand-in on 127.0.0.1 that fails, then recovers. */

jest.setTimeout(60_000);

let svc: TestService;
let hook: Server;
const received: { text: string; status: number }[] = [];
/** Each notification text fails this many times before it is accepted. */
let failuresPerText = 2;
const seen = new Map<string, number>();

beforeAll(async () => {
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const { text } = JSON.parse(body) as { text: string };
      const count = (seen.get(text) ?? 0) + 1;
      seen.set(text, count);
      const status = count <= failuresPerText ? 500 : 200;
      received.push({ text, status });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'boom');
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const { port } = hook.address() as AddressInfo;
  svc = await startTestService({
    env: {
      NOTIFY_WEBHOOK_URL: `http://127.0.0.1:${port}/hooks/slack`,
      OUTBOX_POLL_INTERVAL_MS: '100',
      OUTBOX_RETRY_BASE_MS: '100',
      OUTBOX_RETRY_MAX_MS: '300',
    },
  });
});
afterAll(async () => {
  await svc.close();
  await new Promise((resolve) => hook.close(resolve));
});

test('a webhook that fails twice is retried with backoff until it accepts; the signup is not delayed', async () => {
  failuresPerText = 2;
  const { request: body, schoolName, dbName, email } = signupBody('Webhook School');
  const started = Date.now();
  const res = await request(svc.app).post('/users').send(body);
  expect(res.status).toBe(201);
  expect(Date.now() - started).toBeLessThan(10_000);

  const row = await waitUntil('the notification to be delivered', async () => {
    const r: Record<string, unknown> | undefined = await svc
      .catalogDb('catalog.outbox')
      .whereRaw("payload->'data'->>'userId' = ?", [res.body.userId])
      .first();
    return r?.notified_at ? r : undefined;
  });
  const mine = received.filter((r) => r.text.includes(schoolName));
  expect(mine.map((r) => r.status)).toEqual([500, 500, 200]);
  expect(mine[2]!.text).toBe(
    `New school: ${schoolName} (database ${dbName}, signed up by ${email})`,
  );
  expect(row).toMatchObject({ notify_attempts: 2, notify_last_error: null });
  // No broker configured: the RabbitMQ side of the same event is untouched and waiting.
  expect(row).toMatchObject({ published_at: null, publish_attempts: 0 });
  expect(svc.logs.text()).toContain('outbox delivery failed; will retry');
});
