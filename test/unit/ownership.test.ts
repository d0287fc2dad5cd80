import { ownershipFor, signupOfMarker } from '../../src/tenants/ownership';

const id = '0f8fad5b-d9cb-469f-a165-70867728950e';

test('a staging name is built from the signup id, fits in 63 bytes and reads back to the id', () => {
  const ours = ownershipFor('signup_catalog');
  const name = ours.stagingName(id);
  expect(name).toMatch(/^signup_tmp_[0-9a-f]{8}_0f8fad5bd9cb469fa16570867728950e$/);
  expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
  expect(ours.signupOfStaging(name)).toBe(id);
});

test('two deployments (catalog databases) get different tags, and neither reads the other’s staging names', () => {
  const production = ownershipFor('signup_catalog');
  const staging = ownershipFor('signup_catalog_staging');
  expect(production.tag).not.toBe(staging.tag);
  expect(production.signupOfStaging(staging.stagingName(id))).toBeUndefined();
  expect(staging.signupOfStaging(production.stagingName(id))).toBeUndefined();
});

test('a marker names the signup and the deployment; any marker, tagged or from before tags, gives its signup back', () => {
  const ours = ownershipFor('signup_catalog');
  expect(ours.marker(id)).toBe(`tenant-signup:${id}:${ours.tag}`);
  expect(signupOfMarker(ours.marker(id))).toBe(id);
  expect(signupOfMarker(`tenant-signup:${id}`)).toBe(id);
  expect(signupOfMarker('tenant-template version=20261122000000')).toBeUndefined();
  expect(signupOfMarker(null)).toBeUndefined();
});

test.each([
  ['an SQL injection', "x'; DROP DATABASE postgres; --"],
  ['an empty string', ''],
  ['36 characters that are not a UUID', 'a'.repeat(36)],
])('a marker and a staging name are refused for %s (only a UUID may end up in SQL)', (_, bad) => {
  const ours = ownershipFor('signup_catalog');
  expect(() => ours.marker(bad)).toThrow(/UUID/);
  expect(() => ours.stagingName(bad)).toThrow(/UUID/);
});

describe('only names of exactly our shape read as staging databases', () => {
  const ours = ownershipFor('signup_catalog');
  const valid = ours.stagingName(id);
  test.each([
    ['our staging name with a character more', `${valid}0`],
    ['our staging name in upper case', valid.toUpperCase()],
    ['a staging name without the deployment tag', `signup_tmp_${id.replace(/-/g, '')}`],
    ['the bare staging prefix', 'signup_tmp_'],
  ])('%s gives no signup back', (_, name) => {
    expect(ours.signupOfStaging(name)).toBeUndefined();
  });
});

test('a spare name carries the deployment and the owner key, and only our own spare names give an owner back', () => {
  const ours = ownershipFor('signup_catalog');
  const theirs = ownershipFor('signup_catalog_staging');
  const name = ours.spareName(42);
  expect(name).toMatch(new RegExp(`^signup_tmp_${ours.tag}_spare_42_[0-9a-f]{8}$`));
  expect(Buffer.byteLength(ours.spareName(9_999_999_999))).toBeLessThanOrEqual(63);
  expect(ours.spareName(42)).not.toBe(name);
  expect(ours.ownerOfSpare(name)).toBe(42);
  expect(theirs.ownerOfSpare(name)).toBeUndefined();
  // A spare is not a signup's staging database, and a staging database is not a spare.
  expect(ours.signupOfStaging(name)).toBeUndefined();
  expect(ours.ownerOfSpare(ours.stagingName(id))).toBeUndefined();
  expect(ours.ownerOfSpare(`${name}x`)).toBeUndefined();
});

test.each([-1, 1.5, Number.NaN, 1e10])('a spare name is refused for the owner key %p', (bad) => {
  expect(() => ownershipFor('signup_catalog').spareName(bad)).toThrow();
});
