// The selfsign page, driven like a user would in real headless Chromium, with every certificate
// checked by OpenSSL. Expects web/pkg to be built (scripts/web-build); builds nothing itself.
// Serves web/ on 127.0.0.1 unless BASE_URL points at a running server (e.g. `selfsign serve`).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { access, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WEB = path.join(ROOT, 'web');
const SHOTS = path.join(ROOT, 'target', 'e2e');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--disable-component-update', '--no-first-run',
];
/** The page's own files: the only requests it may make, and only while loading. */
const OWN_FILES = ['/', '/app.js', '/webcrypto.js', '/style.css', '/pkg/selfsign_wasm.js', '/pkg/selfsign_wasm_bg.wasm'];
/** The full package, which the page loads once, on first use (inspect, CSRs, CA import, ...). */
const FULL_PACKAGE = ['/pkg-full/selfsign_wasm.js', '/pkg-full/selfsign_wasm_bg.wasm'];
/** The JS modules wasm-bindgen copies from the crate into a package's snippets directory (paths with a hash). */
const snippets = async (pkg = 'pkg') => (await readdir(path.join(WEB, pkg, 'snippets'), { recursive: true }).catch(() => []))
  .filter((file) => file.endsWith('.js'))
  .map((file) => `/${pkg}/snippets/${file.split(path.sep).join('/')}`);
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.ts': 'text/plain; charset=utf-8',
};
const TEST_TIMEOUT = 90_000;

let server;
let baseUrl;
let context;
let userDataDir;
let work;

/** A tiny static server for web/ (or another copy of the page at `root`), loopback only. */
async function serveWeb(root = WEB) {
  const srv = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://127.0.0.1');
      const relative = decodeURIComponent(url.pathname).replace(/^\/+/, '') || 'index.html';
      const file = path.resolve(root, relative);
      if (!file.startsWith(root + path.sep)) throw new Error('outside web/');
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-store',
      });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return srv;
}

function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 20_000, cwd: work, ...options }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

const isNetwork = (url) => !url.startsWith('blob:') && !url.startsWith('data:');

/**
 * Opens the page and waits until the WebAssembly module is ready. Records every request; checks
 * that loading fetched only the page's own files and that nothing failed.
 */
async function openPage(t, { sentinel, viewport, reloads = false } = {}) {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  if (viewport) await page.setViewportSize(viewport);
  const requests = [];
  const problems = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'error' && !(sentinel && text.includes(sentinel))) problems.push(`console error: ${text}`);
  });
  const wasmTypes = [];
  page.on('response', (response) => {
    if (response.url().endsWith('.wasm')) wasmTypes.push(response.headers()['content-type']);
  });
  await page.goto(baseUrl, { waitUntil: 'load' });
  await page.locator('html[data-ready="true"]').waitFor();
  const loaded = requests.length;
  const origin = new URL(baseUrl).origin;
  const full = new Set([...FULL_PACKAGE, ...(await snippets('pkg-full'))].map((file) => new URL(file, baseUrl).href));
  const own = new Set([...OWN_FILES, ...(await snippets())].map((file) => new URL(file, baseUrl).href));
  own.add(new URL('index.html', baseUrl).href);
  for (const url of requests.filter(isNetwork)) {
    assert.ok(url.startsWith(origin) && (own.has(url) || full.has(url)), `only the page's own files load, not ${url}`);
  }
  const packages = requests.filter((url) => url.endsWith('.wasm')).length;
  assert.deepEqual(wasmTypes, Array(packages).fill('application/wasm'), 'each .wasm is served as application/wasm');
  assert.equal(new Set(requests.filter((url) => url.endsWith('.wasm'))).size, packages, 'each .wasm is fetched once');
  t.after(async () => {
    const reloaded = (url) => reloads && (own.has(url) || full.has(url));
    // The full package is fetched once, when first needed, then never again.
    const firstUse = (url, index, all) => full.has(url) && all.indexOf(url) === index && !requests.slice(0, loaded).includes(url);
    const afterLoad = requests.slice(loaded).filter((url, index, all) => isNetwork(url) && url !== sentinel && !reloaded(url) && !firstUse(url, index, all));
    assert.deepEqual(afterLoad, [], reloads ? 'only the page itself reloads' : 'no network request after the page loaded');
    assert.deepEqual(problems, [], 'no errors in the page');
    await page.evaluate(() => localStorage.clear()).catch(() => {});
    await page.close();
  });
  return page;
}

/** Resolves once `condition()` holds (checked every 50 ms for at most 10 s). */
async function until(condition) {
  for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(condition(), `timed out waiting for ${condition}`);
}

