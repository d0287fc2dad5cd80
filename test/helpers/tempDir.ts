import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Folders made by tempDir() for the test file running now. */
const made: string[] = [];
// Registered when a test file imports this module (jest loads modules afresh for every test
// file), so each file removes its own folders, failed tests included. Not process 'exit':
// jest's test environment hands tests a process object whose events never fire.
afterAll(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A new folder under the OS's temporary directory, removed after the test file's tests. */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
