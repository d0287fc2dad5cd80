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
const COST = 16384;

function derive(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, { N: COST }, (err, key) =>
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
  if (scheme !== 'scrypt' || Number(cost) !== COST || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
