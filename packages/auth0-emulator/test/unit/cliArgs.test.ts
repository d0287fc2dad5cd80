import { DEFAULT_PORT, DEFAULT_STATE_FILE, parseCliArgs, UsageError } from '../../src/cliArgs';

function settingsOf(args: string[]) {
  const request = parseCliArgs(args);
  if (request.help) throw new Error('expected settings, got --help');
  return request.settings;
}

test('without flags: port 4010, state in .data/auth0-emulator.json, the default connection, no custom API, no control API', () => {
  expect(settingsOf([])).toEqual({
    port: DEFAULT_PORT,
    stateFile: DEFAULT_STATE_FILE,
    connections: undefined,
    apis: [],
    enableControlApi: false,
  });
  expect([DEFAULT_PORT, DEFAULT_STATE_FILE]).toEqual([4010, '.data/auth0-emulator.json']);
});

test('every flag, the repeatable ones repeated, in both --flag value and --flag=value forms', () => {
  expect(
    settingsOf([
      '--port=0',
      '--state-file',
      '/tmp/state.json',
      '--connection',
      'Teachers',
      '--connection=Pupils',
      '--api',
      'urn:example:api=sync:users,read:reports',
      '--api=https://api.example.com/',
      '--control-api',
    ]),
  ).toEqual({
    port: 0,
    stateFile: '/tmp/state.json',
    connections: ['Teachers', 'Pupils'],
    apis: [
      { audience: 'urn:example:api', scopes: ['sync:users', 'read:reports'] },
      { audience: 'https://api.example.com/', scopes: [] },
    ],
    enableControlApi: true,
  });
});

test('--help asks for the usage, whatever else is given', () => {
  expect(parseCliArgs(['--port', '1', '--help'])).toEqual({ help: true });
});

test.each([
  [['--prot', '4010'], "Unknown option '--prot'"],
  [['4010'], "Unexpected argument '4010'. This command does not take positional arguments"],
  [['--port'], "Option '--port <value>' argument missing"],
  [['--port', '-1'], "--port needs a value; for one starting with '-' write --port=<value>"],
  [['--port=-1'], "--port must be a whole number from 0 to 65535, got '-1'"],
  [['--port', '65536'], "--port must be a whole number from 0 to 65535, got '65536'"],
  [['--port', '40.5'], "--port must be a whole number from 0 to 65535, got '40.5'"],
  [['--port', '0x10'], "--port must be a whole number from 0 to 65535, got '0x10'"],
  [['--state-file='], '--state-file needs a path'],
  [['--connection='], '--connection needs a name'],
  [['--api', '=sync:users'], "--api needs an audience, got '=sync:users'"],
  [['--help=yes'], "Option '--help' does not take an argument"],
])('%j is a usage error of one line: %s', (args, message) => {
  const attempt = () => parseCliArgs(args);
  expect(attempt).toThrow(UsageError);
  expect(attempt).toThrow(new UsageError(message));
});