/** Answers every confirm() (and beforeunload) dialog with `answer`; returns the messages asked. */
function answerDialogs(page, answer) {
  const asked = [];
  const handler = async (dialog) => {
    asked.push(`${dialog.type()}: ${dialog.message()}`);
    await (answer ? dialog.accept() : dialog.dismiss());
  };
  page.on('dialog', handler);
  Object.defineProperty(asked, 'stop', { value: () => page.off('dialog', handler) });
  return asked;
}

/** The CA panel's text, or '' when no CA is loaded. */
const currentCa = async (page) => ((await page.locator('[data-role="current-ca"]').count()) ? page.locator('[data-role="current-ca"]').innerText() : '');

/** Fills the form as a user would. */
async function fill(page, { kind = 'ca-leaf', names, key = 'p256', days } = {}) {
  await page.check(`input[name="kind"][value="${kind}"]`);
  if (names !== undefined) await page.fill('#names', names);
  if (key !== undefined && kind !== 'webtransport') await page.selectOption('#key', key);
  if (days !== undefined) await page.fill('#days', String(days));
}

/** Fills the form, presses Generate and waits for the new results. */
async function generate(page, options) {
  await fill(page, options);
  const count = await page.locator('#results-body').getAttribute('data-count');
  await page.click('#generate-button');
  await page.waitForFunction(
    (before) => document.getElementById('results-body').dataset.count !== (before ?? undefined),
    count,
  );
}

const pemOf = (page, role, kind) => page.locator(`[data-role="${role}"] [data-pem="${kind}"] textarea`).inputValue();

