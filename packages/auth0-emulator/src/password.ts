import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

// Auth0's "good" password policy, as implemented by auth0/password-sheriff: at least 8
// characters and at least 3 of the 4 classes lower case, upper case, digits and the OWASP
// special characters (space included).
const CHARACTER_CLASSES: RegExp[] = [
  /[a-z]/,
  /[A-Z]/,
  /\d/,
  /[ !"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/,
];

export function meetsGoodPolicy(password: string): boolean {
  if (password.length < 8) return false;
  return CHARACTER_CLASSES.filter((re) => re.test(password)).length >= 3;
}

const KEY_LENGTH = 64;
/**
 * Deliberately light: this is a development emulator, whose passwords guard nothing. A real
 * salted hash still keeps passwords out of its state file, but production-strength scrypt
 * (N=16384, 16 MB per hash) made the emulator the bottleneck of concurrent signups on a
 * 2-core machine, competing with PostgreSQL for CPU.
 */
const COST = 1024;

function derive(password: string, salt: Buffer, cost = COST): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, { N: cost }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Self-describing scrypt hash, so the parameters can change without breaking stored users. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt);
  return `scrypt$${COST}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, cost, salt, key] = stored.split('$');
  const n = Number(cost);
  // Hashes made with another cost (older state files) still verify: the cost is stored.
  if (scheme !== 'scrypt' || !Number.isInteger(n) || n < 2 || n > 1 << 20 || !salt || !key)
    return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), n);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
