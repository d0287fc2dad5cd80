import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ROOT_DIR } from '../../src/db/migrationSettings';

/** A real headless Chromium (the system's, playwright-core drives it) for page tests. */

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const chromiumInstalled = existsSync(CHROMIUM_PATH);
export const SCREENSHOT_DIR = path.join(ROOT_DIR, 'artifacts', 'screenshots');

// Offline, quiet and reproducible: nothing phones home, no first-run UI, no sandbox (root).
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<{
  context: BrowserContext;
  close(): Promise<void>;
}> {
  // A fresh profile each run: no cached pages or saved form data from an earlier run.
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'signup-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** The app on a real port, as a browser needs it. */
export async function listen(app: Express): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Collects what a page should never produce: script errors, console errors (CSP refusals
 * are console errors), and files that fail to load. Error answers from the API itself are
 * what some tests are about, so `apiPaths` are left to the tests.
 */
export function watchForProblems(page: Page, apiPaths: string[] = ['/users']): string[] {
  const problems: string[] = [];
  const isApi = (url: string) => apiPaths.includes(new URL(url).pathname);
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // Chromium logs every 4xx/5xx fetch this way; the response check below covers those.
    const failedLoad = message.text().startsWith('Failed to load resource: the server responded');
    if (message.type() === 'error' && !failedLoad)
      problems.push(`console error: ${message.text()}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400 && !isApi(response.url()))
      problems.push(`${response.status()} for ${response.url()}`);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  return problems;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}
