import { TenantConnectionsBusyError } from '../../errors';
import type { Grant } from './handOut';
import type { Waiter } from './serverSlots';
import type { TenantPool } from './tenantPool';

/**
 * Queues a request on its tenant's server (FIFO across tenants) until dispatch() grants it a
 * connection or a slot, or `timeoutMs` pass: then it leaves the queue and fails with
 * TenantConnectionsBusyError (503, Retry-After 1). The waiter's pool may change while it
 * waits (the tenant's pool was evicted): it is read again when the timer fires.
 */
export function waitForGrant(
  pool: TenantPool,
  timeoutMs: number,
  onTimeout: (waiter: Waiter) => void,
): Promise<Grant> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      if (!waiter.pool.server.removeWaiter(waiter)) return;
      onTimeout(waiter);
      reject(new TenantConnectionsBusyError(1));
    }, timeoutMs);
    const waiter: Waiter = {
      pool,
      passedOver: 0,
      grant: (g) => (clearTimeout(timer), resolve(g)),
      fail: (e) => (clearTimeout(timer), reject(e)),
    };
    pool.waiting++;
    pool.server.queue.push(waiter);
  });
}

/** True when `done` settles within `ms`, false when the time ran out first. */
export async function within(done: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([done.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
