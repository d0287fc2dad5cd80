import { validateCreateUserBody } from '../../src/createUserBody';
import { createSigningKey, signJwt, verifyJwt, type SigningKey } from '../../src/jwt';
import { hashPassword, meetsGoodPolicy, verifyPassword } from '../../src/password';
import { RateLimiter } from '../../src/rateLimiter';

// The emulator's rules in isolation; the HTTP contract is covered by the integration suite.

describe('Auth0 "good" password policy', () => {
  it.each([
    ['Abcdefg1', true], // lower, upper, digit
    ['abcdefg1!', true], // lower, digit, special
    ['ABC DEF 1', true], // upper, space counts as special, digit
    ['Abcdef1', false], // 7 characters
    ['abcdefgh1', false], // only two classes
    ['ABCDEFGH!', false], // only two classes
  ])('judges %p as %p', (password, expected) => {
    expect(meetsGoodPolicy(password)).toBe(expected);
  });
});

describe('password hashing', () => {
  it('stores a salted scrypt hash that verifies only the original password', async () => {
    const hash = await hashPassword('Correct-Horse-9');
    expect(hash).toMatch(/^scrypt\$/);
    expect(hash).not.toContain('Correct-Horse-9');
    expect(await hashPassword('Correct-Horse-9')).not.toBe(hash);
    expect(await verifyPassword('Correct-Horse-9', hash)).toBe(true);
    expect(await verifyPassword('correct-horse-9', hash)).toBe(false);
  });
});

describe('rate limiter', () => {
  it('allows a burst of `limit`, refuses the next, then refills over the window', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter({ limit: 2, windowSeconds: 10 }, () => now);
    expect(limiter.take('a')).toMatchObject({ allowed: true, remaining: 1 });
    expect(limiter.take('a')).toMatchObject({ allowed: true, remaining: 0, resetAt: 1010 });
    expect(limiter.take('a')).toMatchObject({ allowed: false, retryAfter: 5 });
    expect(limiter.take('b').allowed).toBe(true); // buckets are per client
    now += 5000;
    expect(limiter.take('a')).toMatchObject({ allowed: true, remaining: 0 });
  });
});

describe('POST /users body validation', () => {
  const valid = { email: 'a@example.com', password: 'Abcdefg1', connection: 'c' };

  it('accepts a documented body', () => {
    expect(validateCreateUserBody({ ...valid, user_metadata: {}, blocked: false }).ok).toBe(true);
  });

  it.each([
    [[], "Payload validation error: 'Expected type object but found type array'."],
    [
      { ...valid, a: 1, b: 2 },
      "Payload validation error: 'Additional properties not allowed: a,b'.",
    ],
    [
      { ...valid, name: 5 },
      "Payload validation error: 'Expected type string but found type integer' on property name (The user's full name).",
    ],
    [
      { email: 'a@example.com', password: 'x' },
      "Payload validation error: 'Missing required property: connection'.",
    ],
  ])('rejects %j with Auth0 wording', (body, message) => {
    expect(validateCreateUserBody(body)).toEqual({ ok: false, message });
  });
});

describe('access token verification', () => {
  let key: SigningKey;
  beforeAll(async () => {
    key = await createSigningKey();
  });

  it('accepts its own unexpired token and reports expiry separately', () => {
    const token = signJwt(key, { sub: 'x', exp: 200 });
    expect(verifyJwt(key, token, 100)).toMatchObject({ ok: true, payload: { sub: 'x' } });
    expect(verifyJwt(key, token, 200)).toEqual({ ok: false, reason: 'expired' });
  });

  it('rejects alg "none", a foreign key and non-JWT strings', async () => {
    const [, payload] = signJwt(key, { exp: 200 }).split('.');
    const none = Buffer.from(JSON.stringify({ alg: 'none', kid: key.kid })).toString('base64url');
    expect(verifyJwt(key, `${none}.${payload}.`, 100)).toEqual({ ok: false, reason: 'invalid' });
    const other = await createSigningKey();
    const foreign = signJwt({ ...other, kid: key.kid }, { exp: 200 });
    expect(verifyJwt(key, foreign, 100)).toEqual({ ok: false, reason: 'invalid' });
    expect(verifyJwt(key, 'opaque-token', 100)).toEqual({ ok: false, reason: 'malformed' });
  });
});
