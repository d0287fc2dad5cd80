import request from 'supertest';
import { EMULATOR_PUBLIC_CLIENT_ID, PASSWORD_REALM_GRANT } from '@tenant-signup/auth0-emulator';
import { TEST_PASSWORD } from './signupData';

/** The school's API audience (API_AUDIENCE's default) and its tenant claim (TENANT_CLAIM's). */
export const SCHOOL_API = 'urn:tenant-signup:api';
export const TENANT_CLAIM = 'https://tenant-signup/db_name';

/**
 * A school user's access token for the school's API, as its app gets one: the emulator's
 * password-realm grant, the public client unless another is named.
 */
export async function userToken(
  emulatorUrl: string,
  username: string,
  { clientId = EMULATOR_PUBLIC_CLIENT_ID, secret }: { clientId?: string; secret?: string } = {},
): Promise<string> {
  const res = await request(emulatorUrl)
    .post('/oauth/token')
    .send({
      grant_type: PASSWORD_REALM_GRANT,
      realm: 'Username-Password-Authentication',
      username,
      password: TEST_PASSWORD,
      audience: SCHOOL_API,
      client_id: clientId,
      ...(secret ? { client_secret: secret } : {}),
    })
    .expect(200);
  return res.body.access_token as string;
}
