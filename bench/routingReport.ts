import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { NaiveResult } from './naivePools';
import type { Target } from './report';
import type { RoutingPhase, RoutingResult } from './routing';

/** The routing phase's rows and targets, in the main table or printed alone (--routing-only). */

export function routingTargets(r: RoutingResult): Target[] {
  const phases = [r.hot, r.uniform, r.zipf];
  const errors = phases.reduce((n, p) => n + p.errors, 0);
  const requests = phases.reduce((n, p) => n + p.requests, 0);
  const worstP99 = Math.max(...phases.map((p) => p.latency.p99Ms));
  return [
    {
      name: `school API errors, cap ${r.cap}, ${r.tenants} tenants`,
      target: '0',
      actual: `${errors} of ${requests}`,
      pass: errors === 0,
    },
    {
      name: 'peak tenant connections (pg_stat_activity)',
      target: `≤ ${r.cap} (the cap)`,
      actual: `${r.peakTenantConnections} (pools' own count ${r.poolsPeakOpen})`,
      pass: r.peakTenantConnections <= r.cap && r.poolsPeakOpen <= r.cap,
    },
    {
      name: `throughput over ${r.tenants} tenants (Zipf) vs one hot tenant`,
      target: '≥ 70%',
      actual: `${pct(r.zipfOfHot)} (${r.zipf.perSecond} / ${r.hot.perSecond}/s; uniform ${pct(r.uniformOfHot)})`,
      pass: r.zipfOfHot >= 0.7,
    },
    {
      name: 'school API p99 (worst of hot, uniform, Zipf)',
      target: '≤ 50 ms',
      actual: `${worstP99} ms`,
      pass: worstP99 <= 50,
    },
  ];
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

function phaseRow(name: string, p: RoutingPhase): string[] {
  const others = Object.entries(p.statuses)
    .filter(([s]) => s !== '200' && s !== '201')
    .map(([s, n]) => `${s}×${n}`);
  return [
    name,
    `${p.perSecond}/s, p50 ${p.latency.p50Ms} ms, p99 ${p.latency.p99Ms} ms, ${p.errors} errors` +
      `${others.length > 0 ? ` (${others.join(', ')})` : ''} of ${p.requests}; ` +
      `peak tenant conns ${p.peakTenantConnections}, ${p.evictions} evictions, ` +
      `${p.tenantsTouched} schools`,
  ];
}

function naiveRow(n: NaiveResult | { skipped: string }): string {
  if ('skipped' in n) return `skipped: ${n.skipped}`;
  if (!n.refusedWith) {
    return `${n.tenantsServed} tenants served without a refusal (max_connections ${n.maxConnections})`;
  }
  return (
    `refused at tenant ${n.tenantsServed + 1} after ${n.ms} ms: "${n.refusedWith}", ` +
    `${n.backendsAtRefusal ?? '?'} client backends of max_connections ${n.maxConnections} ` +
    `(${n.backendsBefore} before it); its ${n.poolsClosed} pools closed`
  );
}

export function routingRows(r: RoutingResult): string[][] {
  const setting = `${r.clients} clients, cap ${r.cap}, ${r.maxPerTenant} per tenant`;
  return [
    [
      `School API: ${r.tenants} schools logged in, ${r.seededStudentsPerTenant} students each`,
      `${r.logins.ms} ms for ${r.logins.ok} tokens (${r.logins.failed} failed); ${setting}; 9 GET /api/students?limit=20 to 1 POST`,
    ],
    phaseRow('School API, one hot school', r.hot),
    phaseRow(`School API, uniform over ${r.tenants}`, r.uniform),
    phaseRow(`School API, Zipf s=${r.zipfExponent} over ${r.tenants}`, r.zipf),
    [
      'School API throughput vs the hot school',
      `Zipf ${pct(r.zipfOfHot)}, uniform ${pct(r.uniformOfHot)}`,
    ],
    [
      'Tenant connections, peak',
      `${r.peakTenantConnections} in pg_stat_activity, ${r.poolsPeakOpen} by the pools' count (cap ${r.cap})`,
    ],
    ['Naive loop: a pg.Pool per tenant, never closed', naiveRow(r.naive)],
    [
      'School API after the naive pools closed',
      `${r.afterNaive.ok} of ${r.afterNaive.requests} requests answered`,
    ],
  ];
}

/** --routing-only: the phase's own document, bench/results/routing-latest.json. */
export async function writeRouting(r: RoutingResult, meta: object): Promise<string> {
  const dir = path.resolve(__dirname, 'results');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'routing-latest.json');
  await writeFile(file, `${JSON.stringify({ meta, routing: r }, null, 2)}\n`);
  return file;
}
