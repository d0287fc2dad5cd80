import { createHash, randomBytes } from 'node:crypto';
import { STAGING_PREFIX } from './dbName';

/**
 * How a database says "signup X of this deployment made me": a staging name built from the
 * signup id, and, once it has the school's name, an ownership marker in its COMMENT. Both
 * carry a short tag of the deployment (a hash of its catalog database's name), because
 * several deployments may share one server (staging and production, the test suites): the
 * reconciler must only ever sweep debris its own deployment made. Signup ids are UUIDs, so
 * "is this signup's database" needs no tag; "is debris of ours" does.
 *
 * Spare databases (template clones a server keeps ready, sparePool.ts) are named
 * `signup_tmp_<tag>_spare_<owner key>_<random>`: the owner key is the server's owner lock
 * (catalog/ownerLock.ts), so the reconciler can tell a live server's spares from a dead one's.
 *
 * Markers written before the tag existed (`tenant-signup:<id>`) still identify their signup;
 * they are just never swept as orphans, since nobody can tell whose they are.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MARKER = /^tenant-signup:([0-9a-f-]{36})(?::([0-9a-f]{8}))?$/;

export interface Ownership {
  /** 8 hex characters naming this deployment (`[0-9a-f]` only: safe in names and LIKE). */
  readonly tag: string;
  /** `signup_tmp_<tag>_<id without dashes>`: 52 characters, inside PostgreSQL's 63. */
  stagingName(signupId: string): string;
  /** The COMMENT a promoted tenant database carries; only ever built from a validated UUID. */
  marker(signupId: string): string;
  /** The signup whose staging database this is, if it is one of this deployment's. */
  signupOfStaging(dbName: string): string | undefined;
  /** A new spare database name for the server holding owner lock `ownerKey`. */
  spareName(ownerKey: number): string;
  /** The owner key of one of this deployment's spare databases. */
  ownerOfSpare(dbName: string): number | undefined;
}

/** The signup id in an ownership marker (any deployment's, tagged or not). */
export function signupOfMarker(comment: string | null | undefined): string | undefined {
  return MARKER.exec(comment ?? '')?.[1];
}

function assertUuid(signupId: string): string {
  if (!UUID.test(signupId)) throw new Error('A signup id must be a UUID');
  return signupId;
}

/**
 * The deployment's tag: 8 hex characters of a hash of its catalog database's name. Also on
 * every Auth0 user it creates (app_metadata.deployment), for the same reason.
 */
export function deploymentTag(catalogDb: string): string {
  return createHash('sha256').update(catalogDb).digest('hex').slice(0, 8);
}

export function ownershipFor(catalogDb: string): Ownership {
  const tag = deploymentTag(catalogDb);
  const stagingPrefix = `${STAGING_PREFIX}${tag}_`;
  const staging = new RegExp(`^${stagingPrefix}([0-9a-f]{32})$`);
  const spare = new RegExp(`^${stagingPrefix}spare_(\\d{1,10})_[0-9a-f]{8}$`);
  return {
    tag,
    stagingName: (signupId) => `${stagingPrefix}${assertUuid(signupId).replace(/-/g, '')}`,
    marker: (signupId) => `tenant-signup:${assertUuid(signupId)}:${tag}`,
    signupOfStaging(dbName) {
      const hex = staging.exec(dbName)?.[1];
      if (!hex) return undefined;
      return [0, 8, 12, 16, 20].map((at, i, cuts) => hex.slice(at, cuts[i + 1])).join('-');
    },
    spareName(ownerKey) {
      if (!Number.isSafeInteger(ownerKey) || ownerKey < 0 || ownerKey >= 1e10)
        throw new Error('An owner key must be a non-negative integer');
      return `${stagingPrefix}spare_${ownerKey}_${randomBytes(4).toString('hex')}`;
    },
    ownerOfSpare(dbName) {
      const key = spare.exec(dbName)?.[1];
      return key === undefined ? undefined : Number(key);
    },
  };
}
