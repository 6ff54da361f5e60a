// Headless-browser tests of the embeddable event listing (/embed/events.js and the
// /embed/events iframe page), run against a live hub by run.sh.
//
// Host pages are served from a second loopback origin (127.0.0.2, a different site from
// the hub's 127.0.0.1), as a borough website would embed the listing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { recordCspViolations } from './csp.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const HUB = (process.env.HUB_URL ?? '').replace(/\/+$/, '');
const ADMIN_EMAIL = process.env.ADMIN_EMAIL ?? 'browser-admin@example.org';
const ADMIN_PASSWORD = process.env.ADMIN_PASSWORD ?? 'browser test admin password 42';
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOT = path.resolve(
  process.env.SCREENSHOT_PATH ?? path.join(HERE, '..', '..', 'target', 'browser', 'embed.png'),
);
if (!HUB) throw new Error('HUB_URL is not set (run tests/browser/run.sh BINARY)');

const NORMAL_TITLE = 'Service specifications for external provision';
const HOSTILE_TITLE =
  '<img src=x onerror="window.__llcpPwned=1"><script>window.__llcpPwned=2</script> Hostile title';
const ACCENT = 'rgb(128, 0, 96)'; // the host's --llcp-accent, as getComputedStyle reports it
const EMBED_PAGE = `${HUB}/embed/events?kind=workshop&limit=5`;
const WAIT = 15_000; // bound on every wait for rendering

const axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

// ---------------------------------------------------------------- the hub's API

async function api(method, urlPath, { token, body } = {}) {
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(HUB + urlPath, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${urlPath} → ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

function daysFromNow(days, hourUtc) {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + days);
  d.setUTCHours(hourUtc, 0, 0, 0);
  return d.toISOString();
}

async function createPublishedWorkshop(token, title, days) {
  const event = await api('POST', '/api/v1/admin/events', {
    token,
    body: {
      title,
      kind: 'workshop',
      starts_at: daysFromNow(days, 13),
      ends_at: daysFromNow(days, 17),
      venue: { name: 'Swiss Cottage Library', address: '88 Avenue Road, London', postcode: 'NW3 3HA' },
      audience: ['officers'],
      capacity: 30,
      summary: 'A half-day workshop for commissioning officers.',
    },
  });
  await api('POST', `/api/v1/admin/events/${event.id}/publish`, { token });
  return event;
}

// ------------------------------------------------------------- the host pages

function hostPage({ strict }) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Borough events (${strict ? 'strict CSP' : 'no CSP'})</title>
<link rel="stylesheet" href="/host.css">
</head>
<body>
<main>
<h1>London borough test site</h1>
<p>A host page that embeds the hub's event listing.</p>
<h2>Upcoming workshops</h2>
<div data-llcp-events data-kind="workshop" data-limit="5"></div>
<h2>The same listing in a frame</h2>
<iframe title="Upcoming events" src="${EMBED_PAGE.replaceAll('&', '&amp;')}"></iframe>
</main>
<script src="${HUB}/embed/events.js" defer></script>
</body>
</html>
`;
}

const HOST_CSS = `body { font-family: sans-serif; margin: 2rem; color: #1a1a1a; background: #fff; }
[data-llcp-events] { --llcp-accent: ${ACCENT}; }
iframe { width: 100%; height: 28rem; border: 1px solid #767676; }
`;

const STRICT_CSP = [
  "default-src 'none'",
  `script-src ${HUB}`,
  `connect-src ${HUB}`,
  `frame-src ${HUB}`,
  "style-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const hostRequests = []; // paths the host servers were asked for

function handleHost(req, res) {
  const url = new URL(req.url, 'http://host.invalid');
  hostRequests.push(url.pathname);
  const send = (status, type, body, extra = {}) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...extra });
    res.end(body);
  };
  if (url.pathname === '/strict.html') {
    send(200, 'text/html; charset=utf-8', hostPage({ strict: true }), {
      'content-security-policy': STRICT_CSP,
    });
  } else if (url.pathname === '/open.html') {
    send(200, 'text/html; charset=utf-8', hostPage({ strict: false }));
  } else if (url.pathname === '/host.css') {
    send(200, 'text/css; charset=utf-8', HOST_CSS);
  } else {
    send(404, 'text/plain; charset=utf-8', 'not found');
  }
}

function listen(host) {
  const server = http.createServer(handleHost);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve({ server, origin: `http://${host}:${server.address().port}` }));
  });
}

