import { connect, type ChannelModel, type ConsumeMessage } from 'amqplib';
import request from 'supertest';
import { createAmqpPublisher } from '../../src/events/amqpPublisher';
import { createOutboxConsumer } from '../../src/events/outboxConsumer';
import { userNewEvent } from '../../src/events/userNew';
import { signupBody } from '../helpers/signupData';
import { createTcpProxy, type TcpProxy } from '../helpers/tcpProxy';
import { waitUntil } from '../helpers/waitUntil';
import { startTestService, uniqueSuffix, type TestService } from '../helpers/testService';

/**
 * user.new events through the transactional outbox to a real RabbitMQ. The broker is
 * reached through a TCP proxy on 127.0.0.1 that the tests stop, start and cut.
 */

jest.setTimeout(90_000);

const brokerUrl = process.env.TEST_AMQP_URL;
const suite = brokerUrl ? describe : describe.skip;

suite(`user.new over RabbitMQ${brokerUrl ? '' : ' (skipped: TEST_AMQP_URL not set)'}`, () => {
  const exchange = `test_users_${uniqueSuffix()}`;
  let proxy: TcpProxy;
  let svc: TestService;
  let consumer: ChannelModel;
  const messages: ConsumeMessage[] = [];
  const ids = () => messages.map((m) => String(m.properties.messageId));

  beforeAll(async () => {
    const target = new URL(brokerUrl!);
    proxy = await createTcpProxy({ host: target.hostname, port: Number(target.port || 5672) });
    const viaProxy = new URL(brokerUrl!);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);

    // Our own consumer, straight to the broker: an exclusive queue bound to user.new.
    consumer = await connect(brokerUrl!);
    const channel = await consumer.createChannel();
    await channel.assertExchange(exchange, 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, exchange, 'user.new');
    await channel.consume(queue, (msg) => msg && messages.push(msg), { noAck: true });

    svc = await startTestService({
      env: {
        AMQP_URL: viaProxy.toString(),
        AMQP_EXCHANGE: exchange,
        OUTBOX_POLL_INTERVAL_MS: '200',
        OUTBOX_RETRY_BASE_MS: '100',
        OUTBOX_RETRY_MAX_MS: '500',
      },
    });
  });
  afterAll(async () => {
    await svc?.close();
    await proxy?.stop();
    const channel = await consumer?.createChannel();
    await channel?.deleteExchange(exchange);
    await consumer?.close();
  });

  const signup = async () => {
    const s = signupBody('Rabbit');
    const res = await request(svc.app).post('/users').send(s.request);
    expect(res.status).toBe(201);
    const row = await svc
      .catalogDb('catalog.outbox')
      .whereRaw("payload->'data'->>'userId' = ?", [res.body.userId])
      .first();
    return { id: row.id as string, userId: res.body.userId as string, dbName: s.dbName };
  };

  const published = (eventId: string) =>
    waitUntil(`event ${eventId} to be marked published`, async () => {
      const row: Record<string, unknown> | undefined = await svc
        .catalogDb('catalog.outbox')
        .where({ id: eventId })
        .first();
      return row?.published_at ? row : undefined;
    });

  test('broker down at signup: the signup succeeds, the event waits and is retried, then arrives once the broker is back', async () => {
    await proxy.stop(); // the broker is down (as the proxy starts)
    const started = Date.now();
    const s = await signup();
    expect(Date.now() - started).toBeLessThan(10_000);

    await waitUntil('a failed publish attempt', async () => {
      const row: { publish_attempts: number } = await svc
        .catalogDb('catalog.outbox')
        .where({ id: s.id })
        .first();
      return row.publish_attempts >= 2 ? row : undefined;
    });
    const waiting = await svc.catalogDb('catalog.outbox').where({ id: s.id }).first();
    expect(waiting.published_at).toBeNull();
    expect(waiting.publish_last_error).toEqual(expect.any(String));
    expect(ids()).not.toContain(s.id);

    await proxy.start();
    await published(s.id);
    await waitUntil('the message', () => (ids().includes(s.id) ? true : undefined));
    const msg = messages.find((m) => m.properties.messageId === s.id)!;
    expect(msg.fields).toMatchObject({ exchange, routingKey: 'user.new' });
    expect(msg.properties).toMatchObject({ deliveryMode: 2, contentType: 'application/json' });
    expect(JSON.parse(msg.content.toString())).toEqual({
      id: s.id,
      type: 'user.new',
      occurredAt: expect.any(String),
      data: {
        userId: s.userId,
        email: expect.stringMatching(/@school\.test$/),
        schoolName: expect.stringMatching(/^Rabbit /),
        dbName: s.dbName,
      },
    });
  });

  test('the connection dropped mid-stream: the relay reconnects and every event arrives at least once', async () => {
    await proxy.start(); // the broker is up
    const first = await signup();
    await published(first.id);
    expect(proxy.connections()).toBeGreaterThan(0);

    proxy.dropConnections();
    const more = [await signup(), await signup()];
    proxy.dropConnections(); // and again, while they may be in flight
    const rest = [await signup(), await signup()];

    for (const s of [first, ...more, ...rest]) await published(s.id);
    await waitUntil('all messages', () =>
      [first, ...more, ...rest].every((s) => ids().includes(s.id)) ? true : undefined,
    );
  });

  test('two relays at once: SKIP LOCKED claiming means every event is published, and none twice', async () => {
    await svc.relays.stop(); // only the two relays below now
    const events = Array.from({ length: 40 }, (_, i) =>
      userNewEvent({
        userId: `auth0|relaytest${i}`,
        email: `relay${i}@school.test`,
        schoolName: `Relay ${i}`,
        dbName: `relay_${i}`,
      }),
    );
    for (const e of events) {
      await svc
        .catalogDb('catalog.outbox')
        .insert({ id: e.id, type: e.type, payload: JSON.stringify(e) });
    }
    const relays = [1, 2].map((n) => {
      const publisher = createAmqpPublisher({ url: brokerUrl!, exchange, logger: svc.logger });
      return {
        publisher,
        consumer: createOutboxConsumer({
          name: `relay-${n}`,
          outbox: svc.catalog.outbox,
          columns: 'publish',
          // Slow enough that both relays are busy at the same time.
          deliver: async (event) => {
            await new Promise((resolve) => setTimeout(resolve, 20));
            await publisher.publish(event);
          },
          logger: svc.logger,
          pollIntervalMs: 50,
          retryBaseMs: 100,
          retryMaxMs: 500,
          batchSize: 5,
        }),
      };
    });
    const counts = await Promise.all(
      relays.map(async ({ consumer: c }) => {
        let total = 0;
        for (;;) {
          const n = await c.drainOnce();
          if (n === 0) return total;
          total += n;
        }
      }),
    );
    for (const r of relays) await r.publisher.close();

    expect(counts[0]! + counts[1]!).toBe(40);
    expect(counts.every((c) => c > 0)).toBe(true); // both really worked in parallel
    const wanted = new Set(events.map((e) => e.id));
    await waitUntil('all 40 messages', () =>
      [...wanted].every((id) => ids().includes(id)) ? true : undefined,
    );
    const arrivals = ids().filter((id) => wanted.has(id));
    expect(arrivals).toHaveLength(40); // at least once, and in this common case exactly once
  });
});
