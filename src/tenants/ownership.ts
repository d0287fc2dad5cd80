import { createHash } from 'node:crypto';
import { STAGING_PREFIX } from './dbName';

/**
 * How a database says "signup X of this deployment made me": a staging name built from the
 * signup id, and, once it has the school's name, an ownership marker in its COMMENT. Both
 * carry a short tag of the deployment (a hash of its catalog database's name), because
 * several deployments may share one server (staging and production, the test suites): the
 * reconciler must only ever sweep debris its own deployment made. Signup ids are UUIDs, so
 * "is this signup's database" needs no tag; "is debris of ours" does.
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
}

/** The signup id in an ownership marker (any deployment's, tagged or not). */
export function signupOfMarker(comment: string | null | undefined): string | undefined {
  return MARKER.exec(comment ?? '')?.[1];
}

function assertUuid(signupId: string): string {
  if (!UUID.test(signupId)) throw new Error('A signup id must be a UUID');
  return signupId;
}

export function ownershipFor(catalogDb: string): Ownership {
  const tag = createHash('sha256').update(catalogDb).digest('hex').slice(0, 8);
  const stagingPrefix = `${STAGING_PREFIX}${tag}_`;
  const staging = new RegExp(`^${stagingPrefix}([0-9a-f]{32})$`);
  return {
    tag,
    stagingName: (signupId) => `${stagingPrefix}${assertUuid(signupId).replace(/-/g, '')}`,
    marker: (signupId) => `tenant-signup:${assertUuid(signupId)}:${tag}`,
    signupOfStaging(dbName) {
      const hex = staging.exec(dbName)?.[1];
      if (!hex) return undefined;
      return [0, 8, 12, 16, 20].map((at, i, cuts) => hex.slice(at, cuts[i + 1])).join('-');
    },
  };
}
