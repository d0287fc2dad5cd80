import type { BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { EMULATOR_PUBLIC_CLIENT_ID } from '@tenant-signup/auth0-emulator';
import {
  CHROMIUM_PATH,
  chromiumInstalled,
  launchChromium,
  listen,
  screenshot,
  watchForProblems,
} from '../helpers/browser';
import { signupBody, TEST_PASSWORD as PASSWORD } from '../helpers/signupData';
import { startTestService, type TestService } from '../helpers/testService';

// Where Chromium is missing the suite is reported as skipped, with the reason in its name,
// rather than passing without having run.
const describeInChromium = chromiumInstalled ? describe : describe.skip;
const reason = chromiumInstalled ? '' : ` (skipped: ${CHROMIUM_PATH} not installed)`;

jest.setTimeout(60_000);

const API = 'urn:tenant-signup:api';

let svc: TestService;
let server: { url: string; close(): Promise<void> };
let chromium: { context: BrowserContext; close(): Promise<void> };
let page: Page;
let problems: string[];

const signupCalls = () =>
  svc.emulator.requests().filter((r) => r.method === 'POST' && r.path === '/api/v2/users');

// A string, not a function: the tests are type-checked without the DOM library.
const focusedId = () =>
  page.evaluate<string>('document.activeElement ? document.activeElement.id : ""');

/**
 * The element's text once the page has rendered some: the script fills it in after the
 * response arrives, so reading it at once would race the browser.
 */
async function renderedText(selector: string): Promise<string> {
  const element = page.locator(selector).filter({ hasText: /\S/ });
  await element.waitFor({ timeout: 15_000 });
  return element.innerText();
}

async function fillForm(values: {
  email: string;
  password?: string;
  passwordConfirm?: string;
  schoolName: string;
}) {
  await page.goto(`${server.url}/`);
  await page.fill('#email', values.email);
  await page.fill('#password', values.password ?? PASSWORD);
  await page.fill('#passwordConfirm', values.passwordConfirm ?? values.password ?? PASSWORD);
  await page.fill('#schoolName', values.schoolName);
}

describeInChromium(`signup page in Chromium${reason}`, () => {
  beforeAll(async () => {
    // The emulator as the service's own would run (local/emulator defaults), so /docs can
    // sign a school's user in for the school's API.
    svc = await startTestService({
      env: { API_DOCS_CLIENT_ID: EMULATOR_PUBLIC_CLIENT_ID },
      emulator: {
        apis: [{ audience: API, scopes: [] }],
        userClaims: { 'https://tenant-signup/db_name': 'db_name' },
        defaultAudience: API,
        defaultDirectory: 'Username-Password-Authentication',
      },
    });
    server = await listen(svc.app);
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await server?.close();
    await svc?.close();
  });
  beforeEach(async () => {
    page = await chromium.context.newPage();
    problems = watchForProblems(page);
    svc.emulator.resetRecords();
    svc.emulator.faults.clear();
  });
  afterEach(async () => {
    expect(problems).toEqual([]); // no script errors and no CSP refusals on any page
    await page.close();
  });

  test('the empty form has labelled fields and the password rule, on desktop and phone', async () => {
    await page.goto(`${server.url}/`);
    for (const label of ['Email', 'Password', 'Confirm password', 'School name'])
      await expect(page.getByLabel(label, { exact: true }).isVisible()).resolves.toBe(true);
    await expect(page.locator('#password-hint').innerText()).resolves.toMatch(/At least 8/);
    await screenshot(page, 'signup-empty-desktop');

    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'signup-empty-phone');
  });

  test('a valid signup submitted with the keyboard disables the button while waiting, then shows the school and its database name', async () => {
    const { email, schoolName, dbName } = signupBody('Browser Elementary');
    // Auth0 answers slowly, so the waiting state can be seen.
    svc.emulator.faults.add({ method: 'POST', path: '/api/v2/users', delayMs: 1500 });
    await fillForm({ email, schoolName });
    await page.locator('#password').fill('');
    await page.locator('#password').pressSequentially(PASSWORD);

    await page.locator('#schoolName').press('Enter');
    await page.waitForSelector('#submit[disabled]');
    await expect(page.locator('#submit').innerText()).resolves.toMatch(/Creating/);
    await screenshot(page, 'signup-busy');

    await page.waitForSelector('#result', { state: 'visible' });
    await expect(renderedText('#result-school')).resolves.toBe(schoolName);
    await expect(renderedText('#result-db')).resolves.toBe(dbName);
    await expect(focusedId()).resolves.toBe('result');
    expect(signupCalls()).toHaveLength(1);
    await screenshot(page, 'signup-success');
  });

  test('mismatched passwords are caught in the browser: message next to the field, focus on it, nothing sent', async () => {
    const sent: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST') sent.push(r.url());
    });
    await fillForm({ ...signupBody('Mismatch School'), passwordConfirm: 'Sup3r-secreT' });

    await page.click('#submit');

    await expect(page.locator('#passwordConfirm-error').innerText()).resolves.toContain(
      'Passwords do not match.',
    );
    await expect(page.getAttribute('#passwordConfirm', 'aria-invalid')).resolves.toBe('true');
    await expect(focusedId()).resolves.toBe('passwordConfirm');
    expect(sent).toEqual([]);
    expect(signupCalls()).toEqual([]);
    await screenshot(page, 'signup-password-mismatch');
  });

  test('a school that is already registered gets the server’s 409 message next to the school name', async () => {
    const first = signupBody('Taken Academy');
    await request(svc.app).post('/users').send(first.request).expect(201);
    svc.emulator.resetRecords();

    await fillForm({ email: signupBody('Second Applicant').email, schoolName: first.schoolName });
    const response = page.waitForResponse((r) => r.url().endsWith('/users'));
    await page.click('#submit');

    expect((await response).status()).toBe(409);
    await expect(renderedText('#schoolName-error')).resolves.toContain(
      'This school is already registered.',
    );
    await expect(page.getAttribute('#schoolName', 'aria-invalid')).resolves.toBe('true');
    await expect(page.locator('#submit').isEnabled()).resolves.toBe(true);
    expect(signupCalls()).toEqual([]); // the catalog said no before Auth0 was asked
    await screenshot(page, 'signup-school-taken');
  });

  test('when Auth0 is down, the 503 is shown as a try-again message above the form', async () => {
    svc.emulator.faults.add({ method: 'POST', path: '/api/v2/users', status: 503, times: 50 });
    await fillForm(signupBody('Outage School'));
    const response = page.waitForResponse((r) => r.url().endsWith('/users'));
    await page.click('#submit');

    expect((await response).status()).toBe(503);
    await expect(renderedText('#form-error')).resolves.toMatch(
      /temporarily unavailable.*try again in \d+ seconds?\b/i,
    );
    await screenshot(page, 'signup-auth0-unavailable');
  });

  test('the API docs page renders the OpenAPI document under the default CSP', async () => {
    await page.goto(`${server.url}/docs`);
    await page.waitForSelector('#operations-Signup-signUp');
    await expect(page.locator('.info .title').innerText()).resolves.toContain(
      'Tenant signup service',
    );
    await screenshot(page, 'docs');

    await page.click('#operations-Signup-signUp .opblock-summary');
    const statuses = page.locator(
      '#operations-Signup-signUp .responses-table .response-col_status',
    );
    await statuses.last().waitFor();
    await expect(statuses.allInnerTexts()).resolves.toEqual([
      'Code', // the table header
      ...['201', '400', '403', '409', '413', '415', '429', '500', '502', '503'],
    ]);
    await screenshot(page, 'docs-post-users');
  });

  test("Authorize on /docs signs a school's user in, and Try it out lists the school's students", async () => {
    const school = signupBody('Docs School');
    await request(svc.app).post('/users').send(school.request).expect(201);
    await page.goto(`${server.url}/docs`);
    await page.click('.btn.authorize');
    const login = page.locator('.auth-container', { hasText: 'schoolLogin' });
    // The application comes from the document; the person types only email and password.
    await expect(login.locator('#client_id_password').inputValue()).resolves.toBe(
      EMULATOR_PUBLIC_CLIENT_ID,
    );
    await login.locator('#oauth_username').fill(school.email);
    await login.locator('#oauth_password').fill(PASSWORD);
    await login.locator('button.authorize').click();
    await login.locator('button', { hasText: 'Logout' }).waitFor();
    await screenshot(page, 'docs-authorized');
    await page.click('.modal-ux .close-modal');

    await page.click('#operations-School_API-listStudents .opblock-summary');
    await page.click('#operations-School_API-listStudents .try-out__btn');
    const answer = page.waitForResponse((r) => r.url().includes('/api/students'));
    await page.click('#operations-School_API-listStudents .execute');
    expect((await answer).status()).toBe(200);
    await expect(
      page
        .locator(
          '#operations-School_API-listStudents .live-responses-table tbody .response-col_status',
        )
        .first()
        .innerText(),
    ).resolves.toContain('200');
    await screenshot(page, 'docs-list-students');
  });
});
