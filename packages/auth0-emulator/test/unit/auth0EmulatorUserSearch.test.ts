import { dateSpan } from '../../src/isoDateSpan';
import { SearchIndex } from '../../src/searchIndex';
import { compareUsers, matchesAll, parseSort } from '../../src/userMatch';
import { parseUserQuery, type Clause } from '../../src/userQuery';
import type { EmulatorUser } from '../../src';

// The emulator's user search rules in isolation; the HTTP contract is covered by
// test/integration/auth0EmulatorSearch.test.ts.

function user(id: string, extra: Partial<EmulatorUser> = {}): EmulatorUser {
  return {
    user_id: `auth0|${id}`,
    email: `${id}@example.com`,
    email_verified: false,
    name: `${id}@example.com`,
    nickname: id,
    picture: 'https://example.com/p.png',
    identities: [
      {
        connection: 'Username-Password-Authentication',
        user_id: id,
        provider: 'auth0',
        isSocial: false,
      },
    ],
    created_at: '2024-05-01T10:00:00.000Z',
    updated_at: '2024-05-01T10:00:00.000Z',
    ...extra,
  };
}

function clauses(q: string): Clause[] {
  const parsed = parseUserQuery(q);
  if (!parsed.ok) throw new Error(`expected "${q}" to parse: ${parsed.message}`);
  return parsed.clauses;
}

const matches = (q: string, u: EmulatorUser): boolean => matchesAll(u, clauses(q));

describe('user search query parser', () => {
  const signup = user('a1', {
    email: 'jane@school.example',
    app_metadata: { signup_id: 'sig-42', deployment: 'd1f3', tags: ['x', 'y'], count: 3 },
  });

  it.each([
    ['app_metadata.signup_id:"sig-42"', true],
    ['app_metadata.signup_id:sig-42', true], // bare value, `-` inside is not an operator
    ['app_metadata.signup_id:"SIG-42"', false], // metadata is case-sensitive
    ['email:"JANE@School.example"', true], // email is case-insensitive
    ['email: "jane@school.example"', true], // Lucene tolerates a space after the colon
    ['email.domain:"school.example"', true],
    ['user_id:"auth0|a1"', true],
    ['user_id:auth0', false], // v3 does not tokenise: whole values only
    ['app_metadata.tags:"y"', true], // arrays are stepped through
    ['app_metadata.count:3', true],
    ['email_verified:false', true],
    ['identities.connection:"Username-Password-Authentication"', true],
    ['_exists_:app_metadata.deployment', true],
    ['_exists_:app_metadata.missing', false],
    ['_exists_:app_metadata', true],
    ['app_metadata.deployment:"d1f3" AND app_metadata.signup_id:"sig-42"', true],
    ['app_metadata.deployment:"d1f3" AND app_metadata.signup_id:"other"', false],
  ])('%s matches: %p', (q, expected) => {
    expect(matches(q, signup)).toBe(expected);
  });

  it.each([
    ['created_at:[2024-05-01 TO 2024-05-01]', true], // a partial date covers its whole span
    ['created_at:[* TO 2024-04-30]', false],
    ['created_at:[2024-05-01T10:00:00.000Z TO *]', true],
    ['created_at:{2024-05-01T10:00:00.000Z TO *]', false], // exclusive lower end
    ['created_at:[* TO 2024-05-01T10:00:00.000Z}', false], // exclusive upper end
    ['created_at:{2024-04 TO 2024-05]', true],
    ['created_at:{2024-05 TO *]', false], // exclusive of all of May
    ['created_at:["2024-05-01T09:00:00Z" TO "2024-05-01T11:00:00+01:00"]', true],
    ['created_at:"2024-05-01"', true], // a term on a date is the day it names
    ['updated_at:[2024-05-02 TO *]', false],
  ])('%s matches a user created 2024-05-01T10:00Z: %p', (q, expected) => {
    expect(matches(q, signup)).toBe(expected);
  });

  it.each([
    ['email:"a" OR email:"b"', /only terms joined by AND/],
    ['email:"a" and email:"b"', /only terms joined by AND/], // operators must be capitalised
    ['NOT _exists_:email', /only terms joined by AND/],
    ['(email:"a")', /only terms joined by AND/],
    ['-email:"a"', /only terms joined by AND/],
    ['email:"a" email:"b"', /only terms joined by AND/], // no implicit operator
    ['jane', /only field:value terms/],
    ['name:jane*', /wildcard/],
    ['name:jane~', /fuzzy/],
    ['email:"unterminated', /cannot parse/],
    ['favourite_colour:"red"', /unknown field "favourite_colour"/],
    ['app_metadata.count:[1 TO 5]', /not available on metadata/],
    ['email:[a TO b]', /ranges on created_at/],
    ['created_at:[now-1d TO *]', /ISO-8601 dates/],
    ['created_at:[2024-02-30 TO *]', /ISO-8601 dates/],
    ['created_at:[2024-01-01 TO 2024-02-01', /cannot parse/],
    ['logins_count:many', /takes numbers/],
  ])('refuses %s', (q, message) => {
    const parsed = parseUserQuery(q);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });

  it('treats an empty query as matching everyone', () => {
    expect(clauses('   ')).toEqual([]);
  });

  it('unescapes backslashes in bare and quoted values', () => {
    expect(matches('user_id:auth0\\|a1', signup)).toBe(true);
    expect(
      matches(
        'app_metadata.note:"say \\"hi\\""',
        user('b', { app_metadata: { note: 'say "hi"' } }),
      ),
    ).toBe(true);
  });
});

