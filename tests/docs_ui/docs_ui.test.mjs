// Browser test of the docs pages (issue 7): a real headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core) loads /docs and /redoc from a
// keel it starts, finds every operation of /openapi.json rendered, performs
// Swagger UI's "Authorize" (password flow and API key) and one "Try it out",
// checks that nothing was fetched from another origin, and keeps screenshots.
//
//   KEEL_BINARY=build/release/keel KEEL_ARTIFACTS_DIR=build/test-artifacts/docs_ui \
//     node --test tests/docs_ui/docs_ui.test.mjs
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { chromium } from 'playwright-core';

const keelBinary = resolve(process.env.KEEL_BINARY ?? 'build/release/keel');
const artifacts = resolve(process.env.KEEL_ARTIFACTS_DIR ?? 'build/test-artifacts/docs_ui');
const chromiumPath = process.env.KEEL_CHROMIUM ?? '/usr/bin/chromium';
// The flags that keep Chromium quiet and local on a machine without a display or network.
const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let tmp;
let server;
let base;
let spec;
let browser;

function freePort() {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.on('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => done(port));
    });
  });
}

async function waitForHealth(deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`keel exited with ${server.exitCode}: ${serverLog()}`);
    try {
      if ((await fetch(`${base}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`keel did not answer /health: ${serverLog()}`);
}

function serverLog() {
  return readFileSync(join(tmp, 'keel.log'), 'utf8').split('\n').slice(-20).join('\n');
}

// watch records what a page does that the test must judge: console errors,
// CSP violations, uncaught exceptions and every request to another origin.
function watch(page) {
  const seen = { errors: [], cspViolations: [], foreign: [] };
  page.on('console', (message) => {
    const text = message.text();
    if (text.includes('Content Security Policy')) seen.cspViolations.push(text);
    else if (message.type() === 'error') seen.errors.push(text);
  });
  page.on('pageerror', (error) => seen.errors.push(error.message));
  page.on('request', (request) => {
    const url = request.url();
    const local = url.startsWith(`${base}/`) || url.startsWith(`blob:${base}/`) || url.startsWith('data:');
    if (!local) seen.foreign.push({ url, failure: null, request });
  });
  page.on('requestfailed', (request) => {
    const entry = seen.foreign.find((f) => f.request === request);
    if (entry) entry.failure = request.failure()?.errorText ?? 'failed';
  });
  return seen;
}

async function screenshot(page, name) {
  const path = join(artifacts, name);
  await page.screenshot({ path, fullPage: true });
  return path;
}

function operationsOf(document) {
  const ops = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(item)) ops.push({ method, path, ...op });
  }
  return ops;
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  tmp = mkdtempSync(join(tmpdir(), 'keel-docs-ui-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env = {
    PATH: process.env.PATH, HOME: tmp, APP_ENV: 'test', HOST: '127.0.0.1', PORT: String(port),
    DATABASE_URL: `sqlite:///${tmp}/keel.db`, SECRET_KEY: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'warning', WORKERS: '2',
  };
  const migrate = spawnSync(keelBinary, ['migrate', 'up'], { env, cwd: tmp, encoding: 'utf8' });
  assert.equal(migrate.status, 0, `keel migrate up: ${migrate.stdout}${migrate.stderr}`);
  const log = openSync(join(tmp, 'keel.log'), 'a');
  server = spawn(keelBinary, ['serve'], { env, cwd: tmp, stdio: ['ignore', log, log] });
  await waitForHealth(10_000);
  spec = await (await fetch(`${base}/openapi.json`)).json();
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('Swagger UI at /docs', () => {
  test('renders every operation, offline, without a CSP violation', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const seen = watch(page);
    await page.goto(`${base}/docs`);
    await page.waitForSelector('.opblock');
    const ops = operationsOf(spec);
    assert.equal(await page.locator('.opblock').count(), ops.length);
    for (const op of ops) {
      const block = page.locator(`#operations-${op.tags[0]}-${op.operationId}`);
      assert.equal(await block.count(), 1, `${op.operationId} not rendered`);
      // Swagger UI renders a deprecated operation's path with its own (struck-through) class.
      const path = block.locator('.opblock-summary-path, .opblock-summary-path__deprecated');
      assert.equal((await path.innerText()).replace(/\u200b/g, ''), op.path);
    }
    assert.match(await page.locator('.info .title').innerText(), /Keel API/);
    assert.ok((await page.locator('.info').innerText()).includes('Error codes'));
    assert.deepEqual(seen.cspViolations, []);
    assert.deepEqual(seen.errors, []);
    assert.deepEqual(seen.foreign.map((f) => f.url), [], 'Swagger UI fetched from another origin');
    await screenshot(page, 'swagger-ui.png');
    await page.close();
  });

  test('Authorize offers the password flow against the token endpoint, and API keys', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const seen = watch(page);
    await page.goto(`${base}/docs`);
    await page.waitForSelector('.opblock');
    await page.click('.scheme-container button.authorize');
    const modal = page.locator('.modal-ux');
    const oauth = modal.locator('.auth-container').filter({ hasText: 'OAuth2PasswordBearer' });
    const text = await oauth.innerText();
    assert.match(text, /OAuth2PasswordBearer \(OAuth2, password\)/);
    assert.match(text, /Token URL:\s*\/api\/v1\/auth\/token/);
    for (const scope of ['profile', 'items:read', 'items:write', 'admin']) assert.ok(text.includes(scope), scope);

    // Once the token endpoint exists (the identity issue), a real account must
    // authorize; until then the request must still be the RFC 6749 password grant.
    const tokenLive = '/api/v1/auth/token' in spec.paths;
    const email = `docs-${randomBytes(4).toString('hex')}@example.com`;
    const password = randomBytes(12).toString('base64url');
    if (tokenLive) {
      const registered = await fetch(`${base}/api/v1/auth/register`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email, password, full_name: 'Docs Test' }),
      });
      assert.equal(registered.status, 201, await registered.text());
    }
    await oauth.locator('#oauth_username').fill(email);
    await oauth.locator('#oauth_password').fill(password);
    const [tokenRequest] = await Promise.all([
      page.waitForRequest((r) => r.url() === `${base}/api/v1/auth/token`),
      oauth.locator('button.authorize').click(),
    ]);
    assert.equal(tokenRequest.method(), 'POST');
    assert.match(tokenRequest.headers()['content-type'], /^application\/x-www-form-urlencoded/);
    const form = new URLSearchParams(tokenRequest.postData());
    assert.equal(form.get('grant_type'), 'password');
    assert.equal(form.get('username'), email);
    assert.equal(form.get('password'), password);
    const tokenResponse = await tokenRequest.response();
    if (tokenLive) {
      assert.equal(tokenResponse.status(), 200);
      await oauth.getByText('Authorized').waitFor();
    } else {
      assert.equal(tokenResponse.status(), 404, 'the token endpoint is not there yet');
      await oauth.locator('.errors').waitFor();
    }

    const apiKey = modal.locator('.auth-container').filter({ hasText: 'APIKeyHeader' });
    assert.match(await apiKey.innerText(), /Name: X-API-Key/);
    await apiKey.locator('input').fill('keel_docs_test');
    await apiKey.locator('button.authorize').click();
    await apiKey.getByText('Authorized').waitFor();
    await screenshot(page, 'swagger-ui-authorize.png');

    if (tokenLive) {
      // The token Swagger UI obtained is used by "Try it out": GET /users/me answers the account
      // (the bearer token wins over the placeholder API key also sent).
      await modal.locator('button.btn-done').first().click();
      const me = spec.paths['/api/v1/users/me'].get;
      const op = page.locator(`#operations-${me.tags[0]}-${me.operationId}`);
      await op.locator('.opblock-summary').click();
      await op.locator('button.try-out__btn').click();
      const [meResponse] = await Promise.all([
        page.waitForResponse((r) => r.url() === `${base}/api/v1/users/me`),
        op.locator('button.execute').click(),
      ]);
      assert.equal(meResponse.status(), 200);
      assert.match(meResponse.request().headers().authorization, /^Bearer ey/);
      assert.equal((await meResponse.json()).email, email);
      await op.scrollIntoViewIfNeeded();
      await screenshot(page, 'swagger-ui-authorized-try-it-out.png');
    }
    assert.deepEqual(seen.cspViolations, []);
    await page.close();
  });

  test('Try it out calls the API and shows its answer', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const seen = watch(page);
    await page.goto(`${base}/docs`);
    await page.waitForSelector('.opblock');
    const op = page.locator('#operations-demo-create_demo_widget');
    await op.locator('.opblock-summary').click();
    await op.locator('button.try-out__btn').click();
    // The editor starts from the documented example.
    const example = JSON.parse(await op.locator('textarea.body-param__text').inputValue());
    assert.equal(example.name, 'Sprocket');
    const [apiResponse] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${base}/api/v1/demo/widgets` && r.request().method() === 'POST'),
      op.locator('button.execute').click(),
    ]);
    assert.equal(apiResponse.status(), 201);
    const shown = op.locator('.live-responses-table tbody .response-col_status').first();
    await shown.waitFor();
    assert.equal((await shown.innerText()).trim(), '201');
    const body = JSON.parse(await op.locator('.live-responses-table .microlight').first().innerText());
    assert.equal(body.name, 'Sprocket');
    assert.match(body.id, /^[0-9a-f-]{36}$/);
    await op.scrollIntoViewIfNeeded();
    await screenshot(page, 'swagger-ui-try-it-out.png');
    assert.deepEqual(seen.cspViolations, []);
    assert.deepEqual(seen.foreign.map((f) => f.url), []);
    await page.close();
  });
});

describe('ReDoc at /redoc', () => {
  test('renders every operation and the error codes, offline', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const seen = watch(page);
    await page.goto(`${base}/redoc`);
    await page.waitForSelector('[data-section-id^="operation/"]');
    const ops = operationsOf(spec);
    const rendered = await page.locator('[data-section-id^="operation/"]')
      .evaluateAll((sections) => sections.map((s) => s.getAttribute('data-section-id')));
    assert.deepEqual(rendered.sort(), ops.map((op) => `operation/${op.operationId}`).sort());
    const headings = await page.locator('[data-section-id^="operation/"] h2').allInnerTexts();
    // A deprecated operation's heading also carries ReDoc's "Deprecated" badge.
    for (const op of ops) assert.ok(headings.some((h) => h.includes(op.summary)), `${op.summary} not rendered`);
    const menu = await page.locator('.menu-content').innerText();
    for (const section of ['Authentication', 'Error codes']) assert.ok(menu.includes(section), section);
    assert.ok((await page.locator('body').innerText()).includes('insufficient_scope'));
    // ReDoc's sidebar credits load a logo from its CDN: the page's CSP blocks
    // it (the image then hides itself), so nothing leaves the machine.
    for (const foreign of seen.foreign) {
      assert.equal(foreign.failure, 'csp', `${foreign.url} was fetched from another origin`);
    }
    for (const violation of seen.cspViolations) assert.match(violation, /cdn\.redoc\.ly\/redoc\/logo-mini\.svg/);
    assert.deepEqual(seen.errors, []);
    await screenshot(page, 'redoc.png');
    await page.close();
  });
});
