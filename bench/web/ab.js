// Two builds of the page's wasm (mounted at /a/ and /b/) on the page's own WebCrypto path, with
// WebCrypto alone as in bench.js, in one page load: every round runs a batch of each side, in a
// rotating order, so load, tiering and leftover garbage hit all alike, and B/A (the ratio of the
// medians) is far steadier than two separate runs of make bench-web. Results: window.abResults, and html[data-done="true"].
import initA, * as a from '/a/selfsign_wasm.js';
import initB, * as b from '/b/selfsign_wasm.js';
import * as page from '/app/webcrypto.js';

const params = new URLSearchParams(location.search);
const ROUNDS = Number(params.get('rounds') ?? 40);
const BATCH = Number(params.get('batch') ?? 16);
const TBS = crypto.getRandomValues(new Uint8Array(420));
const P256 = { gen: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } };

/**
 * WebCrypto alone, as in bench.js: key pair, SPKI, one signature, PKCS#8. Without `spki`, only
 * the calls the page's path makes (it reads the public key from the PKCS#8 export).
 */
async function webcrypto(signer, spki = true) {
  const pair = await crypto.subtle.generateKey(P256.gen, true, ['sign', 'verify']);
  if (spki) await crypto.subtle.exportKey('spki', pair.publicKey);
  await crypto.subtle.sign(P256.sign, signer ? signer.privateKey : pair.privateKey, TBS);
  await crypto.subtle.exportKey('pkcs8', pair.privateKey);
  return pair;
}

const operations = {
  'CA + leaf p256': {
    a: () => page.caAndLeaf(a, {}, { names: ['localhost'] }),
    b: () => page.caAndLeaf(b, {}, { names: ['localhost'] }),
    webcrypto: async () => webcrypto(await webcrypto()),
    calls: async () => webcrypto(await webcrypto(null, false), false),
  },
  'self-signed p256': {
    a: () => page.selfSigned(a, { names: ['localhost'] }),
    b: () => page.selfSigned(b, { names: ['localhost'] }),
    webcrypto: () => webcrypto(),
    calls: () => webcrypto(null, false),
  },
};

const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];

async function batch(fn) {
  const start = performance.now();
  for (let i = 0; i < BATCH; i++) await fn();
  return ((performance.now() - start) / BATCH) * 1000;
}

async function main() {
  await initA();
  await initB();
  const results = [];
  for (const [name, sides] of Object.entries(operations)) {
    for (const fn of Object.values(sides)) for (let i = 0; i < 200; i++) await fn();
    const us = { a: [], b: [], webcrypto: [], calls: [] };
    const order = Object.keys(us);
    for (let round = 0; round < ROUNDS; round++) {
      // Each side follows each other side equally often: whatever one leaves behind (garbage,
      // cache state) lands on all of them alike.
      for (let i = 0; i < order.length; i++) {
        const side = order[(round + i) % order.length];
        us[side].push(await batch(sides[side]));
      }
    }
    const m = Object.fromEntries(Object.entries(us).map(([side, xs]) => [side, median(xs)]));
    results.push({ name, ...m, rounds: ROUNDS });
  }
  window.abResults = results;
  document.getElementById('out').textContent = JSON.stringify(results, null, 2);
  document.documentElement.dataset.done = 'true';
}

main().catch((e) => {
  window.abError = String(e && e.stack ? e.stack : e);
  document.documentElement.dataset.done = 'error';
});
