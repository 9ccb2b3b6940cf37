// Runs the wasm-vs-WebCrypto bench page (bench/web/) and the real page (web/) in headless Chromium
// on loopback and prints: per-operation medians with the wasm/WebCrypto ratio, the .wasm sizes raw
// and gzipped, the first load's bytes, and the time from navigation to "ready" of the real page
// (median of fresh loads) against the page as it was before the split, side by side: the same
// web/ files with web/pkg-full served as its ./pkg (the pre-split page loaded the whole package
// first), loads of the two alternating; or, with BENCH_BEFORE=dir, another build of the page (a
// web/ directory with its pkg/ built, e.g. from a worktree at an older commit). Navigation is timed
// on loopback and again through throttled networks (the server then gzips, as a web server would).
// Ends with issue 17's goals and where this run puts them.
// Usage: node bench/web-run.mjs   (env: BENCH_BUDGET_MS per operation, BENCH_LOADS, BENCH_BEFORE,
// CHROMIUM)
// Expects web/pkg and web/pkg-full built by scripts/web-build. Every step has a timeout; the
// server listens on 127.0.0.1 only and is closed at the end.
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
const WASM_FULL = path.join(ROOT, 'web/pkg-full/selfsign_wasm_bg.wasm');
/** What the page fetches before its first Generate (issue 17's first load). */
const PAGE = ['web/index.html', 'web/style.css', 'web/app.js', 'web/webcrypto.js'];
const FIRST_LOAD = [...PAGE, 'web/pkg/selfsign_wasm.js', 'web/pkg/selfsign_wasm_bg.wasm'];
const FIRST_LOAD_BEFORE = [...PAGE, 'web/pkg-full/selfsign_wasm.js', 'web/pkg-full/selfsign_wasm_bg.wasm'];
/** Issue 17's goals. */
const GOALS = { firstLoadBytes: 150_000, readyRatio: 0.6, caAndLeafRatio: 1.6 };
const CA_AND_LEAF = 'page: CA + leaf p256';
// URL prefix -> directory (the first prefix that matches wins). The bench page is cross-origin
// isolated (finer performance.now()). /before/ is the page with the full package as its ./pkg,
// or the BENCH_BEFORE build.
const MOUNTS = [
  ['/bench/', path.join(ROOT, 'bench/web'), true],
  ['/pkg/', path.join(ROOT, 'web/pkg'), true],
  ['/pkg-full/', path.join(ROOT, 'web/pkg-full'), true],
  ['/app/', path.join(ROOT, 'web'), false],
  ...(process.env.BENCH_BEFORE
    ? [['/before/', path.resolve(process.env.BENCH_BEFORE), false]]
    : [['/before/pkg/', path.join(ROOT, 'web/pkg-full'), false], ['/before/', path.join(ROOT, 'web'), false]]),
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

/** Networks the navigation is also timed on (DevTools throttling; latency is the round trip). */
const NETWORKS = [
  // Lighthouse's default mobile throttling ("slow 4G"), the usual reference for page loads.
  { name: '1.6 Mbit/s, 150 ms RTT (Lighthouse mobile)', latency: 150, down: 1.6e6 / 8, up: 750e3 / 8 },
  { name: '10 Mbit/s, 40 ms RTT', latency: 40, down: 10e6 / 8, up: 5e6 / 8 },
];
const READY = '__selfsign_bench_ready ';

/**
 * Navigation start to html[data-ready="true"] of each page in `paths`, in a fresh context each
 * time, LOADS times each, the pages alternating; resolves to one list of times per path. The page
 * reports its own time on the console, so nothing of the harness runs in it before then (a
 * Playwright locator would inject and compile its script first, ~25 ms of the page's main thread).
 * With `network`, the load goes through DevTools' network throttling.
 */
async function readyTimes(browser, base, paths, network) {
  const times = paths.map(() => []);
  for (let i = 0; i < LOADS * paths.length; i++) {
    const which = i % paths.length;
    const context = await browser.newContext();
    await context.addInitScript((prefix) => {
      new MutationObserver((_, observer) => {
        if (document.documentElement?.dataset.ready === 'true') {
          console.log(prefix + performance.now());
          observer.disconnect();
        }
      }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-ready'] });
    }, READY);
    const page = await context.newPage();
    if (network) {
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false, latency: network.latency, downloadThroughput: network.down, uploadThroughput: network.up,
      });
    }
    const ready = new Promise((resolve) => {
      page.on('console', (message) => {
        if (message.text().startsWith(READY)) resolve(Number(message.text().slice(READY.length)));
      });
    });
    await page.goto(`${base}${paths[which]}`, { timeout: 60_000 });
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${paths[which]} not ready in 60 s`)), 60_000);
    });
    times[which].push(await Promise.race([ready, timeout]).finally(() => clearTimeout(timer)));
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

const gzipped = async (files) => {
  const data = await Promise.all(files.map((file) => readFile(path.join(ROOT, file))));
  return data.reduce((sum, bytes) => sum + gzipSync(bytes, { level: 9 }).length, 0);
};

async function main() {
  await stat(WASM_FULL).catch(() => {
    throw new Error('web/pkg-full is not built: run scripts/web-build (make web)');
  });
  const wasm = await readFile(WASM);
  const wasmFull = await readFile(WASM_FULL);
  const glue = await readFile(GLUE);
  const firstLoad = await gzipped(FIRST_LOAD);
  const firstLoadBefore = await gzipped(FIRST_LOAD_BEFORE);
  const srv = await serve(MOUNTS);
  const base = `http://127.0.0.1:${srv.address().port}`;
  const gzipSrv = await serve(MOUNTS, { gzip: true });
  const gzipBase = `http://127.0.0.1:${gzipSrv.address().port}`;
  const browser = await launch();
  try {
    const bench = await benchPage(browser, base);
    const [ready, readyBefore] = await readyTimes(browser, base, ['/app/', '/before/']);
    const throttled = [];
    for (const network of NETWORKS) {
      throttled.push([network, await readyTimes(browser, gzipBase, ['/app/', '/before/'], network)]);
    }
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
    const spread = (ts) => `${fmt(median(ts))} (min ${fmt(Math.min(...ts))}, max ${fmt(Math.max(...ts))})`;
    console.log('');
    printTable(['page figure', 'value'], [
      ['pkg/selfsign_wasm_bg.wasm raw / gzip -9', `${wasm.length} B / ${gzipSync(wasm, { level: 9 }).length} B`],
      ['pkg-full/selfsign_wasm_bg.wasm raw / gzip -9', `${wasmFull.length} B / ${gzipSync(wasmFull, { level: 9 }).length} B`],
      ['pkg/selfsign_wasm.js glue raw / gzip -9', `${kb(glue.length)} / ${kb(gzipSync(glue, { level: 9 }).length)}`],
      ['first load (HTML, CSS, JS, glue, wasm), each gzip -9', `${firstLoad} B`],
      ['first load before the split (pkg-full as ./pkg)', `${firstLoadBefore} B`],
      [`navigation to ready (web/), median of ${ready.length}`, spread(ready)],
      [`navigation to ready before the split, median of ${readyBefore.length}`, spread(readyBefore)],
      ...throttled.flatMap(([network, [split, before]]) => [
        [`navigation to ready, ${network.name}, gzip`, spread(split)],
        ['  the same before the split', spread(before)],
      ]),
      ['navigation to wasm init (bench page, both packages)', fmt(bench.readyMs)],
    ]);
    const readyRatio = median(ready) / median(readyBefore);
    const caAndLeaf = bench.results.find((r) => r.name === CA_AND_LEAF)?.ratio;
    const verdict = (ok) => (ok ? 'met' : 'not met');
    console.log('');
    printTable(['issue 17 goal', 'this run', 'goal', ''], [
      ['first load, gzipped', `${firstLoad} B`, `<= ${GOALS.firstLoadBytes} B`, verdict(firstLoad <= GOALS.firstLoadBytes)],
      ['navigation to ready on loopback, split / before', readyRatio.toFixed(2), `<= ${GOALS.readyRatio}`, verdict(readyRatio <= GOALS.readyRatio)],
      ...throttled.map(([network, [split, before]]) => {
        const ratio = median(split) / median(before);
        return [`  the same, ${network.name}`, ratio.toFixed(2), `(<= ${GOALS.readyRatio})`, ratio <= GOALS.readyRatio ? '(met there)' : '(not met there)'];
      }),
      [`${CA_AND_LEAF} (small package) / WebCrypto`, caAndLeaf?.toFixed(2) ?? 'n/a', `<= ${GOALS.caAndLeafRatio}`,
        verdict(caAndLeaf !== undefined && caAndLeaf <= GOALS.caAndLeafRatio)],
    ]);
  } finally {
    await browser.close();
    srv.close();
    gzipSrv.close();
  }
}

main().catch((e) => {
  console.error(`bench-web: ${e.message}`);
  process.exit(1);
});
