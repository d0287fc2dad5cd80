import type { Clause } from './userQuery';
import type { EmulatorUser } from './types';

// Evaluates parsed user-search clauses against the Management API view of a user, and orders
// results for the `sort` parameter.

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Every value at a dotted path. Arrays are stepped through ("ignore the array level", as Auth0
 * documents for metadata), which also makes `identities.connection` match any identity. Null
 * values are not indexed by Auth0, so they count as absent.
 */
export function valuesAt(user: EmulatorUser, field: string): unknown[] {
  if (field === 'email.domain') return [user.email.slice(user.email.lastIndexOf('@') + 1)];
  let values: unknown[] = [user];
  for (const key of field.split('.')) {
    values = values.flatMap((value) => {
      const next = isRecord(value) && Object.hasOwn(value, key) ? value[key] : undefined;
      return Array.isArray(next) ? (next as unknown[]) : [next];
    });
  }
  return values.filter((value) => value !== undefined && value !== null);
}

function equals(actual: unknown, wanted: string, caseInsensitive: boolean): boolean {
  if (typeof actual === 'string') {
    return caseInsensitive ? actual.toLowerCase() === wanted.toLowerCase() : actual === wanted;
  }
  if (typeof actual === 'boolean') return String(actual) === wanted;
  if (typeof actual === 'number') return wanted.trim() !== '' && Number(wanted) === actual;
  return false;
}

function asNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  return typeof value === 'string' ? Date.parse(value) : Number.NaN;
}

function satisfies(user: EmulatorUser, clause: Clause): boolean {
  const values = valuesAt(user, clause.field);
  switch (clause.op) {
    case 'exists':
      return values.length > 0;
    case 'equals':
      return values.some((value) => equals(value, clause.value, clause.caseInsensitive));
    case 'between':
      return values.map(asNumber).some((n) => {
        if (Number.isNaN(n)) return false;
        const { min, max, minOpen, maxOpen } = clause;
        if (min !== undefined && (minOpen ? n <= min : n < min)) return false;
        return max === undefined || (maxOpen ? n < max : n <= max);
      });
  }
}

/** Clauses are joined by AND: a user matches when it satisfies every one. */
export function matchesAll(user: EmulatorUser, clauses: Clause[]): boolean {
  return clauses.every((clause) => satisfies(user, clause));
}

export interface SortOrder {
  field: string;
  direction: 1 | -1;
}

// Auth0's v2 docs state metadata is not sortable; root profile fields are.
const SORTABLE = ['user_id', 'email', 'name', 'nickname', 'given_name', 'family_name', 'username']
  .concat(['created_at', 'updated_at', 'last_login', 'logins_count'])
  .concat(['email_verified', 'blocked', 'phone_number']);

/** `field:1` (ascending) or `field:-1` (descending), the Management API's sort syntax. */
export function parseSort(sort: string): SortOrder | undefined {
  const match = /^([\w.]+):(1|-1)$/.exec(sort);
  if (!match?.[1] || !SORTABLE.includes(match[1])) return undefined;
  return { field: match[1], direction: match[2] === '1' ? 1 : -1 };
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return Number(a) - Number(b);
}

/**
 * Orders users by `sort` (users without the field last, in either direction, as Elasticsearch
 * does), then by creation and id: Auth0's default order is deterministic, so pages are stable.
 */
export function compareUsers(sort: SortOrder | undefined) {
  return (a: EmulatorUser, b: EmulatorUser): number => {
    if (sort) {
      const [left] = valuesAt(a, sort.field);
      const [right] = valuesAt(b, sort.field);
      if (left === undefined || right === undefined) {
        if (left !== right) return left === undefined ? 1 : -1;
      } else {
        const order = compareValues(left, right) * sort.direction;
        if (order !== 0) return order;
      }
    }
    return compareValues(a.created_at, b.created_at) || compareValues(a.user_id, b.user_id);
  };
}
