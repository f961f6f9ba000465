// The in-page half of play.mjs, shared by both scenarios (run-hls.js, run-dash.js): the status
// panel a screenshot shows, waiting with deadlines, and the result object a scenario resolves to
// (scenarios never reject: failures are data).
//
// Entry points (called by play.mjs through page.evaluate):
//   window.runHls(masterUrl, budgetMs, crossBudgetMs)
//   window.runDash(mpdUrl, budgetMs, crossBudgetMs)
// `budgetMs` bounds the required steps (start, play past 2 s, same-codec switch, 2 s more);
// the cross-codec attempt, reported but not required, gets `crossBudgetMs` of its own.
'use strict';

const $ = (id) => document.getElementById(id);
const audio = $('audio');

/** Seconds of playback required before the switch and again after it. */
const ADVANCE_S = 2;

/** What the panel shows; the scenario fills it in. */
const view = { tracks: [], activeKey: null, phase: 'starting', phaseClass: '', log: [] };

function log(line, isError = false) {
  const at = audio.currentTime.toFixed(2).padStart(6);
  view.log.push({ text: `[t=${at}] ${line}`, isError });
  if (view.log.length > 14) view.log.shift();
}

function setPhase(phase, cls = '') {
  view.phase = phase;
  view.phaseClass = cls;
}

function render() {
  $('time').textContent = `${audio.currentTime.toFixed(2)} s`;
  const phase = $('phase');
  phase.textContent = view.phase;
  phase.className = `phase ${view.phaseClass}`;
  const body = $('tracks');
  body.replaceChildren(
    ...view.tracks.map((t) => {
      const tr = document.createElement('tr');
      if (t.key === view.activeKey) tr.className = 'active';
      for (const [text, cls] of [
        [t.label, ''],
        [t.codecs ?? '?', ''],
        [t.bitrate ? `${(t.bitrate / 1000).toFixed(1)} kb/s` : '?', 'num'],
        [t.ref ?? '', 'num'],
      ]) {
        const td = document.createElement('td');
        td.textContent = text;
        if (cls) td.className = cls;
        tr.append(td);
      }
      return tr;
    }),
  );
  $('log').replaceChildren(
    ...view.log.map((l) => {
      const div = document.createElement('div');
      div.textContent = l.text;
      if (l.isError) div.className = 'err';
      return div;
    }),
  );
}
setInterval(render, 100);

/** The file name of a URI: the panel is for people, the report keeps the whole URI. */
function lastSegment(uri) {
  if (!uri) return '';
  try {
    return new URL(uri).pathname.split('/').pop();
  } catch {
    return String(uri);
  }
}

/** 'aac', 'opus', or the codec string itself: switches are chosen within or across families. */
function codecFamily(codecs) {
  const c = (codecs ?? '').toLowerCase();
  if (c.startsWith('mp4a')) return 'aac';
  if (c.includes('opus')) return 'opus';
  return c || 'unknown';
}

/** Shared by both scenarios: the fatal error that ends the run early, if any. */
let fatal = null;

/**
 * Polls `cond` every 50 ms until truthy; rejects with a message naming `what` on timeout or as
 * soon as the player reports a fatal error.
 */
function waitFor(what, cond, ms) {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      let value;
      try {
        value = cond();
      } catch (e) {
        reject(e);
        return;
      }
      if (value) resolve(value);
      else if (fatal) reject(new Error(`fatal player error while waiting for ${what}: ${fatal}`));
      else if (audio.error)
        reject(new Error(`media element error ${audio.error.code} while waiting for ${what}: ${audio.error.message}`));
      else if (performance.now() - start > ms)
        reject(new Error(`timed out after ${(ms / 1000).toFixed(1)} s waiting for ${what} (currentTime ${audio.currentTime.toFixed(2)} s, readyState ${audio.readyState}, paused ${audio.paused})`));
      else setTimeout(tick, 50);
    };
    tick();
  });
}

/** Rejects with a message naming `what` if `promise` has not settled within `ms`. */
function withDeadline(promise, what, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${(ms / 1000).toFixed(1)} s waiting for ${what}`)), Math.max(0, ms));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function showSource(url) {
  $('src').textContent = url;
  let streamOrigin = '?';
  try {
    streamOrigin = new URL(url).origin;
  } catch {
    // An unparsable URL fails in the player, with its own error.
  }
  const chrome = /Chrome\/[\d.]+/.exec(navigator.userAgent)?.[0] ?? navigator.userAgent;
  $('env').textContent = `page ${location.origin} → stream ${streamOrigin} (${streamOrigin === location.origin ? 'SAME origin' : 'cross-origin'}) · ${chrome}`;
}

/** One line per switch for the panel, e.g. "same-codec switch level 2 → level 0: ok". */
function describeSwitch(title, sw, label) {
  if (!sw) return `${title}: not tried`;
  const codecs = sw.fromCodec ? ` (${sw.fromCodec} → ${sw.toCodec})` : '';
  const route = sw.to != null ? ` ${label} ${sw.from} → ${label} ${sw.to}${codecs}` : '';
  return `${title}${route}: ${sw.ok ? `ok, played ${sw.switchedAt.toFixed(2)} → ${sw.reached.toFixed(2)} s` : `FAILED: ${sw.error}`}`;
}

function newResult(player, version, url) {
  return {
    player,
    version,
    url,
    pageOrigin: location.origin,
    ok: false,
    reachedTime: null,
    tracks: [],
    initialTrack: null,
    switch: null,
    crossCodecSwitch: null,
    finalTime: null,
    decodedAudioBytes: null,
    errors: [],
    failure: null,
  };
}

function finish(r, failure) {
  r.failure = failure ?? null;
  r.ok = !failure;
  r.finalTime = audio.currentTime;
  r.decodedAudioBytes = audio.webkitAudioDecodedByteCount ?? null;
  // Codec families that played at least 2 s: the starting one, then each switch that held.
  const played = new Set();
  if (r.reachedTime != null && r.initialTrack) played.add(r.initialTrack.family);
  for (const sw of [r.switch, r.crossCodecSwitch]) {
    const to = sw?.ok ? r.tracks.find((t) => t.key === sw.to) : null;
    if (to) played.add(to.family);
  }
  r.codecsPlayed = [...played];
  const label = r.player === 'hls.js' ? 'level' : 'variant';
  $('summary').replaceChildren(
    ...[
      describeSwitch('same-codec switch', r.switch, label),
      describeSwitch('cross-codec switch (reported, not required)', r.crossCodecSwitch, label),
    ].map((text) => {
      const div = document.createElement('div');
      div.textContent = text;
      return div;
    }),
  );
  if (failure) {
    log(`FAILED: ${failure}`, true);
    setPhase('FAILED', 'fail');
  } else {
    log('all checks passed');
    setPhase('PASSED', 'ok');
  }
  render();
  return r;
}

async function startPlayback(r, deadline) {
  try {
    await audio.play();
  } catch (e) {
    // Not fatal yet: the wait below decides. Autoplay refusals land here.
    r.errors.push({ source: 'audio.play()', message: String(e) });
    log(`audio.play() rejected: ${e}`, true);
  }
  setPhase(`playing: waiting for currentTime > ${ADVANCE_S} s`);
  await waitFor(`currentTime > ${ADVANCE_S} s`, () => audio.currentTime > ADVANCE_S, deadline - performance.now());
  r.reachedTime = audio.currentTime;
  log(`currentTime ${audio.currentTime.toFixed(2)} s reached`);
}