// ------------------------------------------------------------------- fixtures

let browser;
let servers = [];
let HOST; // cross-site host origin (127.0.0.2, or localhost when that cannot be bound)
let SAME_SITE_HOST; // cross-origin but same-site host origin (127.0.0.1, another port)
const slugs = {};
const contexts = [];

before(async () => {
  const { access_token: token } = await api('POST', '/api/v1/auth/token', {
    body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
  });
  assert.ok(token, 'sign-in returned no access_token');
  slugs.normal = (await createPublishedWorkshop(token, NORMAL_TITLE, 30)).slug;
  slugs.hostile = (await createPublishedWorkshop(token, HOSTILE_TITLE, 31)).slug;

  let crossSite;
  try {
    crossSite = await listen('127.0.0.2');
  } catch (e) {
    console.log(`cannot bind 127.0.0.2 (${e.code}); serving host pages from localhost`);
    crossSite = await listen('localhost');
  }
  const sameSite = await listen('127.0.0.1');
  servers = [crossSite.server, sameSite.server];
  HOST = crossSite.origin;
  SAME_SITE_HOST = sameSite.origin;

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close().catch(() => {});
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

/** Opens a page in a fresh browser context, recording what a test may assert on. */
async function open(url, { hubCookie = false, beforeGoto } = {}) {
  const context = await browser.newContext();
  contexts.push(context);
  if (hubCookie) {
    await context.addCookies([{ name: 'llcp_probe', value: 'host-session', url: HUB }]);
  }
  await recordCspViolations(context);
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  page.setDefaultNavigationTimeout(WAIT);
  const rec = { page, consoleErrors: [], pageErrors: [], requests: [] };
  page.on('console', (m) => m.type() === 'error' && rec.consoleErrors.push(m.text()));
  page.on('pageerror', (e) => rec.pageErrors.push(String(e)));
  page.on('request', (r) => rec.requests.push(r));
  if (beforeGoto) await beforeGoto(page);
  await page.goto(url);
  return rec;
}

/** Waits until the script listing and the framed listing both show both titles. */
async function waitForEmbeds(page) {
  for (const title of [NORMAL_TITLE, 'Hostile title']) {
    await page.locator('[data-llcp-events] .llcp-title', { hasText: title }).first().waitFor();
    await page
      .frameLocator('iframe[title="Upcoming events"]')
      .locator('main.llcp .llcp-title', { hasText: title })
      .first()
      .waitFor();
  }
}

const memo = (f) => {
  let p;
  return () => (p ??= f());
};
const strictPage = memo(async () => {
  const rec = await open(`${HOST}/strict.html`);
  await waitForEmbeds(rec.page);
  return rec;
});
const openPage = memo(async () => {
  const rec = await open(`${HOST}/open.html`);
  await waitForEmbeds(rec.page);
  return rec;
});

/** The rendered titles, read from the host element's open shadow root. */
function shadowTitles(page) {
  return page.evaluate(() => {
    const root = document.querySelector('[data-llcp-events]')?.shadowRoot;
    return root ? [...root.querySelectorAll('.llcp-title')].map((e) => e.textContent.trim()) : null;
  });
}

async function axeViolations(page, label) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, { resultTypes: ['violations'], iframes: false }),
  );
  for (const v of result.violations) {
    console.log(`axe [${label}] ${v.id} (${v.impact}): ${v.help} — ${v.helpUrl}`);
    for (const n of v.nodes) console.log(`    ${JSON.stringify(n.target)} ${n.failureSummary?.replace(/\s+/g, ' ')}`);
  }
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

