// Headless Chromium loading a dev server's page through `selfsign serve --proxy` (PROXY_URL),
// its certificate verified against the local CA in $HOME/.pki/nssdb: the page's WebSocket
// (tunnelled by the proxy) is closed by the app and reconnects, as hot reload does.
// scripts/test-browser starts the app (hmr-upstream.cjs) and the proxy, then runs this file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'];
let context;
let userDataDir;

before(async () => {
  assert.ok(process.env.PROXY_URL, 'PROXY_URL must name the running proxy');
  userDataDir = await mkdtemp(path.join(tmpdir(), 'selfsign-chromium-proxy-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30_000,
  });
});

after(async () => {
  await context?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

test('a page through the proxy keeps its hot-reload WebSocket across a reconnect', { timeout: 60_000 }, async () => {
  const page = await context.newPage();
  const response = await page.goto(process.env.PROXY_URL);
  assert.equal(response.status(), 200);
  assert.equal((await response.securityDetails())?.protocol, 'TLS 1.3');
  await page.waitForFunction(() => document.title === 'reconnected', null, { timeout: 30_000 });
  const log = await page.textContent('#log');
  assert.deepEqual(log.split('\n'), ['proto https', 'echo:hi 1', 'proto https', 'echo:hi 2']);
});