describe('partial ISO dates', () => {
  it('spans the unit of their last component, in UTC unless a zone is given', () => {
    expect(dateSpan('2017-12')).toEqual({
      first: Date.parse('2017-12-01T00:00:00.000Z'),
      last: Date.parse('2017-12-31T23:59:59.999Z'),
    });
    expect(dateSpan('2017-12-31T23:30+02:00')).toEqual({
      first: Date.parse('2017-12-31T21:30:00.000Z'),
      last: Date.parse('2017-12-31T21:30:59.999Z'),
    });
    expect(dateSpan('2024-05-01T10:00:00.5Z')).toEqual({
      first: Date.parse('2024-05-01T10:00:00.500Z'),
      last: Date.parse('2024-05-01T10:00:00.500Z'),
    });
    expect(dateSpan('2024-13')).toBeUndefined();
    expect(dateSpan('yesterday')).toBeUndefined();
  });
});

describe('search sort', () => {
  it('orders by the field, users without it last either way, then by creation and id', () => {
    const a = user('a', { created_at: '2024-01-02T00:00:00.000Z', username: 'zed' });
    const b = user('b', { created_at: '2024-01-01T00:00:00.000Z' });
    const c = user('c', { created_at: '2024-01-03T00:00:00.000Z', username: 'amy' });
    const ids = (sort: string | undefined) =>
      [a, b, c]
        .sort(compareUsers(sort === undefined ? undefined : parseSort(sort)))
        .map((u) => u.user_id);
    expect(ids(undefined)).toEqual(['auth0|b', 'auth0|a', 'auth0|c']);
    expect(ids('created_at:-1')).toEqual(['auth0|c', 'auth0|a', 'auth0|b']);
    expect(ids('username:1')).toEqual(['auth0|c', 'auth0|a', 'auth0|b']);
    expect(ids('username:-1')).toEqual(['auth0|a', 'auth0|c', 'auth0|b']);
  });

  it.each(['created_at', 'created_at:2', 'app_metadata.signup_id:1', 'password:1'])(
    'refuses sort=%s',
    (sort) => {
      expect(parseSort(sort)).toBeUndefined();
    },
  );
});

describe('search index lag', () => {
  it('shows a write only once the delay has passed, deletes included', () => {
    let now = 1_000_000;
    const index = new SearchIndex(500, () => now);
    const seeded = user('seeded');
    index.seed([seeded]);
    const fresh = user('fresh');
    index.record(fresh.user_id, fresh);
    expect(index.visible()).toEqual([seeded]); // stored before start: indexed already
    now += 499;
    expect(index.visible()).toEqual([seeded]);
    now += 1;
    expect(index.visible()).toEqual([seeded, fresh]);
    index.record(seeded.user_id, undefined);
    now += 499;
    expect(index.visible()).toEqual([seeded, fresh]); // deleted, but the index has not heard
    now += 1;
    expect(index.visible()).toEqual([fresh]);
  });

  it('with no delay, is as current as the store', () => {
    const index = new SearchIndex(0, () => 5);
    const u = user('u');
    index.record(u.user_id, u);
    expect(index.visible()).toEqual([u]);
    index.record(u.user_id, undefined);
    expect(index.visible()).toEqual([]);
  });
});