const describeViolations = (vs) =>
  vs.map((v) => `${v.id} (${v.impact}) at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`).join('; ');

// ---------------------------------------------------------------------- tests

test('the event titles render inside the host element’s open shadow root', async () => {
  const { page } = await strictPage();
  const titles = await shadowTitles(page);
  assert.ok(titles, '[data-llcp-events] has no open shadow root');
  assert.ok(titles.includes(NORMAL_TITLE), `titles: ${JSON.stringify(titles)}`);
  assert.ok(titles.includes(HOSTILE_TITLE), `titles: ${JSON.stringify(titles)}`);
  const structure = await page.evaluate(() => {
    const root = document.querySelector('[data-llcp-events]').shadowRoot;
    return root.querySelectorAll('div.llcp > ul.llcp-events > li.llcp-event').length;
  });
  assert.equal(structure, 2, 'expected div.llcp > ul.llcp-events > li.llcp-event for each event');
});

test('each listed event has a time, a register link to the hub and an .ics link', async () => {
  const { page } = await strictPage();
  const items = await page.evaluate(() =>
    [...document.querySelector('[data-llcp-events]').shadowRoot.querySelectorAll('li.llcp-event')].map((li) => ({
      title: li.querySelector('.llcp-title')?.textContent.trim(),
      time: !!li.querySelector('time'),
      register: li.querySelector('a.llcp-register')?.href ?? null,
      ics: li.querySelector('a.llcp-ics')?.href ?? null,
    })),
  );
  for (const [title, slug] of [[NORMAL_TITLE, slugs.normal], [HOSTILE_TITLE, slugs.hostile]]) {
    const item = items.find((i) => i.title === title);
    assert.ok(item, `no li.llcp-event for ${title}`);
    assert.ok(item.time, `no <time> for ${title}`);
    assert.equal(item.register, `${HUB}/events/${slug}/register`, `a.llcp-register of ${title}`);
    assert.ok(item.ics?.startsWith(HUB), `a.llcp-ics of ${title} should point at the hub, is ${item.ics}`);
  }
});

for (const [label, get] of [['strict CSP', strictPage], ['no CSP', openPage]]) {
  test(`the hostile title renders as literal text and runs nothing (${label} page)`, async () => {
    const { page } = await get();
    // Let any injected <img src=x> fail and fire its onerror before looking.
    await page.waitForLoadState('networkidle', { timeout: WAIT });
    const text = await page
      .locator('[data-llcp-events] .llcp-title', { hasText: 'Hostile title' })
      .first()
      .textContent();
    assert.ok(text.includes('<img src=x'), `title text: ${text}`);
    assert.ok(text.includes('<script>'), `title text: ${text}`);
    const injected = await page.evaluate(() => {
      const listing = document.querySelector('[data-llcp-events]').shadowRoot.querySelector('.llcp');
      return listing.querySelectorAll('img, script').length;
    });
    assert.equal(injected, 0, 'img or script elements inside the rendered listing');
    const framed = await page
      .frameLocator('iframe[title="Upcoming events"]')
      .locator('main.llcp img, main.llcp script')
      .count();
    assert.equal(framed, 0, 'img or script elements inside the framed listing');
    for (const frame of page.frames()) {
      const pwned = await frame.evaluate(() => window.__llcpPwned);
      assert.equal(pwned, undefined, `window.__llcpPwned is ${pwned} in ${frame.url()}`);
    }
    assert.ok(!hostRequests.includes('/x'), 'the host origin was asked for /x (an injected <img src=x>)');
  });
}

