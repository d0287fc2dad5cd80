import { checkUserClaims, userClaims } from '../../src/userClaims';

const CLAIM = 'https://tenant-signup/db_name';

describe('userClaims, as a post-login Action guarding on app_metadata adds them', () => {
  it('maps each app_metadata key the user has to its claim name', () => {
    expect(userClaims({ [CLAIM]: 'db_name' }, { db_name: 'school_oak', other: 1 })).toEqual({
      [CLAIM]: 'school_oak',
    });
  });

  it('adds nothing for a missing, null or inherited key, or no app_metadata at all', () => {
    const mapping = { [CLAIM]: 'db_name', 'https://x/proto': 'toString' };
    expect(userClaims(mapping, undefined)).toEqual({});
    expect(userClaims(mapping, {})).toEqual({});
    expect(userClaims(mapping, { db_name: null })).toEqual({});
  });

  it('refuses claim names Auth0 reserves', () => {
    expect(() => checkUserClaims({ aud: 'db_name' })).toThrow(/aud/);
    expect(() => checkUserClaims({ 'https://example.auth0.com/x': 'k' })).toThrow();
    expect(() => checkUserClaims({ [CLAIM]: 'db_name' })).not.toThrow();
  });
});
