import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';

// RS256 access tokens signed with node:crypto, so the emulator's tokens look like Auth0's
// (header kid, JWKS endpoint) without a JWT library.

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export type JwtPayload = Record<string, unknown>;

export type VerifyResult =
  { ok: true; payload: JwtPayload } | { ok: false; reason: 'malformed' | 'invalid' | 'expired' };

export async function createSigningKey(): Promise<SigningKey> {
  const privateKey = await new Promise<KeyObject>((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: 2048 }, (err, _publicKey, key) =>
      err ? reject(err) : resolve(key),
    );
  });
  return signingKeyFrom(privateKey);
}

export function signingKeyFromPem(pem: string): SigningKey {
  return signingKeyFrom(createPrivateKey(pem));
}

export function exportPrivateKeyPem(key: SigningKey): string {
  return key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

function signingKeyFrom(privateKey: KeyObject): SigningKey {
  const publicKey = createPublicKey(privateKey);
  // A stable kid derived from the public key keeps persisted tokens verifiable after restart.
  const der = publicKey.export({ format: 'der', type: 'spki' });
  const kid = createHash('sha256').update(der).digest('base64url').slice(0, 32);
  return { kid, privateKey, publicKey };
}

export function jwks(key: SigningKey): { keys: object[] } {
  const jwk = key.publicKey.export({ format: 'jwk' });
  return { keys: [{ ...jwk, kid: key.kid, use: 'sig', alg: 'RS256' }] };
}

const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export function signJwt(key: SigningKey, payload: JwtPayload): string {
  const head = encode({ alg: 'RS256', typ: 'JWT', kid: key.kid });
  const signingInput = `${head}.${encode(payload)}`;
  const signature = sign('sha256', Buffer.from(signingInput), key.privateKey);
  return `${signingInput}.${signature.toString('base64url')}`;
}

function decodeJson(part: string): JwtPayload | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as JwtPayload)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Checks shape, algorithm, kid and signature, then expiry (Auth0 reports expiry separately). */
export function verifyJwt(key: SigningKey, token: string, nowSeconds: number): VerifyResult {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed' };
  const [head = '', body = '', signature = ''] = parts;
  const header = decodeJson(head);
  const payload = decodeJson(body);
  if (!header || !payload) return { ok: false, reason: 'invalid' };
  // Pinning alg blocks "alg: none" and HS256-with-public-key confusion.
  if (header.alg !== 'RS256' || header.kid !== key.kid) return { ok: false, reason: 'invalid' };
  const valid = verify(
    'sha256',
    Buffer.from(`${head}.${body}`),
    key.publicKey,
    Buffer.from(signature, 'base64url'),
  );
  if (!valid) return { ok: false, reason: 'invalid' };
  if (typeof payload.exp !== 'number' || payload.exp <= nowSeconds) {
    return { ok: false, reason: 'expired' };
  }
  return { ok: true, payload };
}