async function save(files) {
  const dir = await mkdtemp(path.join(work, 'case-'));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

before(async () => {
  await access(path.join(WEB, 'pkg', 'selfsign_wasm_bg.wasm')).catch(() => {
    throw new Error('web/pkg is not built: run scripts/web-build first');
  });
  work = await mkdtemp(path.join(tmpdir(), 'selfsign-e2e-'));
  if (process.env.BASE_URL) {
    baseUrl = new URL(process.env.BASE_URL).href;
  } else {
    server = await serveWeb();
    baseUrl = `http://127.0.0.1:${server.address().port}/`;
  }
  userDataDir = await mkdtemp(path.join(tmpdir(), 'selfsign-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    timeout: 30_000,
    viewport: { width: 1280, height: 1000 },
    // STRICT_TLS=1: the server's certificate must verify (its CA installed in $HOME/.pki/nssdb).
    ignoreHTTPSErrors: Boolean(process.env.BASE_URL) && !process.env.STRICT_TLS,
    acceptDownloads: true,
  });
  await mkdir(SHOTS, { recursive: true });
});

after(async () => {
  await context?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
  for (const dir of [work, userDataDir]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the selfsign page in headless Chromium', { timeout: 20 * TEST_TIMEOUT }, () => {
  test('loads only its own files, its CSP blocks any other connection, and it works offline', { timeout: TEST_TIMEOUT }, async (t) => {
    const sentinel = 'http://127.0.0.1:9/steal';
    const page = await openPage(t, { sentinel });
    const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /connect-src 'self';/);
    // Another origin on loopback: were the policy missing, the request would stay on this machine.
    const outcome = await page.evaluate((url) => new Promise((resolve) => {
      document.addEventListener('securitypolicyviolation', (e) => resolve(`blocked ${e.effectiveDirective}`), { once: true });
      fetch(url, { mode: 'no-cors' }).then(() => resolve('sent'), () => {});
    }), sentinel);
    assert.equal(outcome, 'blocked connect-src');

    // Once loaded, the page needs no network at all.
    await context.setOffline(true);
    try {
      await generate(page, { kind: 'ca-leaf', names: 'offline.test' });
      assert.match(await pemOf(page, 'leaf', 'certificate'), /^-----BEGIN CERTIFICATE-----/);
    } finally {
      await context.setOffline(false);
    }
  });

  test('a local CA + leaf for localhost verifies with openssl as a TLS server certificate', { timeout: TEST_TIMEOUT }, async (t) => {
    const page = await openPage(t);
    await generate(page, { kind: 'ca-leaf', names: 'localhost\n127.0.0.1\n::1', key: 'p256', days: 397 });
    await page.evaluate(() => window.scrollTo({ top: 0, behavior: 'instant' }));
    await page.screenshot({ path: path.join(SHOTS, 'page-after-generate.png') });
    await page.screenshot({ path: path.join(SHOTS, 'page-after-generate-full.png'), fullPage: true });

    const leaf = await pemOf(page, 'leaf', 'certificate');
    const key = await pemOf(page, 'leaf', 'key');
    const chain = await pemOf(page, 'leaf', 'chain');
    const ca = await pemOf(page, 'ca', 'ca-certificate');
    assert.match(leaf, /^-----BEGIN CERTIFICATE-----\n/);
    assert.match(key, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.equal(chain, leaf + ca);
    const dir = await save({ 'leaf.pem': leaf, 'leaf-key.pem': key, 'ca.pem': ca });

    const verified = await run('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', 'ca.pem', 'leaf.pem'], { cwd: dir });
    assert.equal(verified.trim(), 'leaf.pem: OK');
    const text = await run('openssl', ['x509', '-noout', '-text', '-in', 'leaf.pem'], { cwd: dir });
    assert.match(text, /DNS:localhost, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1/);
    assert.match(text, /TLS Web Server Authentication/);
    assert.match(text, /CA:FALSE/);
    assert.match(text, /ASN1 OID: prime256v1/);
    const certKey = await run('openssl', ['x509', '-noout', '-pubkey', '-in', 'leaf.pem'], { cwd: dir });
    const keyPub = await run('openssl', ['pkey', '-pubout', '-in', 'leaf-key.pem'], { cwd: dir });
    assert.equal(certKey, keyPub, 'the key on the page belongs to the certificate');

    const names = await page.locator('[data-role="leaf"] .chips li').allTextContents();
    assert.deepEqual(names, ['DNS:localhost', 'IP:127.0.0.1', 'IP:::1']);
    const shown = await page.locator('[data-role="leaf"] .decoded').innerText();
    const fingerprint = await run('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', 'leaf.pem'], { cwd: dir });
    assert.ok(shown.includes(fingerprint.trim().split('=')[1]), 'the page shows the SHA-256 fingerprint openssl computes');
  });

  test('internationalised names, typed in Unicode or as punycode, become one xn-- name; bad punycode is refused', { timeout: TEST_TIMEOUT }, async (t) => {
    const page = await openPage(t);
    await fill(page, { kind: 'ca-leaf', names: 'xn--a.localhost', days: 30 });
    await page.click('#generate-button');
    await page.locator('#names-error').waitFor({ state: 'visible' });
    assert.match(await page.locator('#names-error').innerText(), /invalid name "xn--a\.localhost": an xn-- label must be the punycode/);

    await generate(page, { kind: 'ca-leaf', names: 'bücher.localhost\nxn--caf-dma.localhost', days: 30 });
    assert.equal(await page.locator('#names-error').isVisible(), false, 'the old error is gone');
    const dir = await save({ 'leaf.pem': await pemOf(page, 'leaf', 'certificate'), 'ca.pem': await pemOf(page, 'ca', 'ca-certificate') });
    const verified = await run('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', 'ca.pem', 'leaf.pem'], { cwd: dir });
    assert.equal(verified.trim(), 'leaf.pem: OK');
    const text = await run('openssl', ['x509', '-noout', '-ext', 'subjectAltName', '-in', 'leaf.pem'], { cwd: dir });
    assert.match(text, /DNS:xn--bcher-kva\.localhost, DNS:xn--caf-dma\.localhost/);
  });

  test('downloads are named like mkcert and hold what the page shows', { timeout: TEST_TIMEOUT }, async (t) => {
    const page = await openPage(t);
    await generate(page, { kind: 'ca-leaf', names: 'localhost\n127.0.0.1\n::1' });
    const expected = [
      ['leaf', 'certificate', 'localhost+2.pem'],
      ['leaf', 'key', 'localhost+2-key.pem'],
      ['ca', 'ca-certificate', 'rootCA.pem'],
      ['ca', 'ca-key', 'rootCA-key.pem'],
    ];
    for (const [role, kind, fileName] of expected) {
      const block = page.locator(`[data-role="${role}"] [data-pem="${kind}"]`);
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        block.getByRole('button', { name: 'Download' }).click(),
      ]);
      assert.equal(download.suggestedFilename(), fileName);
      const saved = path.join(work, `download-${fileName}`);
      await download.saveAs(saved);
      assert.equal(await readFile(saved, 'utf8'), await block.locator('textarea').inputValue());
    }
  });

  test('self-signed, client, CA-only and WebTransport kinds make what openssl expects', { timeout: TEST_TIMEOUT }, async (t) => {
    const page = await openPage(t);
    answerDialogs(page, true); // "CA only" replaces the client step's CA, whose key was not downloaded

    await generate(page, { kind: 'self', names: 'self.test', key: 'p384', days: 30 });
    let dir = await save({ 'self.pem': await pemOf(page, 'leaf', 'certificate') });
    await run('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', 'self.pem', 'self.pem'], { cwd: dir });
    assert.match(await run('openssl', ['x509', '-noout', '-text', '-in', 'self.pem'], { cwd: dir }), /secp384r1/);

    await generate(page, { kind: 'client', names: 'alice@example.test', key: 'p256', days: 30 });
    dir = await save({
      'client.pem': await pemOf(page, 'leaf', 'certificate'),
      'ca.pem': await pemOf(page, 'ca', 'ca-certificate'),
    });
    await run('openssl', ['verify', '-x509_strict', '-purpose', 'sslclient', '-CAfile', 'ca.pem', 'client.pem'], { cwd: dir });
    assert.equal(
      await page.locator('[data-role="leaf"] [data-pem="certificate"] .file').innerText(),
      'alice@example.test-client.pem',
    );

    await generate(page, { kind: 'ca', names: 'dev.test', key: 'p256', days: 1000 });
    dir = await save({ 'ca.pem': await pemOf(page, 'ca', 'ca-certificate') });
    assert.match(await run('openssl', ['x509', '-noout', '-text', '-in', 'ca.pem'], { cwd: dir }), /CA:TRUE/);

    await generate(page, { kind: 'webtransport', names: 'localhost', days: 14 });
    dir = await save({ 'wt.pem': await pemOf(page, 'webtransport', 'certificate') });
    const der = await run('openssl', ['x509', '-outform', 'DER', '-in', 'wt.pem'], { cwd: dir, encoding: 'buffer' });
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256').update(der).digest();
    assert.equal(await pemOf(page, 'webtransport', 'sha256-literal'), `new Uint8Array([${[...hash].join(', ')}])`);
    assert.equal(await pemOf(page, 'webtransport', 'sha256-base64'), hash.toString('base64'));
    const dates = await run('openssl', ['x509', '-noout', '-startdate', '-enddate', '-in', 'wt.pem'], { cwd: dir });
    const [start, end] = dates.trim().split('\n').map((line) => Date.parse(line.split('=')[1]));
    assert.ok(end - start <= 14 * 86_400_000, 'valid at most 14 days');
  });

  test('invalid input shows a readable error next to the field, and the page still generates', { timeout: TEST_TIMEOUT }, async (t) => {
    const page = await openPage(t);

    await fill(page, { kind: 'ca-leaf', names: 'my host.test', days: 30 });
    await page.click('#generate-button');
    await page.locator('#names-error').waitFor({ state: 'visible' });
    assert.match(await page.locator('#names-error').innerText(), /invalid name "my host\.test": DNS names cannot contain spaces/);
    assert.equal(await page.locator('#names').getAttribute('aria-invalid'), 'true');

    await page.fill('#names', 'localhost');
    await page.fill('#days', '0');
    await page.click('#generate-button');
    await page.locator('#days-error').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#days-error').innerText(), 'Validity must be at least 1 day.', 'said once, not "invalid validity: validity…"');
    assert.equal(await page.locator('#names-error').isVisible(), false, 'the old error is gone');

    await page.click('#ca-import summary');
    await page.setInputFiles('#ca-cert', { name: 'rootCA.pem', mimeType: 'application/x-pem-file', buffer: Buffer.from('this is not a certificate\n') });
    await page.setInputFiles('#ca-key', { name: 'rootCA-key.pem', mimeType: 'application/x-pem-file', buffer: Buffer.from('nor is this a key\n') });
    await page.click('#import-button');
    await page.locator('#ca-cert-error').waitFor({ state: 'visible' });
    assert.match(await page.locator('#ca-cert-error').innerText(), /^invalid certificate: neither PEM .* nor DER/);

    await page.setInputFiles('#ca-cert', {
      name: 'rootCA.pem', mimeType: 'application/x-pem-file',
      buffer: Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'),
    });
    await page.click('#import-button');
    await page.waitForFunction(() => /invalid certificate/.test(document.getElementById('ca-cert-error').textContent));
    assert.match(await page.locator('#ca-cert-error').innerText(), /not an? (valid )?X\.509 certificate|truncated/);

    await page.fill('#inspect-input', '-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n');
    await page.click('#inspect-button');
    await page.locator('#inspect-input-error').waitFor({ state: 'visible' });
    assert.match(await page.locator('#inspect-input-error').innerText(), /invalid PEM|invalid certificate/);

    await generate(page, { kind: 'ca-leaf', names: 'localhost\n127.0.0.1', days: 30 });
    assert.equal(await page.locator('#days-error').isVisible(), false);
    assert.match(await pemOf(page, 'leaf', 'certificate'), /^-----BEGIN CERTIFICATE-----/);
    await page.screenshot({ path: path.join(SHOTS, 'page-after-errors.png'), fullPage: true });
  });

  test('an openssl-made CA imported from files issues leaves that openssl verifies', { timeout: TEST_TIMEOUT }, async (t) => {
    const dir = await save({});
    await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca-key.pem'], { cwd: dir });
    await run('openssl', [
      'req', '-x509', '-new', '-key', 'ca-key.pem', '-subj', '/CN=openssl test CA', '-days', '30',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      '-out', 'ca.pem',
    ], { cwd: dir });
    const page = await openPage(t);
    await page.click('#ca-import summary');
    await page.setInputFiles('#ca-cert', path.join(dir, 'ca.pem'));
    await page.setInputFiles('#ca-key', path.join(dir, 'ca-key.pem'));
    await page.click('#import-button');
    await page.locator('[data-role="current-ca"]').waitFor();
    assert.match(await page.locator('[data-role="current-ca"]').innerText(), /openssl test CA/);

    await generate(page, { kind: 'ca-leaf', names: 'app.test\n10.1.2.3', days: 20 });
    await writeFile(path.join(dir, 'leaf.pem'), await pemOf(page, 'leaf', 'certificate'));
    const verified = await run('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', 'ca.pem', 'leaf.pem'], { cwd: dir });
    assert.equal(verified.trim(), 'leaf.pem: OK');

    await page.fill('#days', '60');
    await page.click('#generate-button');
    await page.locator('#days-error').waitFor({ state: 'visible' });
    assert.match(await page.locator('#days-error').innerText(), /after its issuer does/);
  });

  test('inspect decodes a pasted openssl certificate with the fingerprint openssl prints', { timeout: TEST_TIMEOUT }, async (t) => {
    const dir = await save({});
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'k.pem',
      '-subj', '/CN=openssl.test', '-addext', 'subjectAltName=DNS:openssl.test,IP:192.0.2.7', '-days', '5', '-out', 'c.pem',
    ], { cwd: dir });
    const page = await openPage(t);
    await page.fill('#inspect-input', await readFile(path.join(dir, 'c.pem'), 'utf8'));
    await page.click('#inspect-button');
    const result = page.locator('#inspect-results [data-role="inspected"]');
    await result.waitFor();
    const shown = await result.innerText();
    const fingerprint = (await run('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', 'c.pem'], { cwd: dir })).trim().split('=')[1];
    assert.ok(shown.includes(fingerprint), 'same SHA-256 fingerprint as openssl');
    assert.deepEqual(await result.locator('.chips li').allTextContents(), ['DNS:openssl.test', 'IP:192.0.2.7']);
    assert.match(shown, /ECDSA P-256/);
  });

  test('a pasted openssl CSR is signed by the page\'s CA and verifies', { timeout: TEST_TIMEOUT }, async (t) => {
    const dir = await save({});
    await run('openssl', [
      'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'k.pem',
      '-subj', '/CN=csr.test', '-addext', 'subjectAltName=DNS:csr.test,DNS:www.csr.test', '-out', 'req.csr',
    ], { cwd: dir });
    const page = await openPage(t);
    await generate(page, { kind: 'ca', names: 'localhost', days: 100 });
    await page.fill('#days', '30');
    await page.click('#csr-sign summary');
    await page.fill('#csr', await readFile(path.join(dir, 'req.csr'), 'utf8'));
    const count = await page.locator('#results-body').getAttribute('data-count');
    await page.click('#sign-button');
    await page.waitForFunction((before) => document.getElementById('results-body').dataset.count !== before, count);
    await writeFile(path.join(dir, 'ca.pem'), await pemOf(page, 'ca', 'ca-certificate'));
    await writeFile(path.join(dir, 'signed.pem'), await pemOf(page, 'leaf', 'certificate'));
    const verified = await run('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', 'ca.pem', 'signed.pem'], { cwd: dir });
    assert.equal(verified.trim(), 'signed.pem: OK');
    const certKey = await run('openssl', ['x509', '-noout', '-pubkey', '-in', 'signed.pem'], { cwd: dir });
    assert.equal(certKey, await run('openssl', ['pkey', '-pubout', '-in', 'k.pem'], { cwd: dir }), 'the requester\'s key is certified');
    assert.deepEqual(await page.locator('[data-role="leaf"] .chips li').allTextContents(), ['DNS:csr.test', 'DNS:www.csr.test']);

    await page.fill('#csr', 'not a request');
    await page.click('#sign-button');
    await page.locator('#csr-error').waitFor({ state: 'visible' });
    assert.match(await page.locator('#csr-error').innerText(), /CSR|certificate request/);
  });

  test('the keyboard alone can choose a kind and generate', { timeout: TEST_TIMEOUT }, async (t) => {
    const page = await openPage(t);
    await page.focus('input[name="kind"][value="ca-leaf"]');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.locator('input[name="kind"]:checked').getAttribute('value'), 'self');
    await page.focus('#names');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('keys.test');
    const count = await page.locator('#results-body').getAttribute('data-count');
    await page.keyboard.press('Control+Enter');
    await page.waitForFunction((before) => document.getElementById('results-body').dataset.count !== before, count);
    assert.deepEqual(await page.locator('[data-role="leaf"] .chips li').allTextContents(), ['DNS:keys.test']);
    // Tab from the names reaches the generate button through the labelled controls.
    const labels = [];
    await page.focus('#names');
    for (let i = 0; i < 6 && labels.at(-1) !== 'generate-button'; i += 1) {
      await page.keyboard.press('Tab');
      labels.push(await page.evaluate(() => document.activeElement.id));
    }
    assert.deepEqual(labels, ['key', 'days', 'generate-button'], 'self-signed: the CA checkbox is skipped');
    const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.equal(ring, 'solid', 'focus is visible');
  });

  test('the page reads well on a phone', { timeout: TEST_TIMEOUT }, async (t) => {
    const page = await openPage(t);
    await page.setViewportSize({ width: 390, height: 844 });
    await generate(page, { kind: 'ca-leaf', names: 'localhost\n127.0.0.1\n::1' });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling (overflow ${overflow}px)`);
    // On a narrow screen the results follow the form, and the page scrolls to them.
    await page.waitForFunction(() => Math.abs(document.getElementById('results').getBoundingClientRect().top) < 40);
    await page.screenshot({ path: path.join(SHOTS, 'page-phone.png'), fullPage: false });
  });
  test('a reload or close warns while the CA key exists only in this tab, and not once it is downloaded', { timeout: TEST_TIMEOUT }, async (t) => {
    const page = await openPage(t);
    await generate(page, { kind: 'ca-leaf', names: 'localhost' });
    const asked = answerDialogs(page, false);
    await page.close({ runBeforeUnload: true });
    await until(() => asked.length > 0);
    assert.deepEqual(asked.map((m) => m.split(':')[0]), ['beforeunload'], 'closing asks first');
    assert.ok(!page.isClosed());
    assert.match(await currentCa(page), /made here/, 'the CA is still there');

    await Promise.all([
      page.waitForEvent('download'),
      page.locator('[data-role="current-ca"]').getByRole('button', { name: 'Download rootCA-key.pem' }).click(),
    ]);
    const closed = page.waitForEvent('close');
    await page.close({ runBeforeUnload: true });
    await closed;
    assert.equal(asked.length, 1, 'no warning once the key was downloaded');
  });

  test('"CA only" and Forget CA ask before discarding a CA whose key was not downloaded', { timeout: TEST_TIMEOUT }, async (t) => {
    const page = await openPage(t);
    await generate(page, { kind: 'ca-leaf', names: 'localhost' });
    const before = await pemOf(page, 'ca', 'ca-certificate');

    let asked = answerDialogs(page, false);
    await fill(page, { kind: 'ca', names: 'localhost' });
    await page.click('#generate-button');
    await page.waitForFunction(() => document.getElementById('status').textContent === 'Kept the current CA.');
    assert.equal(asked.length, 1);
    assert.match(asked[0], /^confirm: Replace the current CA .* was never downloaded/);
    await page.getByRole('button', { name: 'Forget CA' }).click();
    assert.equal(asked.length, 2);
    assert.match(asked[1], /^confirm: Forget the CA .* was never downloaded/);
    assert.match(await currentCa(page), /made here/, 'dismissed: the CA stays');
    assert.equal(await pemOf(page, 'ca', 'ca-certificate'), before);
    asked.stop();

    asked = answerDialogs(page, true);
    await page.getByRole('button', { name: 'Forget CA' }).click();
    assert.equal(asked.length, 1);
    assert.equal(await currentCa(page), '', 'accepted: the CA is gone');
  });

  test('the CA is kept across reloads only when asked, in local storage, until Forget CA', { timeout: TEST_TIMEOUT }, async (t) => {
    const page = await openPage(t, { reloads: true });
    await generate(page, { kind: 'ca', names: 'localhost', days: 100 });
    const made = await pemOf(page, 'ca', 'ca-certificate');
    const keep = page.getByLabel('Keep this CA in this browser across reloads');
    assert.equal(await keep.isChecked(), false, 'off unless asked');
    assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing stored unless asked');
    assert.match(await page.locator('#ca-keep-hint').innerText(), /local storage.*never sent.*Forget CA.*removes/s);

    await keep.check();
    const asked = answerDialogs(page, true);
    await page.reload();
    await page.locator('html[data-ready="true"]').waitFor();
    assert.deepEqual(asked, [], 'a kept CA needs no warning on reload');
    assert.match(await page.locator('#status').innerText(), /restored the CA/);
    assert.equal(await page.getByLabel('Keep this CA in this browser across reloads').isChecked(), true);
    await generate(page, { kind: 'ca-leaf', names: 'kept.test', days: 30 });
    assert.equal(await pemOf(page, 'ca', 'ca-certificate'), made, 'the same CA issues after the reload');

    await page.getByRole('button', { name: 'Forget CA' }).click();
    assert.match(asked.at(-1), /removes the copy kept in this browser/);
    assert.equal(await page.evaluate(() => localStorage.length), 0, 'Forget CA removes the stored copy');
    await page.reload();
    await page.locator('html[data-ready="true"]').waitFor();
    assert.equal(await currentCa(page), '', 'no CA after a reload');
  });

  test('a failed Generate or a forgotten CA marks the results on show as an earlier run\'s', { timeout: TEST_TIMEOUT }, async (t) => {
    const page = await openPage(t);
    answerDialogs(page, true);
    await generate(page, { kind: 'ca-leaf', names: 'localhost' });
    assert.equal(await page.locator('#results-body').getAttribute('data-stale'), null);

    await fill(page, { kind: 'self', names: 'bad name.test' });
    await page.click('#generate-button');
    await page.locator('#names-error').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#results-body').getAttribute('data-stale'), 'true');
    assert.match(await page.locator('#results-body .stale-note').innerText(), /earlier run: the last Generate failed/);

    await generate(page, { kind: 'ca-leaf', names: 'localhost' });
    assert.equal(await page.locator('#results-body').getAttribute('data-stale'), null, 'new results are not stale');
    assert.equal(await page.locator('.stale-note').count(), 0);

    await page.getByRole('button', { name: 'Forget CA' }).click();
    assert.equal(await page.locator('#results-body').getAttribute('data-stale'), 'true');
    assert.match(await page.locator('#results-body .stale-note').innerText(), /before the CA was forgotten/);
  });

  test('on a laptop screen Generate is above the fold, and after a keyboard Generate the results are focused and in view', { timeout: TEST_TIMEOUT }, async (t) => {
    const page = await openPage(t, { viewport: { width: 1280, height: 900 } });
    const button = await page.locator('#generate-button').boundingBox();
    assert.ok(button.y + button.height <= 900, `Generate is on screen without scrolling (bottom at ${button.y + button.height}px)`);
    await fill(page, { kind: 'ca-leaf', names: 'localhost' });
    await page.focus('#generate-button');
    const count = await page.locator('#results-body').getAttribute('data-count');
    await page.keyboard.press('Enter');
    await page.waitForFunction((before) => document.getElementById('results-body').dataset.count !== (before ?? undefined), count);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'results', 'focus moves to the results');
    await page.waitForFunction(() => {
      const top = document.getElementById('results').getBoundingClientRect().top;
      return top >= 0 && top < window.innerHeight / 3;
    });
  });

  test('validity over 397 days warns that browsers refuse it, and a non-whole number is refused', { timeout: TEST_TIMEOUT }, async (t) => {
    const page = await openPage(t);
    await fill(page, { kind: 'ca-leaf', names: 'localhost', days: 397 });
    assert.equal(await page.locator('#days-warning').isVisible(), false);
    await page.fill('#days', '398');
    assert.match(await page.locator('#days-warning').innerText(), /Browsers refuse server certificates valid for more than 397 days/);
    assert.match(await page.locator('#days').getAttribute('aria-describedby'), /days-warning/);
    await generate(page, { kind: 'ca-leaf', names: 'localhost', days: 398 });
    assert.match(await page.locator('[data-role="leaf"] .decoded').innerText(), /398 days left|397 days left/, 'still allowed');

    await page.check('input[name="kind"][value="ca"]');
    assert.equal(await page.locator('#days-warning').isVisible(), false, 'a CA may live longer');
    await page.check('input[name="kind"][value="self"]');
    for (const text of ['1e3', '12.5']) {
      await page.fill('#days', text);
      await page.click('#generate-button');
      await page.locator('#days-error').waitFor({ state: 'visible' });
      assert.equal(await page.locator('#days-error').innerText(), `Validity must be a whole number of days, from 1 to 36525 (not \u201c${text}\u201d).`);
      assert.equal(await page.locator('#generate-button').isEnabled(), true);
    }
  });

  test('WebTransport with no names shows the same error as every other kind', { timeout: TEST_TIMEOUT }, async (t) => {
    const page = await openPage(t);
    await fill(page, { kind: 'self', names: '' });
    await page.click('#generate-button');
    await page.locator('#names-error').waitFor({ state: 'visible' });
    const selfSigned = await page.locator('#names-error').innerText();
    assert.match(selfSigned, /no names given/);

    await fill(page, { kind: 'webtransport', names: '  \n' });
    await page.click('#generate-button');
    await page.waitForFunction(() => !document.getElementById('generate-button').disabled);
    assert.equal(await page.locator('#names-error').innerText(), selfSigned);
    assert.equal(await page.locator('[data-role="webtransport"]').count(), 0, 'nothing made for "localhost"');
  });

  test('without pkg/ the page says what is missing and how to build it', { timeout: TEST_TIMEOUT }, async () => {
    const copy = await mkdtemp(path.join(work, 'web-without-pkg-'));
    await cp(WEB, copy, { recursive: true, filter: (source) => !source.startsWith(path.join(WEB, 'pkg')) });
    const bare = await serveWeb(copy);
    const page = await context.newPage();
    try {
      await page.goto(`http://127.0.0.1:${bare.address().port}/`);
      await page.waitForFunction(() => document.documentElement.dataset.ready === 'false', null, { timeout: 10_000 });
      const status = await page.locator('#status').innerText();
      assert.match(status, /WebAssembly package is missing: pkg\/selfsign_wasm\.js did not load/);
      assert.match(status, /make web/);
      assert.match(await page.locator('#generate-error').innerText(), /make web/);
      assert.equal(await page.locator('#generate-button').isDisabled(), true);
    } finally {
      await page.close();
      await new Promise((resolve) => bare.close(resolve));
    }
  });

  test('Days tells assistive technology its real maximum', { timeout: TEST_TIMEOUT }, async (t) => {
    const page = await openPage(t);
    const cdp = await context.newCDPSession(page);
    const valuemax = async () => {
      const { root } = await cdp.send('DOM.getDocument');
      const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: '#days' });
      const { nodes } = await cdp.send('Accessibility.getPartialAXTree', { nodeId, fetchRelatives: false });
      return nodes[0].properties?.find((p) => p.name === 'valuemax')?.value.value;
    };
    assert.equal(await valuemax(), 36525);
    await page.check('input[name="kind"][value="webtransport"]');
    assert.equal(await valuemax(), 14);
    await page.check('input[name="kind"][value="self"]');
    assert.equal(await valuemax(), 36525);
    await cdp.detach();
  });

  test('the CA panel names an RSA key with its size, and a long status keeps the header on one line', { timeout: TEST_TIMEOUT }, async (t) => {
    const page = await openPage(t, { viewport: { width: 1280, height: 900 } });
    const header = async () => (await page.locator('.masthead').boundingBox()).height;
    const ready = await header();
    await generate(page, { kind: 'ca-leaf', names: 'localhost\n127.0.0.1\n::1', key: 'rsa2048' });
    assert.match(await currentCa(page), /RSA 2048 · expires/);
    assert.match(await page.locator('#status').getAttribute('title'), /^Done: localhost\+2\.pem and 3 more files/);
    assert.equal(await header(), ready, 'the header does not grow');
  });

  test('on a phone Copy and Download are 44 px tall and the Try it command breaks only between words', { timeout: TEST_TIMEOUT }, async (t) => {
    const page = await openPage(t, { viewport: { width: 390, height: 844 } });
    await generate(page, { kind: 'ca-leaf', names: 'localhost\n127.0.0.1\n::1' });
    const heights = await page.locator('#results .pem-head button').evaluateAll((buttons) => buttons.map((b) => b.getBoundingClientRect().height));
    assert.ok(heights.length >= 8);
    for (const height of heights) assert.ok(height >= 44, `button is ${height}px tall`);
    // Each character's line, from its box: where the line changes, the character before and the first on the new line.
    const breaks = await page.locator('[data-role="leaf"] code.command').evaluate((code) => {
      const found = [];
      let line = null;
      let previous = '';
      const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
      for (let text = walker.nextNode(); text; text = walker.nextNode()) {
        for (let i = 0; i < text.length; i += 1) {
          const range = document.createRange();
          range.setStart(text, i);
          range.setEnd(text, i + 1);
          const top = range.getClientRects()[0]?.top;
          if (top !== undefined) {
            if (line !== null && top > line + 2) found.push(previous + text.data[i]);
            line = top;
          }
          previous = text.data[i];
        }
      }
      return found;
    });
    assert.ok(breaks.length >= 1, 'the command wraps on a phone');
    for (const pair of breaks) assert.match(pair, /^ /, `a line starts mid-word: "${pair}"`);
  });
});
