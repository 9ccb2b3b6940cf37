// The page's two crypto paths in real headless Chromium, checked by OpenSSL: keys and signatures
// from the browser's WebCrypto (the default), and from the WebAssembly core (`?crypto=wasm`, the
// fallback; slow RSA keys then run in a worker). Both must make certificates that verify and that
// decode identically except for keys, serials and signatures; RSA keys of every size work, and the
// page stays responsive while a 4096-bit key is made. Expects web/pkg built (scripts/web-build).
// Serves web/ on 127.0.0.1 unless BASE_URL points at a running server (e.g. `selfsign serve`).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const WEB = fileURLToPath(new URL('../../web', import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--disable-component-update', '--no-first-run',
];
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css', '.wasm': 'application/wasm' };
const TEST_TIMEOUT = 120_000;

let server;
let baseUrl;
let browser;
let work;

async function serveWeb() {
  const srv = createServer(async (req, res) => {
    try {
      const relative = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname).replace(/^\/+/, '') || 'index.html';
      const file = path.resolve(WEB, relative);
      if (!file.startsWith(WEB + path.sep)) throw new Error('outside web/');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return srv;
}

function openssl(args, cwd) {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { timeout: 20_000, cwd }, (error, stdout, stderr) => {
      if (error) reject(new Error(`openssl ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

/**
 * The page (with `?crypto=wasm` for the fallback), ready, failing the test on any page error
 * (except console errors matching `expected`); `setup(page)` runs before it loads. Confirmations
 * (Forget CA) are accepted.
 */
async function openPage(t, query = '', { setup, expected } = {}) {
  // STRICT_TLS=1: a BASE_URL server's certificate must verify (its CA in $HOME/.pki/nssdb).
  const context = await browser.newContext({ ignoreHTTPSErrors: Boolean(process.env.BASE_URL) && !process.env.STRICT_TLS });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  page.on('dialog', (dialog) => dialog.accept());
  await setup?.(page);
  const problems = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => message.type() === 'error' && !expected?.test(message.text()) && problems.push(message.text()));
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(baseUrl) && !url.startsWith('blob:') && !url.startsWith('data:')) problems.push(`request to ${url}`);
  });
  await page.goto(`${baseUrl}${query}`);
  await page.locator('html[data-ready="true"]').waitFor();
  t.after(async () => {
    assert.deepEqual(problems, [], 'no errors and no requests beyond the page itself');
    await context.close();
  });
  return page;
}

/** Fills the form, presses Generate and waits for the results or an error; returns the errors shown. */
async function tryGenerate(page, { kind, names, key }, timeout = 60_000) {
  await page.check(`input[name="kind"][value="${kind}"]`);
  await page.fill('#names', names);
  await page.selectOption('#key', key);
  const count = await page.locator('#results-body').getAttribute('data-count');
  await page.click('#generate-button');
  await page.waitForFunction(
    (before) => document.getElementById('results-body').dataset.count !== (before ?? undefined)
      || document.querySelector('.error:not([hidden])'),
    count,
    { timeout },
  );
  return page.locator('.error:not([hidden])').allInnerTexts();
}

/** Fills the form, presses Generate and waits for the results; returns which crypto made them. */
async function generate(page, options) {
  assert.deepEqual(await tryGenerate(page, options), [], 'no error shown');
  return page.locator('#results-body').getAttribute('data-crypto');
}

const pemOf = (page, role, kind) => page.locator(`[data-role="${role}"] [data-pem="${kind}"] textarea`).inputValue();

/** The CA + leaf on the page, saved, verified by openssl; returns the leaf's and CA's text. */
async function checkCaAndLeaf(page) {
  const dir = await mkdtemp(path.join(work, 'case-'));
  const files = {
    'leaf.pem': await pemOf(page, 'leaf', 'certificate'),
    'leaf-key.pem': await pemOf(page, 'leaf', 'key'),
    'ca.pem': await pemOf(page, 'ca', 'ca-certificate'),
    'ca-key.pem': await pemOf(page, 'ca', 'ca-key'),
  };
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  const verified = await openssl(['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', 'ca.pem', 'leaf.pem'], dir);
  assert.equal(verified.trim(), 'leaf.pem: OK');
  for (const [cert, key] of [['leaf.pem', 'leaf-key.pem'], ['ca.pem', 'ca-key.pem']]) {
    assert.match(files[key], /^-----BEGIN PRIVATE KEY-----\n/, 'PKCS#8 PEM, as the native path writes');
    await openssl(['pkey', '-in', key, '-check', '-noout'], dir);
    const fromKey = await openssl(['pkey', '-in', key, '-pubout'], dir);
    const fromCert = await openssl(['x509', '-in', cert, '-noout', '-pubkey'], dir);
    assert.equal(fromKey, fromCert, `${key} belongs to ${cert}`);
  }
  const text = async (cert) => openssl(['x509', '-noout', '-text', '-in', cert], dir);
  return { leaf: await text('leaf.pem'), ca: await text('ca.pem'), dir };
}

/** openssl's text without what differs between two issuances: keys, key ids, serial, signature, dates. */
async function comparable(dir, cert) {
  const text = await openssl(['x509', '-noout', '-text', '-certopt', 'no_serial,no_sigdump,no_pubkey,no_validity', '-in', cert], dir);
  return text
    .replace(/^\s*(keyid:)?([0-9A-F]{2}:)+[0-9A-F]{2}\s*$/gm, '<key id>')
    // Each CA's name ends in its creation date and a random id of its own.
    .replace(/(selfsign development CA[^,\n]*) \d{4}-\d{2}-\d{2} [0-9a-f]{6}/g, '$1 <date> <id>');
}

before(async () => {
  await readFile(path.join(WEB, 'pkg', 'selfsign_wasm_bg.wasm')).catch(() => {
    throw new Error('web/pkg is not built: run scripts/web-build first');
  });
  work = await mkdtemp(path.join(tmpdir(), 'selfsign-e2e-webcrypto-'));
  if (process.env.BASE_URL) {
    baseUrl = new URL(process.env.BASE_URL).href;
  } else {
    server = await serveWeb();
    baseUrl = `http://127.0.0.1:${server.address().port}/`;
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30_000 });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the page with WebCrypto keys, and with the WebAssembly fallback', { timeout: 9 * TEST_TIMEOUT }, () => {
  test('the WebCrypto and WebAssembly paths make certificates that differ only in keys, serials and signatures', { timeout: TEST_TIMEOUT }, async (t) => {
    const fast = await openPage(t);
    const fallback = await openPage(t, '?crypto=wasm');
    for (const key of ['p256', 'p384', 'ed25519', 'rsa2048']) {
      const names = 'localhost\n127.0.0.1\n::1\nsvc.test';
      assert.equal(await generate(fast, { kind: 'ca-leaf', names, key }), key === 'ed25519' && !(await fast.evaluate(hasEd25519)) ? 'wasm' : 'webcrypto');
      assert.equal(await generate(fallback, { kind: 'ca-leaf', names, key }), 'wasm', key);
      const a = await checkCaAndLeaf(fast);
      const b = await checkCaAndLeaf(fallback);
      assert.equal(await comparable(a.dir, 'leaf.pem'), await comparable(b.dir, 'leaf.pem'), `${key} leaf`);
      assert.equal(await comparable(a.dir, 'ca.pem'), await comparable(b.dir, 'ca.pem'), `${key} CA`);
      assert.equal(/Key Encipherment/.test(a.leaf), key.startsWith('rsa'), `${key}: keyEncipherment on RSA leaves only`);
      assert.ok(!/Key Encipherment/.test(a.ca), 'never on a CA');
      // The page forgets the CA so the next round makes a new one with the next algorithm.
      for (const page of [fast, fallback]) await page.getByRole('button', { name: 'Forget CA' }).click();
    }
  });

  test('RSA 2048, 3072 and 4096 CAs and leaves made with WebCrypto verify with openssl', { timeout: TEST_TIMEOUT }, async (t) => {
    const page = await openPage(t);
    for (const key of ['rsa2048', 'rsa3072', 'rsa4096']) {
      assert.equal(await generate(page, { kind: 'ca-leaf', names: 'localhost\n127.0.0.1', key }), 'webcrypto');
      const { leaf, ca } = await checkCaAndLeaf(page);
      const bits = key.slice(3);
      assert.match(leaf, new RegExp(`Public-Key: \\(${bits} bit\\)`));
      assert.match(ca, new RegExp(`Public-Key: \\(${bits} bit\\)`));
      assert.match(leaf, /Digital Signature, Key Encipherment/);
      assert.match(leaf, /Signature Algorithm: sha256WithRSAEncryption/);
      await page.getByRole('button', { name: 'Forget CA' }).click();
    }
  });

  test('making RSA 4096 keys shows progress and the page stays responsive meanwhile', { timeout: TEST_TIMEOUT }, async (t) => {
    for (const query of ['', '?crypto=wasm']) {
      const page = await openPage(t, query);
      await page.check('input[name="kind"][value="self"]');
      await page.fill('#names', 'big.test');
      await page.selectOption('#key', 'rsa4096');
      assert.match(await page.locator('#key-hint').innerText(), /several seconds/);
      await page.click('#generate-button');
      await page.locator('#generate-button[aria-busy="true"]').waitFor();
      // A blocked main thread could not answer until the key was done, and the button would no
      // longer be busy by then.
      const during = await page.evaluate(() => ({
        busy: document.getElementById('generate-button').getAttribute('aria-busy'),
        disabled: document.getElementById('generate-button').disabled,
        status: document.getElementById('status').textContent,
        progress: document.getElementById('generate-progress').hidden ? '' : document.getElementById('generate-progress').textContent,
      }));
      assert.equal(during.busy, 'true', `${query}: the page answered while the key was being made`);
      assert.ok(during.disabled, 'the button cannot start a second generation');
      assert.match(during.status, /Generating an RSA key \(4096 bits\) with (the browser’s WebCrypto|WebAssembly)/);
      assert.match(during.progress, /Generating an RSA key \(4096 bits\)/, 'progress next to the button');
      await page.locator('#generate-button:not([aria-busy])').waitFor({ timeout: 100_000 });
      assert.ok(await page.locator('#generate-progress').isHidden(), 'the progress line goes away');
      const dir = await mkdtemp(path.join(work, 'rsa4096-'));
      await writeFile(path.join(dir, 'c.pem'), await pemOf(page, 'leaf', 'certificate'));
      await openssl(['verify', '-x509_strict', '-CAfile', 'c.pem', 'c.pem'], dir);
      assert.match(await openssl(['x509', '-noout', '-text', '-in', 'c.pem'], dir), /Public-Key: \(4096 bit\)/);
    }
  });

  test('an imported CA signs with WebCrypto after importing its key there, and signs CSRs', { timeout: TEST_TIMEOUT }, async (t) => {
    const dir = await mkdtemp(path.join(work, 'import-'));
    await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-subj', '/CN=openssl RSA CA',
      '-days', '3650', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
    await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'csr-key.pem', '-out', 'req.csr',
      '-subj', '/CN=csr.test', '-addext', 'subjectAltName=DNS:csr.test'], dir);
    const page = await openPage(t);
    await page.locator('#ca-import summary').click();
    await page.setInputFiles('#ca-cert', path.join(dir, 'ca.pem'));
    await page.setInputFiles('#ca-key', path.join(dir, 'ca-key.pem'));
    await page.click('#import-button');
    await page.locator('[data-role="current-ca"]').waitFor();
    assert.equal(await generate(page, { kind: 'ca-leaf', names: 'imported.test', key: 'p256' }), 'webcrypto');
    await writeFile(path.join(dir, 'leaf.pem'), await pemOf(page, 'leaf', 'certificate'));
    await openssl(['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', 'ca.pem', 'leaf.pem'], dir);
    assert.match(await openssl(['x509', '-noout', '-text', '-in', 'leaf.pem'], dir), /sha256WithRSAEncryption/);

    await page.locator('#csr-sign summary').click();
    await page.fill('#csr', await readFile(path.join(dir, 'req.csr'), 'utf8'));
    const count = await page.locator('#results-body').getAttribute('data-count');
    await page.click('#sign-button');
    await page.waitForFunction((before) => document.getElementById('results-body').dataset.count !== before, count);
    assert.equal(await page.locator('#results-body').getAttribute('data-crypto'), 'webcrypto');
    await writeFile(path.join(dir, 'signed.pem'), await pemOf(page, 'leaf', 'certificate'));
    await openssl(['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', 'ca.pem', 'signed.pem'], dir);
  });
  test('the WebAssembly fallback loads its worker with the page, so it makes RSA keys offline too', { timeout: TEST_TIMEOUT }, async (t) => {
    const page = await openPage(t, '?crypto=wasm');
    await page.context().setOffline(true);
    // Before, worker.js was fetched only now, failed offline, and the status counted seconds forever.
    assert.deepEqual(await tryGenerate(page, { kind: 'self', names: 'offline.test', key: 'rsa2048' }, 30_000), []);
    assert.equal(await page.locator('#results-body').getAttribute('data-crypto'), 'wasm');
    assert.ok(await page.locator('#generate-button').isEnabled());
    const dir = await mkdtemp(path.join(work, 'offline-'));
    await writeFile(path.join(dir, 'c.pem'), await pemOf(page, 'leaf', 'certificate'));
    assert.match(await openssl(['x509', '-noout', '-text', '-in', 'c.pem'], dir), /Public-Key: \(2048 bit\)/);
  });

  test('a fallback worker that cannot start is an error next to Generate, and the button works again', { timeout: TEST_TIMEOUT }, async (t) => {
    const page = await openPage(t, '?crypto=wasm', {
      setup: (p) => p.route('**/worker.js', (route) => route.abort('internetdisconnected')),
      expected: /worker\.js|ERR_INTERNET_DISCONNECTED/,
    });
    const shown = await tryGenerate(page, { kind: 'self', names: 'no-worker.test', key: 'rsa2048' }, 30_000);
    assert.equal(shown.length, 1);
    assert.match(shown[0], /The WebAssembly worker \(worker\.js\) could not start/);
    assert.ok(await page.locator('#generate-error').isVisible(), 'next to the button');
    assert.ok(await page.locator('#generate-button').isEnabled(), 'the button is enabled again');
    assert.equal(await page.locator('#generate-progress').isHidden(), true, 'the seconds stop counting');
    assert.match(await page.locator('#status').innerText(), /^Problem: The WebAssembly worker/);
  });

  test('a bad name with a new RSA 4096 CA is reported before any key is made', { timeout: TEST_TIMEOUT }, async (t) => {
    // Counts the RSA keys WebCrypto is asked for, and the calls sent to the fallback's worker.
    const count = (p) => p.addInitScript(() => {
      window.keysAsked = [];
      const generateKey = crypto.subtle.generateKey.bind(crypto.subtle);
      crypto.subtle.generateKey = (algorithm, ...rest) => {
        window.keysAsked.push(algorithm.name);
        return generateKey(algorithm, ...rest);
      };
      const post = Worker.prototype.postMessage;
      Worker.prototype.postMessage = function postMessage(message, ...rest) {
        if (message?.name) window.keysAsked.push(`worker:${message.name}`);
        return post.call(this, message, ...rest);
      };
    });
    for (const query of ['', '?crypto=wasm']) {
      const page = await openPage(t, query, { setup: count });
      const shown = await tryGenerate(page, { kind: 'ca-leaf', names: 'localhost\nbad name.test', key: 'rsa4096' });
      assert.match(shown.join('\n'), /invalid name "bad name\.test"/, query);
      assert.ok(await page.locator('#names-error').isVisible(), `${query}: next to the names`);
      const asked = await page.evaluate(() => window.keysAsked);
      assert.deepEqual(asked.filter((name) => name !== 'ECDSA'), [], `${query}: no RSA key was made (asked: ${asked})`);
    }
  });
});

/** Whether this Chromium's WebCrypto has Ed25519 (runs in the page). */
async function hasEd25519() {
  try {
    await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
    return true;
  } catch {
    return false;
  }
}
