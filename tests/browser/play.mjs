#!/usr/bin/env node
// Plays an HLS master playlist with hls.js and a DASH MPD with Shaka Player in a real Chromium
// (Debian's /usr/bin/chromium, driven by playwright-core), switches rendition mid-play, and
// prints a JSON report. The test page is served from its own 127.0.0.1 port, so every request to
// the stream is cross-origin, exactly as for a web player on another site: CORS is under test.
//
//     node play.mjs --hls URL --dash URL [--out DIR] [--timeout SECONDS] [--chromium PATH]
//
// Exit status: 0 when both players met every requirement, 1 when one did not, 2 on bad usage or
// when the browser cannot start. Screenshots of the status panel go to --out (hls.png, dash.png).

import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startStaticServer } from './static-server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

const USAGE = 'usage: node play.mjs --hls URL --dash URL [--out DIR] [--timeout SECONDS] [--chromium PATH]';

/** Time reserved for the cross-codec attempt, on top of --timeout (it is reported, not required). */
const CROSS_BUDGET_S = 15;

function usage(message) {
  console.error(`play.mjs: ${message}\n${USAGE}`);
  process.exit(2);
}

let opts;
try {
  ({ values: opts } = parseArgs({
    options: {
      hls: { type: 'string' },
      dash: { type: 'string' },
      out: { type: 'string', default: join(here, 'screenshots') },
      timeout: { type: 'string', default: '30' },
      chromium: { type: 'string', default: '/usr/bin/chromium' },
    },
  }));
} catch (e) {
  usage(e.message);
}
if (!opts.hls || !opts.dash) usage('both --hls and --dash are required');
const timeoutS = Number(opts.timeout);
if (!(timeoutS > 0)) usage(`--timeout must be a positive number of seconds, not ${opts.timeout}`);
if (!existsSync(opts.chromium)) {
  usage(`${opts.chromium} not found: install Debian's chromium (scripts/setup.sh does)`);
}
const outDir = resolve(opts.out);
await mkdir(outDir, { recursive: true });

let chromium;
let routes;
try {
  ({ chromium } = await import('playwright-core'));
  routes = {
    '/vendor/hls.min.js': require.resolve('hls.js/dist/hls.min.js'),
    '/vendor/shaka-player.compiled.js': require.resolve('shaka-player/dist/shaka-player.compiled.js'),
  };
} catch (e) {
  console.error(`play.mjs: ${e.message}\nplay.mjs: run scripts/setup.sh (it runs npm ci in tests/browser)`);
  process.exit(2);
}

const { server, origin } = await startStaticServer({ root: join(here, 'page'), routes });

let browser;
try {
  browser = await chromium.launch({
    executablePath: opts.chromium,
    headless: true,
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'],
  });
} catch (e) {
  server.close();
  console.error(`play.mjs: cannot start ${opts.chromium}: ${e.message}`);
  process.exit(2);
}

/**
 * Runs one scenario (`runHls` in page/run-hls.js, `runDash` in page/run-dash.js) in a fresh
 * browser context and collects what the page itself cannot see: console messages, uncaught
 * errors, failed requests.
 */
async function runPlayer(kind, fn, url) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 820 } });
  const page = await context.newPage();
  const consoleErrors = [];
  const pageErrors = [];
  const networkFailures = [];
  let streamRequests = 0; // requests that left the page's origin: the stream's, all cross-origin
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('requestfailed', (req) => {
    networkFailures.push({ url: req.url(), status: null, failure: req.failure()?.errorText ?? 'failed' });
  });
  page.on('response', (res) => {
    if (res.status() >= 400) networkFailures.push({ url: res.url(), status: res.status(), failure: res.statusText() });
  });
  page.on('request', (req) => {
    if (new URL(req.url()).origin !== origin) streamRequests += 1;
  });

  const budgetMs = timeoutS * 1000;
  let result;
  let timer;
  try {
    await page.goto(`${origin}/?player=${kind}`);
    await page.waitForFunction(() => typeof window.runHls === 'function' && typeof window.runDash === 'function', null, {
      timeout: 10_000,
    });
    const guard = new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out: the ${kind} scenario did not finish within ${timeoutS + CROSS_BUDGET_S + 10} s`)),
        budgetMs + CROSS_BUDGET_S * 1000 + 10_000,
      );
    });
    result = await Promise.race([
      page.evaluate(([f, u, b, c]) => window[f](u, b, c), [fn, url, budgetMs, CROSS_BUDGET_S * 1000]),
      guard,
    ]);
  } catch (e) {
    result = { ok: false, url, failure: e.message };
  } finally {
    clearTimeout(timer);
  }
  const screenshot = join(outDir, `${kind}.png`);
  try {
    await page.screenshot({ path: screenshot, fullPage: true });
    result.screenshot = screenshot;
  } catch (e) {
    result.screenshot = null;
    result.screenshotError = e.message;
  }
  await context.close();
  Object.assign(result, { consoleErrors, pageErrors, networkFailures, streamRequests });
  // A player may ride out a failed request, but a stream server must not produce one. Aborts are
  // the players' own doing (a rendition switch cancels the fragment in flight) and do not count.
  const hard = networkFailures.filter((f) => f.failure !== 'net::ERR_ABORTED');
  if (result.ok && hard.length > 0) {
    result.ok = false;
    result.failure = `${hard.length} failed request(s), first: ${hard[0].status ?? ''} ${hard[0].failure} ${hard[0].url}`;
  }
  if (result.ok && pageErrors.length > 0) {
    result.ok = false;
    result.failure = `uncaught page error: ${pageErrors[0]}`;
  }
  return result;
}

const report = { chromium: browser.version(), pageOrigin: origin, timeoutSeconds: timeoutS };
try {
  report.hls = await runPlayer('hls', 'runHls', opts.hls);
  report.dash = await runPlayer('dash', 'runDash', opts.dash);
} finally {
  await browser.close();
  server.close();
}
report.ok = Boolean(report.hls.ok && report.dash.ok);
console.log(JSON.stringify(report, null, 2));
for (const kind of ['hls', 'dash']) {
  const r = report[kind];
  const cross = r.crossCodecSwitch;
  console.error(
    `play.mjs: ${kind}: ${r.ok ? 'PASS' : `FAIL: ${r.failure}`}` +
      (cross ? `; cross-codec switch ${cross.ok ? 'worked' : `did not work (${cross.error})`}` : ''),
  );
}
process.exit(report.ok ? 0 : 1);
