import { isDatabaseUnavailable } from '../../src/db/unavailable';
import { ProvisioningError } from '../../src/errors';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

test.each([
  ['57P01 admin_shutdown', withCode('57P01')],
  ['57P03 cannot_connect_now', withCode('57P03')],
  ['08006 connection_failure', withCode('08006')],
  ['53300 too_many_connections', withCode('53300')],
  ['a refused connection', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
  ['a reset connection', withCode('ECONNRESET')],
  [
    'a cut connection, knex-prefixed',
    new Error('insert into "catalog"."schools" … - Connection terminated unexpectedly'),
  ],
  [
    'a pool timeout',
    Object.assign(new Error('Knex: Timeout acquiring a connection.'), { name: 'KnexTimeoutError' }),
  ],
  [
    'an outage behind a ProvisioningError',
    new ProvisioningError('create database', 'x', { cause: withCode('57P01') }),
  ],
])('%s is the database being away', (_what, error) => {
  expect(isDatabaseUnavailable(error)).toBe(true);
});

test.each([
  ['a unique violation', withCode('23505')],
  ['a missing table', withCode('42P01')],
  ['division by zero in a migration', withCode('22012', 'division by zero')],
  [
    'a ProvisioningError with a real cause',
    new ProvisioningError('migrate', 'x', { cause: withCode('22012') }),
  ],
  ['a ProvisioningError without a cause', new ProvisioningError('migrate', 'x')],
  ['a five-letter code that only starts like class 08', withCode('0800')],
  ['nothing', undefined],
])('%s is not', (_what, error) => {
  expect(isDatabaseUnavailable(error)).toBe(false);
});
