import { cloneTemplate } from '../src/tenants/provisioning/template';
import type { BenchEnvironment } from './environment';
import type { SignupDriver } from './signups';
import { nowMs, round, summarize, type LatencySummary } from './stats';

/**
 * Where a signup's time goes. For a short window the service's own dependency objects
 * (catalog repository, tenant provisioner, Auth0 client: the very objects its routes use) get
 * timers around their methods, and sequential signups go through the real app. Between them
 * a template clone is timed alone under the same conditions. Steps that run at the same time
 * (the Auth0 create and the clone) both count in full, so "other" can come out negative.
 */

export interface SignupProfile {
  signups: number;
  /** Whole request as the client saw it. */
  total: LatencySummary;
  /** Mean ms per signup spent in each dependency call, e.g. "auth0.createUser". */
  stepsMeanMs: Record<string, number>;
  /** Total mean minus the steps: HTTP, express, validation, the saga's own code. */
  otherMeanMs: number;
  templateCloneAlone: LatencySummary;
}

/** Wraps every method of `target` in place with a timer; returns the undo. */
function instrument(label: string, target: object, spent: Map<string, number>): () => void {
  const obj = target as Record<string, unknown>;
  const originals = new Map<string, unknown>();
  for (const key of Object.keys(obj)) {
    const original = obj[key];
    if (typeof original !== 'function') continue;
    originals.set(key, original);
    obj[key] = (...args: unknown[]) => {
      const started = nowMs();
      const record = () => {
        const name = `${label}.${key}`;
        spent.set(name, (spent.get(name) ?? 0) + nowMs() - started);
      };
      const result: unknown = (original as (...a: unknown[]) => unknown).apply(obj, args);
      if (result instanceof Promise) return result.finally(record);
      record();
      return result;
    };
  }
  return () => {
    for (const [key, original] of originals) obj[key] = original;
  };
}

async function cloneOnce(env: BenchEnvironment, i: number): Promise<number> {
  const { admin, service } = env;
  const { templateDb } = service.config.tenants;
  const name = `bench_clone_${env.runId}_${i}`;
  const started = nowMs();
  const cloned = await cloneTemplate(
    admin,
    templateDb,
    name,
    service.servers.default.migrator.schema,
  );
  const ms = nowMs() - started;
  if (!cloned) throw new Error('the tenant template is not at the latest version');
  await admin.raw('DROP DATABASE ??', [name]);
  return ms;
}

export async function profileSignup(
  env: BenchEnvironment,
  driver: SignupDriver,
  samples: number,
): Promise<SignupProfile> {
  const { service } = env;
  const spent = new Map<string, number>();
  // Taken before the timers go on: the bench's own waits are no step of a signup.
  const { provisioner } = service.servers.default;
  const sparesIdle = async () => provisioner.spares?.idle();
  const undo = [
    instrument('catalog', service.catalog.schools, spent),
    instrument('tenants', provisioner, spent),
    instrument('auth0', service.auth0, spent),
  ];
  const totals: number[] = [];
  const clones: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      // At rest, like the measured signups (the phase before may have drained the spares).
      await sparesIdle();
      const outcome = await driver.signUp();
      if (outcome.status === 201) totals.push(outcome.ms);
      // Alone means alone: not beside the spare database the signup's taking set making.
      await sparesIdle();
      clones.push(await cloneOnce(env, i));
    }
  } finally {
    for (const restore of undo) restore();
  }
  const stepsMeanMs = Object.fromEntries(
    [...spent].map(([step, ms]) => [step, round(ms / samples)] as const),
  );
  const total = summarize(totals);
  const steps = Object.values(stepsMeanMs).reduce((a, b) => a + b, 0);

  return {
    signups: samples,
    total,
    stepsMeanMs,
    otherMeanMs: round(total.meanMs - steps),
    templateCloneAlone: summarize(clones),
  };
}
