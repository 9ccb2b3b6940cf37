// Two builds of the page's wasm (mounted at /a/ and /b/) on the page's own WebCrypto path, with
// WebCrypto alone as in bench.js, in one page load: every round runs a batch of each side, in a
// freshly shuffled order, so load, tiering and leftover garbage hit all alike, and B/A (the ratio
// of the medians) is far steadier than two separate runs of make bench-web.
// Results: window.abResults, and html[data-done="true"].
import initA, * as a from '/a/selfsign_wasm.js';
import initB, * as b from '/b/selfsign_wasm.js';
import * as page from '/app/webcrypto.js';
import { batch, median, webcryptoKeyAndSign } from './webcrypto-alone.js';

const params = new URLSearchParams(location.search);
const ROUNDS = Number(params.get('rounds') ?? 40);
const BATCH = Number(params.get('batch') ?? 16);

const operations = {
  'CA + leaf p256': {
    a: () => page.caAndLeaf(a, {}, { names: ['localhost'] }),
    b: () => page.caAndLeaf(b, {}, { names: ['localhost'] }),
    webcrypto: async () => webcryptoKeyAndSign('p256', await webcryptoKeyAndSign('p256')),
    calls: async () => webcryptoKeyAndSign('p256', await webcryptoKeyAndSign('p256', null, false), false),
  },
  'self-signed p256': {
    a: () => page.selfSigned(a, { names: ['localhost'] }),
    b: () => page.selfSigned(b, { names: ['localhost'] }),
    webcrypto: () => webcryptoKeyAndSign('p256'),
    calls: () => webcryptoKeyAndSign('p256', null, false),
  },
};

/** A copy of `xs` in random order (Fisher-Yates). */
function shuffled(xs) {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

async function main() {
  await initA();
  await initB();
  const results = [];
  for (const [name, sides] of Object.entries(operations)) {
    for (const fn of Object.values(sides)) for (let i = 0; i < 200; i++) await fn();
    const us = { a: [], b: [], webcrypto: [], calls: [] };
    for (let round = 0; round < ROUNDS; round++) {
      // A new order every round: a rotation would keep each side behind the same neighbour,
      // and what that neighbour leaves (cold wasm after WebCrypto alone) would land on it alone.
      for (const side of shuffled(Object.keys(us))) {
        us[side].push(((await batch(sides[side], BATCH)) / BATCH) * 1000);
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
