// The web app in a real Chromium against a real `backbeat demo`: every role signs in through
// the login form and does its work the way a person would (keyboard in the annotation
// workspace, drag and drop for uploads), the API is then asked whether what was done is what
// is stored, axe-core checks every page, and every page is photographed at 360 and 1440 px.
//
//   node webapp.mjs --base http://127.0.0.1:PORT --demo DATA_DIR/demo.json --upload FILE
//                   [--out DIR] [--chromium /usr/bin/chromium]
//
// Prints a JSON report; exit status 0 when every step passed, 1 otherwise, 2 on bad usage.
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, join } from "node:path";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const base = arg("--base");
const demoFile = arg("--demo");
const uploadFile = arg("--upload");
const out = arg("--out", "screenshots");
const executablePath = arg("--chromium", "/usr/bin/chromium");
if (!base || !demoFile || !uploadFile) {
  console.error("usage: node webapp.mjs --base URL --demo demo.json --upload FILE [--out DIR]");
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const demo = JSON.parse(readFileSync(demoFile, "utf8"));
const login = (role, n = 0) => demo.logins.filter((l) => l.role === role)[n];
const project = demo.projectId;

const report = { ok: true, steps: [], axe: {}, screenshots: [] };
function check(name, cond, detail) {
  report.steps.push({ name, ok: !!cond, detail });
  if (!cond) report.ok = false;
  return !!cond;
}

/** The API as a signed-in role sees it (for checking what the UI stored). */
async function apiAs(role) {
  const l = login(role);
  const t = await (await fetch(`${base}/api/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: l.email, password: l.password }) })).json();
  return async (path, init = {}) => {
    const r = await fetch(`${base}/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${t.accessToken}`, "content-type": "application/json", ...(init.headers ?? {}) } });
    return { status: r.status, body: r.status === 204 ? null : await r.json() };
  };
}

/** The beat grid the built-in model gave an item (what the workspace draws and adopts). */
async function modelBeatsOf(item) {
  const admin = await apiAs("admin");
  const stored = await admin(`/annotation/items/${item}`);
  return stored.body.annotations.find((a) => a.stage === "model")?.answers?.beats ?? [];
}

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox", "--autoplay-policy=no-user-gesture-required"] });
const errors = [];

/** Every page counts its layout shifts (Cumulative Layout Shift, as Core Web Vitals does). */
const CLS_OBSERVER = `
  window.__cls = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) window.__cls += e.value;
  }).observe({ type: "layout-shift", buffered: true });
`;

async function newContext(width = 1440) {
  const context = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: true });
  await context.addInitScript(CLS_OBSERVER);
  return context;
}

/** No layout jump when data arrives: the page's layout shift stays "good" (< 0.1). */
async function stable(page, name) {
  await page.waitForTimeout(300);
  const cls = await page.evaluate(() => window.__cls);
  check(`${name}: no layout jump as data arrives (CLS ${cls.toFixed(3)} < 0.1)`, cls < 0.1, { cls });
}

async function session(role, width = 1440) {
  const context = await newContext(width);
  const page = await context.newPage();
  page.on("pageerror", (e) => errors.push(`${role}: ${e.message}`));
  const l = login(role);
  await page.goto(`${base}/`);
  await page.waitForURL(/\/login/);
  await page.getByLabel("E-mail").fill(l.email);
  await page.getByLabel("Password").fill(l.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));
  return { context, page };
}

/** axe-core on the page as it is; serious and critical violations fail the run. */
async function axe(page, name) {
  await page.addScriptTag({ content: AXE });
  const r = await page.evaluate(async () => {
    const res = await window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] });
    return res.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help, target: v.nodes[0]?.target }));
  });
  report.axe[name] = r;
  const bad = r.filter((v) => v.impact === "serious" || v.impact === "critical");
  check(`axe: no serious violations on ${name}`, bad.length === 0, bad);
}

/**
 * The page at both widths. The 360 px shot resizes this same page rather than opening the URL
 * again: a second workspace tab would claim another item (or find none), so the narrow shot would
 * show a different page. The layout shift the resize itself causes is not the page's doing, so
 * the CLS tally is put back afterwards.
 */
async function shoot(page, name, atNarrow = async () => {}) {
  await page.waitForTimeout(300);
  const wide = join(out, `${name}-1440.png`);
  await page.screenshot({ path: wide, fullPage: true });
  const viewport = page.viewportSize();
  const cls = await page.evaluate(() => window.__cls);
  await page.setViewportSize({ width: 360, height: 780 });
  await page.waitForTimeout(600);
  const small = join(out, `${name}-360.png`);
  await page.screenshot({ path: small, fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(`${name} fits 360 px without sideways scrolling`, overflow <= 1, { overflow });
  await atNarrow();
  await page.setViewportSize(viewport);
  await page.waitForTimeout(300);
  await page.evaluate((v) => (window.__cls = v), cls);
  report.screenshots.push(basename(wide), basename(small));
}

async function step(name, f) {
  try {
    await f();
  } catch (e) {
    check(name, false, String(e?.stack ?? e));
  }
}

// Login page first, signed out.
await step("login page", async () => {
  const context = await newContext();
  const page = await context.newPage();
  await page.goto(`${base}/`);
  await page.waitForURL(/\/login/);
  await page.waitForLoadState("networkidle");
  const js = await page.evaluate(() =>
    performance
      .getEntriesByType("resource")
      .concat(performance.getEntriesByType("navigation"))
      .filter((e) => e.name.endsWith(".js"))
      .reduce((a, e) => a + e.encodedBodySize, 0),
  );
  check(`the first load is at most 250 KB of compressed JS (${(js / 1024).toFixed(1)} KB)`, js > 0 && js <= 250 * 1024, { js });
  await page.getByLabel("E-mail").fill("nobody@demo.backbeat");
  await page.getByLabel("Password").fill("wrong-password");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  const alert = page.getByRole("alert");
  await alert.waitFor();
  check("a refused sign-in shows the problem's title", /authentication|unauth|invalid|password/i.test(await alert.innerText()), await alert.innerText());
  await axe(page, "login");
  await shoot(page, "login");
  await context.close();
});

// A listener searches, plays a track through HLS, toggles normalisation; annotation is 403.
await step("listener", async () => {
  const { context, page } = await session("listener");
  const admin = await apiAs("admin");
  const list = await admin("/tracks?limit=50");
  const track = list.body.items.find((t) => t.status === "ready");
  const word = track.title.split(/\s+/)[0];
  await page.getByLabel("Search tracks, albums and artists").fill(word.slice(0, Math.max(3, word.length - 1)));
  const results = page.getByTestId("search-results");
  await results.getByRole("link", { name: track.title }).first().waitFor({ timeout: 10_000 });
  check("search as you type finds the track", true, word);
  await axe(page, "search");
  await shoot(page, "search");
  await results.getByRole("link", { name: track.title }).first().click();
  await page.waitForURL(/\/tracks\//);
  await page.getByTestId("waveform").waitFor();
  await page.getByTestId("bpm").waitFor();
  // The tempo curve: drawn, and said in words (the demo grooves keep one tempo for 30 s).
  const curve = page.getByTestId("tempo-curve");
  await curve.waitFor();
  const curveSaid = await curve.getAttribute("aria-label");
  const tempoShown = (await page.getByTestId("bpm").textContent()).match(/^([\d.]+) BPM/)?.[1];
  check(
    "the tempo curve is drawn and spoken (a steady groove: steady, at the tempo the page reports)",
    tempoShown !== undefined &&
      curveSaid === `Tempo curve: steady at ${tempoShown} BPM` &&
      Number(await curve.getAttribute("data-points")) >= 10,
    { curveSaid, tempoShown, points: await curve.getAttribute("data-points") },
  );
  await stable(page, "track page");
  // The overview strip: the whole track under a zoomed-in view; End moves the window to the
  // end, a click centres it where it lands.
  const wave = page.getByTestId("waveform");
  const strip = page.getByTestId("waveform-overview");
  await page.waitForSelector('[data-testid="waveform-overview"][data-loaded="true"]', { timeout: 10_000 });
  const span = async () => ({ start: Number(await wave.getAttribute("data-start")), end: Number(await wave.getAttribute("data-end")) });
  const whole = await span();
  await wave.focus();
  for (let i = 0; i < 3; i++) await page.keyboard.press("+");
  const zoomed = await span();
  await strip.focus();
  await page.keyboard.press("End");
  const atEnd = await span();
  const box = await strip.boundingBox();
  await page.mouse.click(box.x + box.width * 0.25, box.y + box.height / 2);
  const centred = await span();
  const mid = (centred.start + centred.end) / 2;
  check(
    "the overview strip moves a zoomed view (End, then a click at a quarter centres it there)",
    zoomed.end - zoomed.start < (whole.end - whole.start) * 0.6 &&
      Math.abs(atEnd.end - whole.end) < 0.05 &&
      Math.abs(mid - whole.end * 0.25) < 0.5,
    { whole, zoomed, atEnd, centred },
  );
  await page.getByTestId("play-track").click();
  const rendition = page.getByTestId("rendition");
  await page.waitForFunction(() => (document.querySelector(".player audio")?.currentTime ?? 0) > 1.0, null, { timeout: 20_000 });
  const what = await rendition.innerText();
  check("the player plays through HLS and currentTime advances", /HLS/.test(what), what);
  const gainOn = await page.getByTestId("normalize-gain").innerText();
  await page.getByTestId("normalize").click();
  const gainOff = await page.getByTestId("normalize-gain").innerText();
  const t1 = await page.evaluate(() => document.querySelector(".player audio").currentTime);
  await page.waitForTimeout(800);
  const t2 = await page.evaluate(() => document.querySelector(".player audio").currentTime);
  check("normalisation toggles without stopping playback", /dB/.test(gainOn) && /off/.test(gainOff) && t2 > t1, { gainOn, gainOff, t1, t2 });
  // A quality picked by hand plays at once and is remembered; "Auto" hands back to the player.
  const quality = page.getByTestId("quality");
  const options = await quality.locator("option").allInnerTexts();
  const pick = options.filter((o) => o !== "Auto").at(-1);
  await quality.selectOption({ label: pick });
  await page.waitForFunction((want) => document.querySelector('[data-testid="rendition"]')?.textContent === `HLS · ${want}`, pick, { timeout: 15_000 });
  const p1 = await page.evaluate(() => document.querySelector(".player audio").currentTime);
  await page.waitForTimeout(1000);
  const p2 = await page.evaluate(() => document.querySelector(".player audio").currentTime);
  const remembered = await page.evaluate(() => localStorage.getItem("backbeat.quality"));
  check("a quality picked by hand plays at once and is remembered", p2 > p1 && remembered === pick.split(" ").slice(0, 2).join("-").toLowerCase(), { options, pick, p1, p2, remembered });
  await quality.selectOption({ label: "Auto" });
  await page.waitForFunction(() => document.querySelector('[data-testid="rendition"]')?.textContent?.endsWith("(auto)"), null, { timeout: 15_000 });
  check("\"Auto\" hands the choice back to the player", (await page.evaluate(() => localStorage.getItem("backbeat.quality"))) === "auto");
  await axe(page, "track");
  // On a phone the tempo curve takes the card's width, so its axis labels stay legible.
  await shoot(page, "track", async () => {
    const width = (await page.getByTestId("tempo-curve").boundingBox())?.width ?? 0;
    check("the tempo curve spans the card at 360 px", width >= 260, { width });
  });
  // Silent refresh: an access token about to expire is renewed before the request; one the
  // server refuses (401) is renewed and the request sent again; the user never sees a login.
  const before = await page.evaluate(() => JSON.parse(localStorage.getItem("backbeat.session")));
  await page.evaluate(() => {
    const s = JSON.parse(localStorage.getItem("backbeat.session"));
    s.accessExpiresAt = Date.now() + 1000;
    localStorage.setItem("backbeat.session", JSON.stringify(s));
  });
  await page.reload();
  await page.getByTestId("bpm").waitFor();
  const after = await page.evaluate(() => JSON.parse(localStorage.getItem("backbeat.session")));
  await page.evaluate(() => {
    const s = JSON.parse(localStorage.getItem("backbeat.session"));
    s.accessToken = "not-a-token";
    s.accessExpiresAt = Date.now() + 3600_000;
    localStorage.setItem("backbeat.session", JSON.stringify(s));
  });
  await page.goto(`${base}/?browse=albums`);
  await page.locator(".tile").first().waitFor();
  const third = await page.evaluate(() => JSON.parse(localStorage.getItem("backbeat.session")));
  check(
    "an expiring or refused access token is refreshed silently",
    !page.url().includes("/login") && after.refreshToken !== before.refreshToken && third.accessToken !== "not-a-token" && third.refreshToken !== after.refreshToken,
    { url: page.url() },
  );
  await stable(page, "album list");
  await page.goto(`${base}/?browse=playlists`);
  await page.getByRole("link", { name: "Demo picks" }).click();
  await page.getByTestId("track-list").locator("li").first().waitFor();
  const rows = await page.getByTestId("track-list").locator("li").count();
  check("the demo's public playlist lists its tracks", rows >= 1, rows);
  // Long since signed in, the menu knows the listener is in no annotation project.
  const annotateLinks = await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Annotate" }).count();
  check("a listener in no project has no Annotate menu item", annotateLinks === 0, annotateLinks);
  await shoot(page, "playlist");
  await page.goto(`${base}/annotate/${project}`);
  const alert = page.getByRole("alert").first();
  await alert.waitFor();
  const text = await alert.innerText();
  check("a listener gets the annotation workspace's 403 as a problem", /forbidden/i.test(text) && /403/.test(text), text);
  await shoot(page, "listener-annotate-403");
  await context.close();
});

// An annotator draws two overlapping regions and taps 8 beats with the keyboard, answers the
// clip questions and submits; the API must hold exactly that.
await step("annotator", async () => {
  const { context, page } = await session("annotator");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Annotate" }).waitFor({ timeout: 10_000 });
  await page.goto(`${base}/annotate`);
  await page.getByRole("link", { name: "Start working" }).first().waitFor();
  await axe(page, "annotate-projects");
  await shoot(page, "annotate-projects");
  await page.goto(`${base}/annotate/${project}`);
  const ws = page.getByTestId("workspace");
  await ws.waitFor({ timeout: 15_000 });
  const item = Number(await ws.getAttribute("data-item"));
  await page.getByTestId("waveform").waitFor();
  // The project shows the model's answers: its beat grid is summarised (and drawn).
  const modelBeats = await modelBeatsOf(item);
  const summary = await page.getByTestId("model-summary").innerText().catch(() => "");
  check("the annotator sees the model's beat grid", modelBeats.length > 0 && summary.includes(`Beats: ${modelBeats.length} markers`), { summary, model: modelBeats.length });
  // Start playing with the keyboard, from the page (not from a field).
  await page.locator("body").click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("Space");
  await page.waitForFunction(() => (document.querySelector("[data-testid=item-audio]")?.currentTime ?? 0) > 0.3, null, { timeout: 20_000 });
  // The script's clock: performance.now() of each key press, against one reading of the
  // media clock taken at a known performance.now().
  await page.evaluate(() => {
    const a = document.querySelector("[data-testid=item-audio]");
    window.__ref = { perf: performance.now(), media: a.currentTime };
    window.__taps = [];
    window.__marks = [];
    document.addEventListener("keydown", (e) => {
      if (e.key === "b" || e.key === "n") window.__taps.push(e.timeStamp);
      if (e.key === "r") window.__marks.push(e.timeStamp);
    }, true);
  });
  const sleep = (ms) => page.waitForTimeout(ms);
  // Region A: r … r, 1.2 s apart.
  await page.keyboard.press("r");
  await sleep(1200);
  await page.keyboard.press("r");
  // Region B after it, then its start pulled back 0.5 s into A with Shift+← (50 ms a press).
  await sleep(300);
  await page.keyboard.press("r");
  await sleep(900);
  await page.keyboard.press("r");
  for (let i = 0; i < 16; i++) await page.keyboard.press("Shift+ArrowLeft");
  await page.keyboard.press("2");
  // 8 beats, a downbeat every fourth.
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press(i % 4 === 0 ? "n" : "b");
    await sleep(350);
  }
  // A second reading of both clocks, still playing: under load the player's clock can run a
  // little off the page's, and each press is then placed on the line through both readings.
  await page.evaluate(() => {
    const a = document.querySelector("[data-testid=item-audio]");
    window.__ref2 = { perf: performance.now(), media: a.currentTime };
  });
  await page.keyboard.press("Space");
  // The selected region's attribute question (the schema's `attributes`).
  await page.getByTestId("region-attributes").getByLabel("yes").check();
  // A third region drawn with the mouse on the lanes, then deleted with the keyboard.
  const lanes = await page.getByTestId("lanes").boundingBox();
  await page.mouse.move(lanes.x + lanes.width * 0.6, lanes.y + lanes.height - 6);
  await page.mouse.down();
  await page.mouse.move(lanes.x + lanes.width * 0.8, lanes.y + lanes.height - 6, { steps: 8 });
  await page.mouse.up();
  const drawn = await page.$$eval("[data-testid=region]", (els) => els.length);
  check("a region can be drawn with the mouse", drawn === 3, drawn);
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press("Delete");
  const lanesTops = await page.$$eval("[data-testid=region]", (els) => els.map((e) => e.style.top));
  check("two overlapping regions are drawn in two lanes", lanesTops.length === 2 && lanesTops[0] !== lanesTops[1], lanesTops);
  // Clip questions: whatever the model left open.
  for (const fs of await page.$$("fieldset.question, div.question")) {
    const name = await fs.getAttribute("data-question");
    const radio = await fs.$("input[type=radio]");
    if (radio) {
      await radio.check();
      continue;
    }
    const num = await fs.$("input[type=number]");
    if (num) {
      await num.fill("120");
      continue;
    }
    const select = await fs.$("select");
    if (select && name === "key") {
      await select.selectOption("A");
    }
  }
  // Out of the answer fields (keys typed there stay there), then ? opens the sheet.
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press("?");
  await page.getByTestId("shortcuts").waitFor();
  await shoot(page, "workspace-shortcuts");
  await page.keyboard.press("Escape");
  await stable(page, "workspace");
  await axe(page, "workspace");
  await shoot(page, "workspace");
  const ref = await page.evaluate(() => ({ ref: window.__ref, ref2: window.__ref2, taps: window.__taps, marks: window.__marks }));
  // Media seconds per page second between the two readings (1 when the clocks agree).
  const rate = (ref.ref2.media - ref.ref.media) / ((ref.ref2.perf - ref.ref.perf) / 1000);
  const mediaAt = (ts) => ref.ref.media + (rate * (ts - ref.ref.perf)) / 1000;
  await page.getByTestId("submit").focus();
  await page.keyboard.press("Control+Enter");
  await page.waitForFunction((id) => document.querySelector("[data-testid=workspace]")?.getAttribute("data-item") !== String(id), item, { timeout: 15_000 }).catch(() => undefined);
  const admin = await apiAs("admin");
  const stored = await admin(`/annotation/items/${item}`);
  const mine = stored.body.annotations.filter((a) => a.stage === "open").at(-1);
  const beats = mine?.answers?.beats ?? [];
  const expected = ref.taps.map(mediaAt);
  const errs = beats.map((b, i) => Math.abs(b.time - expected[i]));
  check("the API holds the 8 tapped markers, each within 20 ms of the script's clock", beats.length === 8 && errs.every((e) => e < 0.02), { beats, expected, errs, rate });
  check("downbeats are the 1st and 5th taps", beats.length === 8 && beats[0].label === "downbeat" && beats[4].label === "downbeat" && beats[1].label === "beat", beats.map((b) => b.label));
  const sections = mine?.answers?.sections ?? [];
  const overlap = sections.length === 2 && sections[1].start < sections[0].end;
  check("the API holds the two overlapping regions", overlap, sections);
  check("the second region carries the attribute set in its editor", sections[1]?.attributes?.instrumental === "yes", sections[1]);
  const markTimes = ref.marks.map(mediaAt);
  check(
    "region A spans the two R presses (within 20 ms)",
    sections.length === 2 && Math.abs(sections[0].start - markTimes[0]) < 0.02 && Math.abs(sections[0].end - markTimes[1]) < 0.02,
    { sections, markTimes },
  );
  await context.close();
});

// The expert takes an escalated item, sees the annotators side by side, and resolves it.
await step("expert", async () => {
  const { context, page } = await session("expert");
  await page.goto(`${base}/annotate/${project}`);
  const review = page.getByTestId("review");
  await review.waitFor({ timeout: 15_000 });
  const item = Number(await page.getByTestId("workspace").getAttribute("data-item"));
  const state = await page.getByTestId("workspace").getAttribute("data-state");
  check("the expert is given an escalated item with the answers side by side", state === "expert", state);
  await axe(page, "expert-review");
  await shoot(page, "expert-review");
  await page.getByRole("button", { name: /Start from A/ }).click();
  // The expert keeps A's other answers and takes the model's beat grid instead of A's taps.
  await page.locator("body").click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("Shift+M");
  const modelBeats = await modelBeatsOf(item);
  const status = await page.getByTestId("marker-status").innerText();
  check("Shift+M takes the model's beat grid", modelBeats.length > 0 && status.startsWith(`${modelBeats.length} beats`), { status, model: modelBeats.length });
  await page.getByTestId("submit").click();
  await page.waitForFunction((id) => document.querySelector("[data-testid=workspace]")?.getAttribute("data-item") !== String(id), item, { timeout: 15_000 }).catch(() => undefined);
  const admin = await apiAs("admin");
  const stored = await admin(`/annotation/items/${item}`);
  check("the escalated item is resolved by the expert", stored.body.item.state === "resolved" || stored.body.item.state === "review", stored.body.item);
  const expertBeats = stored.body.annotations.find((a) => a.stage === "expert")?.answers?.beats ?? [];
  check(
    "the expert's answer holds the model's beats",
    expertBeats.length === modelBeats.length && expertBeats.every((b, i) => Math.abs(b.time - modelBeats[i].time) < 0.001),
    { expert: expertBeats.length, model: modelBeats.length },
  );
  await context.close();
});

// QA reviews a resolved item: accepts it with a comment.
await step("qa", async () => {
  const { context, page } = await session("qa");
  await page.goto(`${base}/annotate/${project}`);
  await page.getByTestId("verdict").waitFor({ timeout: 15_000 });
  const ws = page.getByTestId("workspace");
  const item = Number(await ws.getAttribute("data-item"));
  check("QA is given an item under review", (await ws.getAttribute("data-state")) === "review", item);
  await page.getByLabel("Comment").fill("Checked the tempo against the beats: fine.");
  await axe(page, "qa-review");
  await shoot(page, "qa-review");
  await page.getByTestId("submit").click();
  await page.waitForFunction((id) => document.querySelector("[data-testid=workspace]")?.getAttribute("data-item") !== String(id), item, { timeout: 15_000 }).catch(() => undefined);
  const admin = await apiAs("admin");
  const stored = await admin(`/annotation/items/${item}`);
  const verdict = stored.body.annotations.find((a) => a.verdict);
  check("the QA verdict and comment are stored and the item resolved", stored.body.item.state === "resolved" && verdict?.verdict === "accept" && /tempo/.test(verdict?.comment ?? ""), { item: stored.body.item, verdict });
  await context.close();
});

// The project manager's dashboard.
await step("admin dashboard", async () => {
  const { context, page } = await session("admin");
  await page.goto(`${base}/dashboard/${project}`);
  await page.getByTestId("stats").waitFor({ timeout: 15_000 });
  await page.waitForTimeout(500);
  await stable(page, "dashboard");
  const svgs = await page.$$eval(".chart svg", (s) => s.length);
  check("the dashboard draws its plots", svgs >= 3, svgs);
  // A period with no work in it: the figures follow it, and "All time" brings them back.
  const answers = () => page.getByTestId("stats").locator(".stat", { hasText: "Answers" }).locator("strong").innerText();
  const allTime = await answers();
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  await page.getByLabel("From").fill(tomorrow);
  await page.waitForFunction(() => [...document.querySelectorAll(".stat")].some((e) => e.innerText.startsWith("Answers") && e.querySelector("strong")?.innerText === "0"), null, { timeout: 10_000 }).catch(() => undefined);
  const empty = await answers();
  await page.getByRole("button", { name: "All time" }).click();
  await page.waitForFunction((n) => [...document.querySelectorAll(".stat")].some((e) => e.innerText.startsWith("Answers") && e.querySelector("strong")?.innerText === n), allTime, { timeout: 10_000 }).catch(() => undefined);
  check("the dashboard's period picker narrows the figures", Number(allTime) > 0 && empty === "0" && (await answers()) === allTime, { allTime, empty });
  await axe(page, "dashboard");
  await shoot(page, "dashboard");
  await page.goto(`${base}/?browse=albums`);
  await page.locator(".tile").first().waitFor();
  await shoot(page, "catalog-albums");
  await context.close();
});

// The artist drops a file on the upload page and watches it become ready.
await step("artist upload", async () => {
  const { context, page } = await session("artist");
  await page.goto(`${base}/upload`);
  await page.getByTestId("dropzone").waitFor();
  await page.getByTestId("upload-album").locator("option").first().waitFor({ state: "attached" });
  const bytes = [...readFileSync(uploadFile)];
  const name = basename(uploadFile);
  const dt = await page.evaluateHandle(({ bytes, name }) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], name, { type: "audio/flac" }));
    return dt;
  }, { bytes, name });
  await page.dispatchEvent("[data-testid=dropzone]", "dragover", { dataTransfer: dt });
  await page.dispatchEvent("[data-testid=dropzone]", "drop", { dataTransfer: dt });
  const row = page.getByTestId("upload").first();
  await row.waitFor();
  await page.waitForFunction(() => ["processing", "ready"].includes(document.querySelector("[data-testid=upload]")?.getAttribute("data-phase")), null, { timeout: 30_000 });
  await shoot(page, "upload-processing");
  await page.waitForFunction(() => ["ready", "failed"].includes(document.querySelector("[data-testid=upload]")?.getAttribute("data-phase")), null, { timeout: 180_000 });
  const phase = await row.getAttribute("data-phase");
  check("a dropped file goes through the pre-signed upload and becomes ready", phase === "ready", phase);
  await axe(page, "upload");
  await shoot(page, "upload");
  await context.close();
});

check("no uncaught page errors", errors.length === 0, errors);
await browser.close();
writeFileSync(join(out, "report.json"), JSON.stringify(report, null, 2));
console.log(JSON.stringify(report, null, 2));
process.exit(report.ok ? 0 : 1);
