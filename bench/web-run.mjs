// Runs the wasm-vs-WebCrypto bench page (bench/web/) and the real page (web/) in headless Chromium
// on loopback and prints: per-operation medians with the wasm/WebCrypto ratio, the .wasm size raw
// and gzipped, and the time from navigation to "ready" of the real page (median of fresh loads).
// Usage: node bench/web-run.mjs   (env: BENCH_BUDGET_MS per operation, BENCH_LOADS, CHROMIUM)
// Expects web/pkg built by scripts/web-build. Every step has a timeout; the server listens on
// 127.0.0.1 only and is closed at the end.
import { readFile, stat } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, serve } from './web-serve.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUDGET_MS = Number(process.env.BENCH_BUDGET_MS ?? 3000);
const LOADS = Number(process.env.BENCH_LOADS ?? 15);
const WASM = path.join(ROOT, 'web/pkg/selfsign_wasm_bg.wasm');
const GLUE = path.join(ROOT, 'web/pkg/selfsign_wasm.js');
/** What the page fetches before its first Generate (issue 17's first load). */
const FIRST_LOAD = ['web/index.html', 'web/style.css', 'web/app.js', 'web/webcrypto.js',
  'web/pkg/selfsign_wasm.js', 'web/pkg/selfsign_wasm_bg.wasm'];
// URL prefix -> directory. The bench page is cross-origin isolated (finer performance.now()).
const MOUNTS = [
  ['/bench/', path.join(ROOT, 'bench/web'), true],
  ['/pkg/', path.join(ROOT, 'web/pkg'), true],
  ['/pkg-full/', path.join(ROOT, 'web/pkg-full'), true],
  ['/app/', path.join(ROOT, 'web'), false],
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (ms) => (ms === undefined ? 'n/a' : ms < 1 ? `${(ms * 1000).toFixed(0)} us` : `${ms.toFixed(2)} ms`);

function printTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

/** Navigation start to html[data-ready="true"] of the real page, in a fresh context each time. */
async function readyTimes(browser, base) {
  const times = [];
  for (let i = 0; i < LOADS; i++) {
    const context = await browser.newContext();
    await context.addInitScript(() => {
      new MutationObserver((_, observer) => {
        if (document.documentElement?.dataset.ready === 'true') {
          window.__readyAt = performance.now();
          observer.disconnect();
        }
      }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-ready'] });
    });
    const page = await context.newPage();
    await page.goto(`${base}/app/`, { timeout: 30_000 });
    await page.locator('html[data-ready="true"]').waitFor({ timeout: 30_000 });
    times.push(await page.evaluate(() => window.__readyAt));
    await context.close();
  }
  return times;
}

async function benchPage(browser, base) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/bench/index.html?budget=${BUDGET_MS}`, { timeout: 30_000 });
  // Thirteen operations; the RSA ones take up to four budgets each.
  const timeout = 30 * BUDGET_MS + 240_000;
  await page.locator('html[data-done]').waitFor({ timeout });
  const out = await page.evaluate(() => ({ results: window.benchResults, error: window.benchError }));
  await context.close();
  if (out.error || errors.length) throw new Error(`bench page failed: ${out.error ?? errors.join('; ')}`);
  return out.results;
}

async function main() {
  await stat(WASM).catch(() => {
    throw new Error('web/pkg is not built: run scripts/web-build (make web)');
  });
  const wasm = await readFile(WASM);
  const glue = await readFile(GLUE);
  const firstLoad = await Promise.all(FIRST_LOAD.map((file) => readFile(path.join(ROOT, file))));
  const firstLoadGzip = firstLoad.reduce((sum, data) => sum + gzipSync(data, { level: 9 }).length, 0);
  const srv = await serve(MOUNTS);
  const base = `http://127.0.0.1:${srv.address().port}`;
  const browser = await launch();
  try {
    const bench = await benchPage(browser, base);
    const ready = await readyTimes(browser, base);
    console.log(`bench-web: ${browser.version()} headless, loopback; budget ${BUDGET_MS} ms per operation`);
    console.log(`cross-origin isolated: ${bench.crossOriginIsolated}\n`);
    const rows = bench.results.map((r) => [
      r.name,
      fmt(r.wasm.medianMs),
      fmt(r.webcrypto?.medianMs),
      r.ratio === undefined ? 'n/a' : r.ratio.toFixed(2),
      `${r.wasm.samples} (${r.wasm.batch}/${r.webcrypto?.batch ?? '-'})`,
    ]);
    printTable(['operation', 'wasm', 'WebCrypto', 'wasm/WebCrypto', 'samples (batch wasm/WC)'], rows);
    for (const r of bench.results) {
      if (r.webcryptoError) console.log(`(WebCrypto could not do ${r.name}: ${r.webcryptoError})`);
    }
    const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
    console.log('');
    printTable(['page figure', 'value'], [
      ['selfsign_wasm_bg.wasm raw', `${kb(wasm.length)} (${wasm.length} B)`],
      ['selfsign_wasm_bg.wasm gzip -9', kb(gzipSync(wasm, { level: 9 }).length)],
      ['selfsign_wasm.js glue raw / gzip -9', `${kb(glue.length)} / ${kb(gzipSync(glue, { level: 9 }).length)}`],
      ['first load (HTML, CSS, JS, glue, wasm), each gzip -9', `${kb(firstLoadGzip)} (${firstLoadGzip} B)`],
      [`navigation to ready (web/), median of ${ready.length}`,
        `${fmt(median(ready))} (min ${fmt(Math.min(...ready))}, max ${fmt(Math.max(...ready))})`],
      ['navigation to wasm init (bench page)', fmt(bench.readyMs)],
    ]);
  } finally {
    await browser.close();
    srv.close();
  }
}

main().catch((e) => {
  console.error(`bench-web: ${e.message}`);
  process.exit(1);
});
