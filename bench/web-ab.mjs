// Compares two builds of the page's wasm on the page's WebCrypto path (bench/web/ab.js) in one
// headless Chromium page load and prints, per operation, each build's median and its ratio to
// WebCrypto alone (as make bench-web counts it, with SPKI exports), B/A, and the WebCrypto calls
// the page's path makes without any wasm work (no SPKI export). Usage: node bench/web-ab.mjs A-dir B-dir  (each a wasm-bindgen
// --target web output such as web/pkg; env: AB_ROUNDS, CHROMIUM). Loopback only, bounded.
import path from 'node:path';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { launch, serve } from './web-serve.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const [dirA, dirB] = process.argv.slice(2).map((d) => path.resolve(d));
const ROUNDS = Number(process.env.AB_ROUNDS ?? 40);

async function main() {
  if (!dirA || !dirB) throw new Error('usage: node bench/web-ab.mjs A-dir B-dir');
  for (const dir of [dirA, dirB]) {
    await stat(path.join(dir, 'selfsign_wasm_bg.wasm')).catch(() => {
      throw new Error(`${dir} has no selfsign_wasm_bg.wasm (build one with scripts/web-build DIR)`);
    });
  }
  const srv = await serve([
    ['/bench/', path.join(ROOT, 'bench/web'), true],
    ['/a/', dirA, true],
    ['/b/', dirB, true],
    ['/app/', path.join(ROOT, 'web'), true],
  ]);
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${srv.address().port}/bench/ab.html?rounds=${ROUNDS}`, { timeout: 30_000 });
    await page.locator('html[data-done]').waitFor({ timeout: 600_000 });
    const out = await page.evaluate(() => ({ results: window.abResults, error: window.abError }));
    if (out.error || errors.length) throw new Error(out.error ?? errors.join('; '));
    console.log(`bench-web-ab: A = ${dirA}\n              B = ${dirB}\n`);
    console.log('| operation | A | B | WebCrypto | A/WebCrypto | B/WebCrypto | B/A | our WebCrypto calls | A/calls |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const r of out.results) {
      const us = (x) => `${x.toFixed(0)} us`;
      const ratio = (x, y) => (x / y).toFixed(2);
      console.log(`| ${r.name} | ${us(r.a)} | ${us(r.b)} | ${us(r.webcrypto)} | ${ratio(r.a, r.webcrypto)} | ${ratio(r.b, r.webcrypto)} | ${(r.b / r.a).toFixed(3)} | ${us(r.calls)} | ${ratio(r.a, r.calls)} |`);
    }
  } finally {
    await browser.close();
    srv.close();
  }
}

main().catch((e) => {
  console.error(`bench-web-ab: ${e.message}`);
  process.exit(1);
});
