import request from 'supertest';
import { databaseNameOf } from '../../src/db/databaseUrl';
import { createKnex } from '../../src/db/knexFactory';
import { catalogReadiness, ReadinessTimeoutError } from '../../src/health/readiness';
import { cutOffDatabase, restoreDatabase, startSilentServer } from '../helpers/catalogOutage';
import { startTestService, type TestService } from '../helpers/testService';

let svc: TestService;

beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc.close();
});

describe('GET /healthz', () => {
  test('when the process is up, responds 200 {status: ok} and is never cached', async () => {
    const res = await request(svc.app).get('/healthz');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect(res.headers['cache-control']).toBe('no-store');
  });
});

describe('GET /readyz', () => {
  test('when the catalog database answers, responds 200 {status: ok}', async () => {
    const res = await request(svc.app).get('/readyz');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  test('while the catalog database is unreachable, responds 503 catalog_unavailable; once it is back, 200 again through the same pool', async () => {
    const catalogDb = databaseNameOf(svc.catalogUrl);
    expect((await request(svc.app).get('/readyz')).status).toBe(200); // the pool has a connection

    await cutOffDatabase(svc.admin, catalogDb);
    try {
      for (let probe = 0; probe < 3; probe++) {
        const started = Date.now();
        const res = await request(svc.app).get('/readyz');

        expect(res.status).toBe(503);
        expect(res.body).toEqual({
          error: { code: 'catalog_unavailable', message: 'The catalog database is not reachable.' },
        });
        expect(res.headers['cache-control']).toBe('no-store');
        expect(Date.now() - started).toBeLessThan(5000);
      }
    } finally {
      await restoreDatabase(svc.admin, catalogDb);
    }

    const res = await request(svc.app).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    // The pool the signups use recovered too, not just the probe.
    await expect(svc.catalogDb('catalog.schools').count({ n: '*' }).first()).resolves.toBeDefined();
  });
});

describe('catalogReadiness', () => {
  test('when the database server accepts connections but never answers, rejects within its timeout, and concurrent probes share one check', async () => {
    const silent = await startSilentServer();
    const catalog = createKnex(`postgres://postgres@127.0.0.1:${silent.port}/catalog`, {
      pool: { min: 0, max: 5 },
    });
    try {
      const check = catalogReadiness(async () => void (await catalog.raw('select 1')), {
        timeoutMs: 300,
      });
      const started = Date.now();
      const results = await Promise.allSettled([check(), check(), check()]);

      expect(Date.now() - started).toBeLessThan(2000);
      for (const result of results) {
        expect(result).toMatchObject({
          status: 'rejected',
          reason: expect.any(ReadinessTimeoutError),
        });
      }
      // Three probes, one pending query: a hung server does not eat the pool.
      const pool = catalog.client.pool as { numPendingAcquires(): number; numUsed(): number };
      expect(pool.numPendingAcquires() + pool.numUsed()).toBe(1);
    } finally {
      await silent.close(); // lets the hung connection attempt fail, so the pool can close
      await catalog.destroy();
    }
  });
});
