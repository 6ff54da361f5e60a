// Headless-browser test of the API documentation: the vendored Swagger UI at /docs/
// renders every operation under the Content-Security-Policy the hub sends it, with no
// policy violation, console error or page error. Run against a live hub by run.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { recordCspViolations } from './csp.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const HUB = (process.env.HUB_URL ?? '').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOT = path.resolve(
  process.env.DOCS_SCREENSHOT_PATH ?? path.join(HERE, '..', '..', 'target', 'browser', 'docs.png'),
);
if (!HUB) throw new Error('HUB_URL is not set (run tests/browser/run.sh BINARY)');
const WAIT = 15_000; // bound on every wait for rendering

let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close().catch(() => {});
});

test('the docs render every operation under their CSP without violations', async () => {
  const context = await browser.newContext();
  await recordCspViolations(context);
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  const consoleErrors = [];
  const pageErrors = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => pageErrors.push(String(e)));

  const response = await page.goto(`${HUB}/docs/`, { waitUntil: 'load' });
  assert.equal(response.status(), 200);
  const csp = response.headers()['content-security-policy'] ?? '';
  assert.match(csp, /default-src 'none'/, 'the docs are served with a CSP');

  // Swagger UI builds the page from /openapi.json with its own scripts.
  await page.waitForSelector('.swagger-ui .opblock', { timeout: WAIT });
  const spec = await (await fetch(`${HUB}/openapi.json`)).json();
  const documented = Object.values(spec.paths).reduce((n, item) => n + Object.keys(item).length, 0);
  const rendered = await page.locator('.swagger-ui .opblock').count();
  assert.equal(rendered, documented, 'one block per documented operation');

  // Expanding an operation works (its schema and example are rendered by script).
  await page.locator('.swagger-ui .opblock-summary').first().click();
  await page.waitForSelector('.swagger-ui .opblock-body', { timeout: WAIT });

  const violations = await page.evaluate(() => window.__cspViolations);
  assert.deepEqual(violations, [], 'securitypolicyviolation events');
  assert.deepEqual(pageErrors, [], 'page errors');
  assert.deepEqual(consoleErrors, [], 'console errors');

  await mkdir(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: false });
  console.log(`screenshot: ${SCREENSHOT}`);
  await context.close();
});
