// Headless Chromium against `selfsign serve --badssl` (BADSSL_URL: the page on that server), the
// local CA trusted through a scratch NSS db in $HOME/.pki/nssdb: the good endpoint loads, each
// broken one is refused with Chromium's own error, and the page's "What does this browser
// accept?" panel shows the same outcomes beside the expected ones.
// scripts/test-browser starts the server, then runs this file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'];

/**
 * What Chromium does with each endpoint: null to load it, else the net error it must report.
 * Where Chromium differs from the strict answer the listing's notes say why (no CRL fetching
 * for a local CA, a CA:TRUE leaf taken as it is, no Ed25519, no client certificate to offer).
 */
const CHROMIUM_OUTCOME = {
  'good': null,
  'expired': 'net::ERR_CERT_DATE_INVALID',
  'not-yet-valid': 'net::ERR_CERT_DATE_INVALID',
  'wrong-host': 'net::ERR_CERT_COMMON_NAME_INVALID',
  'self-signed': 'net::ERR_CERT_AUTHORITY_INVALID',
  'untrusted-root': 'net::ERR_CERT_AUTHORITY_INVALID',
  'incomplete-chain': 'net::ERR_CERT_AUTHORITY_INVALID',
  'name-constraint-violation': 'net::ERR_CERT_INVALID',
  'revoked': null,
  'wrong-eku': 'net::ERR_CERT_INVALID',
  'ca-as-leaf': null,
  'no-san': 'net::ERR_CERT_COMMON_NAME_INVALID',
  'many-sans': null,
  'long-chain': 'net::ERR_CERT_INVALID',
  'p384': null,
  'ed25519': 'net::ERR_SSL_PROTOCOL_ERROR',
  'rsa2048': null,
  'rsa4096': null,
  'tls12-only': null,
  'tls13-only': null,
  'client-cert-required': 'net::ERR_BAD_SSL_CLIENT_AUTH_CERT',
  'client-cert-optional': null,
};

let context;
let userDataDir;
let listing;

before(async () => {
  assert.ok(process.env.BADSSL_URL, 'BADSSL_URL must name the page on a `selfsign serve --badssl`');
  userDataDir = await mkdtemp(path.join(tmpdir(), 'selfsign-chromium-badssl-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30_000,
  });
  const page = await context.newPage();
  const response = await page.goto(new URL('/badssl.json', process.env.BADSSL_URL).href);
  listing = await response.json();
  await page.close();
});

after(async () => {
  await context?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

// The same refusal, reported another way: when the server closes right after its
// certificate_required alert, Chromium sometimes sees the closed socket before the alert.
const ALSO_SEEN = {
  'client-cert-required': ['net::ERR_SOCKET_NOT_CONNECTED'],
};

test('Chromium loads the good endpoint and refuses each broken one with its own error', { timeout: 300_000 }, async () => {
  assert.deepEqual(listing.variants.map((v) => v.name), Object.keys(CHROMIUM_OUTCOME));
  const seen = {};
  for (const variant of listing.variants) {
    const page = await context.newPage();
    try {
      const response = await page.goto(variant.url, { timeout: 30_000 });
      const body = await response.json();
      seen[variant.name] = body.variant === variant.name ? null : `answered as ${body.variant}`;
    } catch (error) {
      const reason = /net::ERR_[A-Z_]+/.exec(error.message)?.[0] ?? error.message;
      const alike = ALSO_SEEN[variant.name]?.includes(reason);
      seen[variant.name] = alike ? CHROMIUM_OUTCOME[variant.name] : reason;
    } finally {
      await page.close();
    }
  }
  assert.deepEqual(seen, CHROMIUM_OUTCOME);
});

test('the page panel shows what this browser accepted beside what it should', { timeout: 120_000 }, async () => {
  const page = await context.newPage();
  await page.goto(process.env.BADSSL_URL);
  await page.waitForSelector('#badssl[data-done="true"]', { timeout: 90_000 });
  const rows = await page.$$eval('#badssl-table tbody tr', (trs) => trs.map((tr) => ({
    name: tr.dataset.variant,
    expect: tr.dataset.expect,
    browser: tr.dataset.browser,
    verdict: tr.cells[3].textContent,
  })));
  assert.equal(rows.length, listing.variants.length);
  for (const row of rows) {
    const listed = listing.variants.find((v) => v.name === row.name);
    assert.equal(row.expect, listed.expect, row.name);
    assert.equal(row.browser, CHROMIUM_OUTCOME[row.name] === null ? 'accept' : 'refuse', row.name);
    assert.equal(row.verdict.startsWith('as expected'), row.expect === row.browser, `${row.name}: ${row.verdict}`);
  }
  await page.close();
});