test('the strict CSP page shows no Content-Security-Policy violations or page errors', async () => {
  const { page, consoleErrors, pageErrors } = await strictPage();
  const cspConsole = consoleErrors.filter((t) => /Content Security Policy/i.test(t));
  assert.deepEqual(cspConsole, [], 'CSP errors in the console');
  assert.deepEqual(pageErrors, [], 'uncaught page errors');
  const reported = [];
  for (const frame of page.frames()) {
    for (const v of (await frame.evaluate(() => window.__cspViolations ?? [])) ?? []) {
      reported.push(`${frame.url()}: ${v}`);
    }
  }
  assert.deepEqual(reported, [], 'securitypolicyviolation events');
});

test('the host’s --llcp-accent custom property sets the register link colour', async () => {
  const { page } = await strictPage();
  const hostAccent = await page.evaluate(() =>
    getComputedStyle(document.querySelector('[data-llcp-events]')).getPropertyValue('--llcp-accent').trim(),
  );
  assert.equal(hostAccent, ACCENT, 'host.css did not apply to the host element');
  const linkColour = await page
    .locator('[data-llcp-events] a.llcp-register')
    .first()
    .evaluate((a) => getComputedStyle(a).color);
  assert.equal(linkColour, ACCENT);
});

test('the embed sends no cookies to the hub', async () => {
  // The host is same-site with the hub (127.0.0.1, another port), so the browser sends the
  // hub's SameSite=Lax cookie on any credentialed request: the host's own <script src>
  // carrying it is the control. The headers are read as sent on the wire (CDP
  // requestWillBeSentExtraInfo), since Playwright's request.allHeaders() reports no
  // cookie for a request whose CORS check then fails.
  const sent = new Map(); // requestId → { url, type, frameId }
  const wireHeaders = new Map(); // requestId → headers as sent
  let mainFrameId;
  const { page, requests } = await open(`${SAME_SITE_HOST}/strict.html`, {
    hubCookie: true,
    beforeGoto: async (page) => {
      const cdp = await page.context().newCDPSession(page);
      cdp.on('Network.requestWillBeSent', (e) =>
        sent.set(e.requestId, { url: e.request.url, type: e.type, frameId: e.frameId }),
      );
      cdp.on('Network.requestWillBeSentExtraInfo', (e) => wireHeaders.set(e.requestId, e.headers));
      await cdp.send('Network.enable');
      mainFrameId = (await cdp.send('Page.getFrameTree')).frameTree.frame.id;
    },
  });
  // Every request of the page and the embed has been sent once the network is idle.
  await page.waitForLoadState('networkidle', { timeout: WAIT });
  assert.ok(requests.some((r) => r.url().startsWith(`${HUB}/api/`)), 'the embed made no API request to the hub');
  const cookieOf = (id) =>
    Object.entries(wireHeaders.get(id) ?? {}).find(([name]) => name.toLowerCase() === 'cookie')?.[1] ?? null;
  const toHub = [...sent].filter(([, r]) => r.url.startsWith(`${HUB}/`)).map(([id, r]) => ({ ...r, cookie: cookieOf(id) }));
  const scriptTag = toHub.find((r) => r.url === `${HUB}/embed/events.js`);
  assert.ok(scriptTag, 'no request for /embed/events.js');
  assert.match(scriptTag.cookie ?? '', /llcp_probe=/, 'control: the browser sent the hub cookie with nothing');
  // What the script asks for: the main frame's hub requests other than the host's own
  // <script> tag (the iframe's navigation and its stylesheet are the hub's own page).
  const byEmbed = toHub.filter((r) => r !== scriptTag && r.frameId === mainFrameId && r.type !== 'Document');
  assert.ok(byEmbed.length > 0, 'no request by the embed was seen');
  const leaked = byEmbed.filter((r) => r.cookie).map((r) => `${r.type} ${r.url} cookie: ${r.cookie}`);
  assert.deepEqual(leaked, [], 'requests by the embed that carried cookies');
});

