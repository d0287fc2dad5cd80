import { slugify } from '../../src/tenants/dbName';
import { uniqueSuffix } from './testService';

/** The one password test signups use; tests check it never shows up in output or logs. */
export const TEST_PASSWORD = 'Sup3r-secret';

/**
 * A signup of a school no other test uses: `label` plus a random suffix, so tests make their
 * own data instead of sharing it. `dbName` is what the naming rule makes of the school name.
 * `domain` is the email's domain, for tests of domain rules.
 */
export function signupBody(label = 'School', { domain = 'school.test' }: { domain?: string } = {}) {
  const id = uniqueSuffix();
  const schoolName = `${label} ${id}`;
  const email = `${slugify(label).replace(/_/g, '.')}.${id}@${domain}`;
  return {
    request: { email, password: TEST_PASSWORD, schoolName },
    dbName: slugify(schoolName),
    email,
    schoolName,
  };
}

export type SignupData = ReturnType<typeof signupBody>;
