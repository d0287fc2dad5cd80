import { parseCommandArgs, UsageError } from '../../src/cli/options';

const spec = {
  options: {
    concurrency: { type: 'integer', min: 1, max: 100 },
    format: { type: 'enum', values: ['table', 'json'] },
    yes: { type: 'boolean' },
  },
  positionals: { min: 0, max: 1, name: '<db_name>' },
} as const;

test('valid options come back typed, absent ones undefined', () => {
  expect(parseCommandArgs(['--concurrency', '12', 'school_a'], spec)).toEqual({
    values: { concurrency: 12, format: undefined, yes: undefined },
    positionals: ['school_a'],
  });
  expect(parseCommandArgs(['--format=json', '--yes'], spec).values).toEqual({
    concurrency: undefined,
    format: 'json',
    yes: true,
  });
});

test.each([
  [['--concurrency', 'abc'], "--concurrency must be a whole number from 1 to 100, got 'abc'"],
  [['--concurrency', '101'], "--concurrency must be a whole number from 1 to 100, got '101'"],
  [['--concurrency', ' 5'], "--concurrency must be a whole number from 1 to 100, got ' 5'"],
  [['--concurrency', '9007199254740993'], 'got '],
  [['--format', 'xml'], "--format must be one of table, json, got 'xml'"],
  [['--yes=1'], "Option '--yes' does not take an argument"],
  [['a', 'b'], 'too many arguments: expected at most 1 <db_name>'],
  [['--nope'], "Unknown option '--nope'"],
])('%j is a UsageError: %s', (args, message) => {
  expect(() => parseCommandArgs(args, spec)).toThrow(UsageError);
  expect(() => parseCommandArgs(args, spec)).toThrow(message);
});

test('a missing required positional names it', () => {
  expect(() =>
    parseCommandArgs([], { options: {}, positionals: { min: 1, max: 1, name: '<db_name>' } }),
  ).toThrow('missing <db_name>');
});