test('the /embed/events iframe page shows both titles as text', async () => {
  const { page } = await open(EMBED_PAGE);
  const titles = page.locator('main.llcp .llcp-title');
  await titles.filter({ hasText: NORMAL_TITLE }).first().waitFor();
  const texts = (await titles.allTextContents()).map((t) => t.trim());
  assert.ok(texts.includes(NORMAL_TITLE), `titles: ${JSON.stringify(texts)}`);
  assert.ok(texts.includes(HOSTILE_TITLE), `titles: ${JSON.stringify(texts)}`);
  assert.equal(await page.locator('main.llcp img, main.llcp script').count(), 0);
  assert.equal(await page.evaluate(() => window.__llcpPwned), undefined);
  // And the same inside the strict host page's iframe.
  const { page: host } = await strictPage();
  const framed = (
    await host.frameLocator('iframe[title="Upcoming events"]').locator('main.llcp .llcp-title').allTextContents()
  ).map((t) => t.trim());
  assert.ok(framed.includes(NORMAL_TITLE) && framed.includes(HOSTILE_TITLE), `framed: ${JSON.stringify(framed)}`);
});

test('axe-core finds no serious or critical violations on the host page with the embed', async () => {
  const { page } = await strictPage();
  const bad = await axeViolations(page, 'host page');
  assert.deepEqual(bad.map((v) => v.id), [], describeViolations(bad));
});

test('axe-core finds no serious or critical violations on the /embed/events page', async () => {
  const { page } = await open(EMBED_PAGE);
  await page.locator('main.llcp .llcp-title').first().waitFor();
  const bad = await axeViolations(page, '/embed/events');
  assert.deepEqual(bad.map((v) => v.id), [], describeViolations(bad));
});

test('the register link opens a form that registers and shows the manage link', async () => {
  const { page } = await strictPage();
  const link = page.locator('[data-llcp-events] a.llcp-register').first();
  const [form] = await Promise.all([page.context().waitForEvent('page'), link.click()]);
  await form.waitForLoadState();
  assert.equal(new URL(form.url()).origin, HUB);
  await form.getByLabel('Full name').fill('Ada Lovelace');
  await form.getByLabel('Email address').fill('ada@camden.gov.uk');
  await form.getByLabel('Organisation').fill('London Borough of Camden');
  await form.getByLabel('Borough (optional)').selectOption({ label: 'Camden' });
  await form.getByLabel(/I agree/).check();
  await form.getByRole('button', { name: 'Register' }).click();
  const status = form.getByRole('status');
  await status.filter({ hasText: 'You are registered' }).waitFor({ timeout: WAIT });
  const manage = status.getByRole('link', { name: 'See or cancel your registration' });
  assert.match(await manage.getAttribute('href'), /^\/registrations\/[0-9a-f-]+\/manage#token=/);
  await manage.click();
  await form.getByText('Confirmed: your place is booked.').waitFor({ timeout: WAIT });
});

test('the registration form lists what is wrong, next to each field', async () => {
  const { page } = await open(`${HUB}/events/${slugs.normal}/register`);
  await page.getByRole('button', { name: 'Register' }).waitFor();
  await page.getByLabel('Full name').fill('Grace Hopper');
  await page.getByLabel('Email address').fill('not an email');
  await page.getByLabel('Organisation').fill('Camden');
  await page.getByRole('button', { name: 'Register' }).click();
  const summary = page.getByRole('alert');
  await summary.getByRole('link', { name: /^Email address:/ }).waitFor({ timeout: WAIT });
  await summary.getByText(/consent/i).first().waitFor();
  assert.equal(await page.getByLabel('Email address').getAttribute('aria-invalid'), 'true');
  const bad = await axeViolations(page, 'registration form with errors');
  assert.deepEqual(bad.map((v) => v.id), [], describeViolations(bad));
});

test('full-page screenshot of the strict CSP host page', async () => {
  const { page } = await strictPage();
  await mkdir(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  console.log(`screenshot: ${SCREENSHOT}`);
});
