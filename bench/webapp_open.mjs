// Opening an annotation item in the web app: from the claim to a drawn waveform and playable
// audio, in Chromium on loopback, for each given track; and the peer way of drawing a waveform
// (Label Studio's wavesurfer.js: download the whole file, decodeAudioData) in the same browser.
// Driven by bench/webapp_open.sh, which starts the server and makes the tracks.
//
//   node bench/webapp_open.mjs --base URL --admin EMAIL:PASSWORD --track LABEL=FILE... [--runs N]
//
// Prints one JSON object per track on stdout.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "../tests/browser/package.json"));
const { chromium } = require("playwright-core");

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const base = opt("--base");
const [adminEmail, adminPassword] = opt("--admin", ":").split(":");
const runs = Number(opt("--runs", "20"));
const tracks = argv.flatMap((a, i) => (argv[i - 1] === "--track" ? [a.split("=")] : []));

async function call(token, method, path, body) {
  const r = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const admin = (await call(null, "POST", "/auth/login", { email: adminEmail, password: adminPassword })).accessToken;
const annotatorEmail = `annotator-${Date.now()}@bench.backbeat`;
const reg = await call(null, "POST", "/auth/register", { email: annotatorEmail, password: "bench-password", displayName: "Bench", role: "listener" });
const artist = await call(admin, "POST", "/artists", { name: "Bench" });
const album = await call(admin, "POST", "/albums", { artistId: artist.id, title: "Open times" });

const made = [];
for (const [label, file] of tracks) {
  const slot = await call(admin, "GET", "/tracks/upload-url");
  const put = await fetch(slot.uploadUrl, { method: "PUT", body: readFileSync(file) });
  if (!put.ok) throw new Error(`upload of ${file}: ${put.status}`);
  const t = await call(admin, "POST", "/tracks", { albumId: album.id, title: label, trackUrl: slot.trackUrl });
  made.push({ label, file, id: t.id });
}
// Ready, with its ladder and peaks.
for (const t of made) {
  for (;;) {
    const jobs = await call(admin, "GET", `/tracks/${t.id}/jobs`);
    const state = (name) => jobs.jobs.find((j) => j.job === name)?.state;
    if (["failed", "dead"].includes(state("transcode")) || jobs.status === "failed") throw new Error(`${t.label} failed: ${JSON.stringify(jobs)}`);
    if (jobs.status === "ready" && state("transcode") === "done" && state("peaks") === "done") break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  // Two projects per track: people alone, and with the built-in model's beat grid, which then
  // comes with every claim and is drawn on the waveform (people always check it: no
  // confidence reaches the threshold of 1).
  t.projects = [];
  for (const withModel of [false, true]) {
    const p = await call(admin, "POST", "/annotation/projects", {
      name: `open ${t.label}${withModel ? " with the model" : ""}`,
      schema: { questions: [{ name: "beats", type: "markers", labels: ["beat"], required: false }] },
      settings: { hideModelAnswers: false, questions: { beats: { acceptThreshold: 1.0 } } },
    });
    await call(admin, "POST", `/annotation/projects/${p.id}/members`, { userId: reg.user.id, role: "annotator" });
    if (withModel)
      await call(admin, "POST", `/annotation/projects/${p.id}/models`, { name: "beat grid", config: { kind: "builtin", bindings: [{ question: "beats", source: "analysis:beats" }] } });
    await call(admin, "POST", `/annotation/projects/${p.id}/items`, { items: [{ trackId: t.id }] });
    await call(admin, "POST", `/annotation/projects/${p.id}/route?limit=10`, {});
    const [item] = await call(admin, "GET", `/annotation/projects/${p.id}/items`);
    const stored = await call(admin, "GET", `/annotation/items/${item.id}`);
    const beats = stored.annotations.find((a) => a.stage === "model")?.answers?.beats?.length ?? 0;
    if (withModel && beats === 0) throw new Error(`${t.label}: the model gave no beat grid`);
    t.projects.push({ id: p.id, label: withModel ? `${t.label} + the model's ${beats.toLocaleString("en")} beats` : t.label });
  }
  t.stream = await call(admin, "GET", `/tracks/${t.id}/stream`);
}

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--autoplay-policy=no-user-gesture-required"] });
const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
const page = await context.newPage();
await page.goto(`${base}/login`);
await page.getByLabel("E-mail").fill(annotatorEmail);
await page.getByLabel("Password").fill("bench-password");
await page.getByRole("button", { name: "Sign in", exact: true }).click();
await page.waitForURL((u) => !u.pathname.startsWith("/login"));
const annotator = (await call(null, "POST", "/auth/login", { email: annotatorEmail, password: "bench-password" })).accessToken;

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

for (const t of made) for (const [variant, project] of t.projects.entries()) {
  const open = [];
  const bytes = [];
  const claims = [];
  let claimBytes = 0;
  // One warm-up: the app's files and hls.js enter the browser cache, as for anyone working.
  for (let i = 0; i <= runs; i++) {
    // A fresh page each time: the claim, the track, its peaks and its stream fetched anew.
    await page.goto(`${base}/annotate/${project.id}`);
    try {
      await page.waitForFunction(() => performance.getEntriesByName("backbeat:item-ready").length > 0, null, { timeout: 30_000 });
    } catch (e) {
      const state = await page.evaluate(() => {
        const a = document.querySelector("[data-testid=item-audio]");
        return {
          marks: performance.getEntriesByType("mark").map((m) => m.name),
          audio: a && { readyState: a.readyState, error: a.error?.code ?? null },
          main: document.querySelector("main")?.innerText.slice(0, 400),
        };
      });
      throw new Error(`${t.label}, open ${i}: not ready in 30 s: ${JSON.stringify(state)}`);
    }
    const r = await page.evaluate(() => {
      const claim = performance.getEntriesByName("backbeat:claim").at(-1);
      const ready = performance.getEntriesByName("backbeat:item-ready").at(-1);
      const peaks = performance.getEntriesByType("resource").filter((e) => e.name.includes("peaks.dat"));
      const claimed = performance.getEntriesByType("resource").filter((e) => e.name.endsWith("/claim")).at(-1);
      return {
        ms: ready.startTime - claim.startTime,
        peaksBytes: peaks.reduce((a, e) => a + (e.encodedBodySize || 0), 0),
        claimMs: claimed ? claimed.responseEnd - claimed.startTime : NaN,
        claimBytes: claimed?.encodedBodySize ?? 0,
      };
    });
    if (i > 0) {
      open.push(r.ms);
      bytes.push(r.peaksBytes);
      claims.push(r.claimMs);
      claimBytes = r.claimBytes;
    }
    const item = Number(await page.getByTestId("workspace").getAttribute("data-item"));
    await call(annotator, "POST", `/annotation/items/${item}/postpone`);
  }
  // The peer: the whole original file, decoded in the page (what wavesurfer.js does); once
  // per track.
  const peer = [];
  for (let i = 0; i < (variant === 0 ? Math.min(5, runs) : 0); i++) {
    peer.push(
      await page.evaluate(async (url) => {
        const t0 = performance.now();
        let bytes = 0;
        try {
          const buf = await (await fetch(url, { cache: "no-store" })).arrayBuffer();
          bytes = buf.byteLength; // decodeAudioData detaches the buffer
          const ctx = new OfflineAudioContext(1, 1, 44100);
          await ctx.decodeAudioData(buf);
          return { ms: performance.now() - t0, bytes };
        } catch (e) {
          // Two hours of decoded float samples (2.5 GB) is more than a tab may hold.
          return { ms: performance.now() - t0, bytes, failed: String(e?.message ?? e) };
        }
      }, t.stream.trackUrl).catch((e) => ({ ms: NaN, bytes: 0, failed: `the page crashed: ${e.message}` })),
    );
  }
  console.log(
    JSON.stringify({
      label: project.label,
      runs: open.length,
      p50: pct(open, 50),
      p95: pct(open, 95),
      max: Math.max(...open),
      peaksBytes: pct(bytes, 50),
      claimP50: pct(claims, 50),
      claimBytes,
      peerP50: pct(peer.map((p) => p.ms), 50),
      peerBytes: peer[0]?.bytes ?? 0,
      peerFailed: peer.find((p) => p.failed)?.failed ?? null,
    }),
  );
}
await browser.close();
