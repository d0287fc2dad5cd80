import request from 'supertest';
import { SCHOOL_API, TENANT_CLAIM, userToken } from '../helpers/schoolLogin';
import { signupBody } from '../helpers/signupData';
import { startTestService, type TestService } from '../helpers/testService';

/**
 * The school's API under load with the connection cap set low: many schools at once, every
 * answer a success or a 503 with Retry-After, and PostgreSQL never sees more tenant
 * connections than the cap.
 */

jest.setTimeout(300_000);

const SCHOOLS = 60;
const CAP = 4;
let svc: TestService;
const tokens: string[] = [];

beforeAll(async () => {
  svc = await startTestService({
    env: {
      TENANT_POOL_MAX_CONNECTIONS: String(CAP),
      TENANT_POOL_MAX_PER_TENANT: '2',
      TENANT_POOL_ACQUIRE_TIMEOUT_MS: '300',
    },
    emulator: {
      apis: [{ audience: SCHOOL_API, scopes: [] }],
      userClaims: { [TENANT_CLAIM]: 'db_name' },
    },
  });
  for (let i = 0; i < SCHOOLS; i++) {
    const s = signupBody('Busy School');
    await request(svc.app).post('/users').send(s.request).expect(201);
    tokens.push(await userToken(svc.emulator.url, s.email));
  }
});
afterAll(async () => {
  await svc.close();
});

/** Tenant connections as PostgreSQL counts them, sampled until stopped; resolves to the peak. */
function samplePeak(): { stop(): Promise<number> } {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await svc.admin.raw<{ rows: { n: number }[] }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'tenant-signup:tenant-api'",
      );
      peak = Math.max(peak, rows[0]!.n);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return peak;
    },
  };
}

test(`${SCHOOLS} schools at once with a cap of ${CAP}: 2xx or 503 with Retry-After, never more than ${CAP} connections`, async () => {
  const sampler = samplePeak();
  const statuses = new Map<number, number>();
  let missingRetryAfter = 0;
  const agent = request(svc.app);
  let next = 0;
  const client = async () => {
    while (next < SCHOOLS * 8) {
      const i = next++;
      const token = tokens[i % SCHOOLS]!;
      const res =
        i % 2 === 0
          ? await agent
              .post('/api/students')
              .set('authorization', `Bearer ${token}`)
              .send({ firstName: `Kid ${i}`, lastName: 'Load' })
          : await agent.get('/api/students?limit=5').set('authorization', `Bearer ${token}`);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status === 503 && !res.headers['retry-after']) missingRetryAfter++;
    }
  };
  await Promise.all(Array.from({ length: 30 }, client));
  const peak = await sampler.stop();

  expect([...statuses.keys()].every((s) => [200, 201, 503].includes(s))).toBe(true);
  expect((statuses.get(200) ?? 0) + (statuses.get(201) ?? 0)).toBeGreaterThan(0);
  expect(missingRetryAfter).toBe(0);
  expect(peak).toBeGreaterThan(0);
  expect(peak).toBeLessThanOrEqual(CAP);
  // Every created student is in exactly one school: as many rows as 201s, across the schools.
  const created = statuses.get(201) ?? 0;
  const counts = await Promise.all(
    tokens.map(async (token) => {
      let n = 0;
      let after: string | null = null;
      do {
        const res: request.Response = await agent
          .get(`/api/students?limit=100${after ? `&after=${after}` : ''}`)
          .set('authorization', `Bearer ${token}`)
          .expect(200);
        n += (res.body.items as unknown[]).length;
        after = res.body.next as string | null;
      } while (after);
      return n;
    }),
  );
  expect(counts.reduce((x, y) => x + y, 0)).toBe(created);
});
