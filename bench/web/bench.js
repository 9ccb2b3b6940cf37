// selfsign's wasm against the browser's WebCrypto, in one page load.
//
// For each operation both sides run in alternating batches (so noise hits both alike); a batch
// repeats the operation until it lasts at least MIN_BATCH_MS (performance.now() is coarse outside
// cross-origin isolation), and the per-operation time is the median batch time divided by its size.
// The wasm side is the page's real API call (key generation, certificate encoding, signing, PEM,
// PKCS#8 export and the decoded view the page shows). The WebCrypto side is only the cryptography
// the same certificate needs: generate the key pair, export its SPKI and PKCS#8, sign a
// certificate-sized message. Results: window.benchResults, and html[data-done="true"].
// The page rows run through the small package the page loads first (/pkg), as the page does; the
// core's own crypto rows, and one page row for comparison, through the full one (/pkg-full).
import init, * as selfsign from '/pkg-full/selfsign_wasm.js';
import initSmall, * as small from '/pkg/selfsign_wasm.js';
import * as page from '/app/webcrypto.js';
import { batch, median, WEBCRYPTO, webcryptoKeyAndSign } from './webcrypto-alone.js';

const params = new URLSearchParams(location.search);
const BUDGET_MS = Number(params.get('budget') ?? 2000); // per operation, both sides together
const MIN_BATCH_MS = Number(params.get('batch') ?? 5);
const MAX_ROUNDS = 40;
const ops = [];
for (const key of ['p256', 'p384', 'ed25519']) {
  ops.push({
    name: `self-signed ${key}`,
    wasm: () => selfsign.generateSelfSigned({ names: ['localhost'], key }),
    webcrypto: () => webcryptoKeyAndSign(key),
    check: (r) => r.certificatePem.startsWith('-----BEGIN CERTIFICATE-----') && r.info.keyAlgorithm,
  });
}
for (const key of ['p256', 'p384', 'ed25519']) {
  ops.push({
    name: `CA + leaf ${key}`,
    wasm: () => {
      const ca = selfsign.generateCa({ key });
      return selfsign.issueLeaf(ca.certificatePem, ca.keyPem, { names: ['localhost'], key });
    },
    webcrypto: async () => {
      const ca = await webcryptoKeyAndSign(key);
      return webcryptoKeyAndSign(key, ca);
    },
    check: (r) => typeof r.caPem === 'string' && r.info.issuer !== r.info.subject,
  });
}

// The page's own path (web/webcrypto.js): WebCrypto makes the keys and signatures, the wasm core
// builds the certificates and the decoded view. The WebCrypto side makes exactly the WebCrypto
// calls the page makes (no SPKI export), so the ratio is our whole job against those calls alone.
const leafCheck = (r) => r.crypto === 'webcrypto' && r.certificatePem.startsWith('-----BEGIN CERTIFICATE-----');
for (const key of ['p256', 'rsa2048']) {
  const slow = key.startsWith('rsa') ? { rounds: 60, budget: 4 } : {};
  ops.push({
    name: `page: self-signed ${key}`,
    ...slow,
    wasm: () => page.selfSigned(small, { names: ['localhost'], key }),
    webcrypto: () => webcryptoKeyAndSign(key, null, false),
    check: leafCheck,
  });
  ops.push({
    name: `page: CA + leaf ${key}`,
    ...slow,
    wasm: async () => (await page.caAndLeaf(small, { key }, { names: ['localhost'], key })).leaf,
    webcrypto: async () => {
      const ca = await webcryptoKeyAndSign(key, null, false);
      return webcryptoKeyAndSign(key, ca, false);
    },
    check: (r) => leafCheck(r) && typeof r.caPem === 'string',
  });
}
// The same page CA + leaf against the key pairs and signatures alone, without the PKCS#8 exports
// that hand the keys out (which any tool making key files must do): the strictest comparison.
ops.push({
  name: 'page: CA + leaf p256, vs keys+signatures',
  wasm: async () => (await page.caAndLeaf(small, {}, { names: ['localhost'] })).leaf,
  webcrypto: async () => {
    const ca = await webcryptoKeyAndSign('p256', null, false, false);
    return webcryptoKeyAndSign('p256', ca, false, false);
  },
  check: (r) => leafCheck(r) && typeof r.caPem === 'string',
});
// The page's CA + leaf through the full package (opt-level 3), for comparison with the small one's.
ops.push({
  name: 'page via pkg-full: CA + leaf p256',
  wasm: async () => (await page.caAndLeaf(selfsign, {}, { names: ['localhost'] })).leaf,
  webcrypto: async () => {
    const ca = await webcryptoKeyAndSign('p256', null, false);
    return webcryptoKeyAndSign('p256', ca, false);
  },
  check: (r) => leafCheck(r) && typeof r.caPem === 'string',
});
// The key alone: the page's RSA key generation (WebCrypto and its PKCS#8 export) against
// WebCrypto's generateKey; and the core's own RSA generation in wasm (the fallback) against it.
ops.push({
  name: 'page: RSA-2048 key',
  // RSA key generation times vary with the prime search: more samples for a steadier median.
  rounds: 200,
  budget: 8,
  wasm: () => page.generateKey('rsa2048'),
  webcrypto: () => crypto.subtle.generateKey(WEBCRYPTO.rsa2048.gen, true, ['sign', 'verify']),
  check: (r) => r.privateKey instanceof CryptoKey && r.der.length > 0,
});
ops.push({
  name: 'wasm fallback: self-signed rsa2048',
  rounds: 12,
  wasm: () => selfsign.generateSelfSigned({ names: ['localhost'], key: 'rsa2048' }),
  webcrypto: () => webcryptoKeyAndSign('rsa2048'),
  check: (r) => r.info.keyBits === 2048,
});

/** Runs fn a few times and picks a batch size that lasts about MIN_BATCH_MS. */
async function calibrate(fn) {
  await batch(fn, 2);
  let n = 1;
  for (;;) {
    const t = await batch(fn, n);
    if (t >= MIN_BATCH_MS || n >= 4096) return { n, first: t / n };
    n *= t > 0 ? Math.min(8, Math.max(2, Math.ceil(MIN_BATCH_MS / t))) : 8;
  }
}

async function measure(op) {
  const result = { name: op.name };
  if (!op.check(await op.wasm())) throw new Error(`${op.name}: the wasm result looks wrong`);
  let webcrypto = true;
  try {
    await op.webcrypto();
  } catch (e) {
    webcrypto = false;
    result.webcryptoError = String(e && e.message ? e.message : e);
  }
  const sides = { wasm: await calibrate(op.wasm) };
  if (webcrypto) sides.webcrypto = await calibrate(op.webcrypto);
  const samples = { wasm: [], webcrypto: [] };
  const start = performance.now();
  const rounds = op.rounds ?? MAX_ROUNDS;
  const budget = BUDGET_MS * (op.budget ?? 1);
  for (let round = 0; round < rounds; round++) {
    for (const side of Object.keys(sides)) {
      const { n } = sides[side];
      samples[side].push((await batch(op[side], n)) / n);
    }
    if (round >= 4 && performance.now() - start > budget) break;
  }
  for (const side of Object.keys(sides)) {
    result[side] = { medianMs: median(samples[side]), samples: samples[side].length, batch: sides[side].n };
  }
  if (webcrypto) result.ratio = result.wasm.medianMs / result.webcrypto.medianMs;
  return result;
}

function table(results) {
  const pad = (s, n) => String(s).padEnd(n);
  const fmt = (ms) => (ms === undefined ? 'n/a' : ms < 1 ? `${(ms * 1000).toFixed(0)} us` : `${ms.toFixed(2)} ms`);
  const lines = [`| ${pad('operation', 34)} | ${pad('wasm', 9)} | ${pad('WebCrypto', 9)} | ratio |`];
  lines.push(`|${'-'.repeat(36)}|${'-'.repeat(11)}|${'-'.repeat(11)}|-------|`);
  for (const r of results) {
    const ratio = r.ratio === undefined ? ' n/a ' : r.ratio.toFixed(2).padStart(5);
    lines.push(`| ${pad(r.name, 34)} | ${pad(fmt(r.wasm.medianMs), 9)} | ${pad(fmt(r.webcrypto?.medianMs), 9)} | ${ratio} |`);
  }
  return lines.join('\n');
}

async function main() {
  await Promise.all([init(), initSmall()]);
  const readyMs = performance.now();
  const results = [];
  for (const op of ops) results.push(await measure(op));
  window.benchResults = {
    readyMs,
    crossOriginIsolated: self.crossOriginIsolated,
    userAgent: navigator.userAgent,
    results,
  };
  document.getElementById('out').textContent = table(results);
  document.documentElement.dataset.done = 'true';
}

main().catch((e) => {
  window.benchError = String(e && e.stack ? e.stack : e);
  document.getElementById('out').textContent = window.benchError;
  document.documentElement.dataset.done = 'error';
});
