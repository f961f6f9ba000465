// HLS with hls.js: play the master playlist, switch level within the codec the player chose
// (hls.currentLevel, an immediate switch that flushes the buffer), then try another codec.
'use strict';

function hlsTrack(level, index) {
  const codecs = level.audioCodec || level.attrs?.CODECS || level.codecSet || null;
  return {
    key: index,
    label: `level ${index}`,
    index,
    bitrate: level.bitrate,
    codecs,
    family: codecFamily(codecs),
    uri: (Array.isArray(level.url) ? level.url[0] : level.url) ?? null,
    ref: level.name || lastSegment(Array.isArray(level.url) ? level.url[0] : level.url),
  };
}

window.runHls = async (url, budgetMs, crossBudgetMs) => {
  const deadline = performance.now() + budgetMs;
  const r = newResult('hls.js', typeof Hls === 'undefined' ? null : Hls.version, url);
  $('title').textContent = `Backbeat player test: HLS with hls.js ${r.version ?? '(not loaded)'}`;
  showSource(url);
  if (typeof Hls === 'undefined') return finish(r, 'hls.js did not load');
  if (!Hls.isSupported()) return finish(r, 'hls.js: MediaSource Extensions not supported');

  const hls = new Hls({ debug: false });
  window.hls = hls;
  const switched = []; // LEVEL_SWITCHED, in order
  const buffered = []; // FRAG_BUFFERED: { level, sn }
  let parsed = false;
  hls.on(Hls.Events.ERROR, (_e, d) => {
    const err = {
      fatal: d.fatal,
      type: d.type,
      details: d.details,
      reason: d.reason ?? d.error?.message ?? null,
      status: d.response?.code ?? d.networkDetails?.status ?? null,
      url: d.frag?.url ?? d.context?.url ?? d.url ?? null,
    };
    r.errors.push(err);
    log(`hls.js ${d.fatal ? 'FATAL ' : ''}error ${d.type}/${d.details}${err.status ? ` HTTP ${err.status}` : ''}${err.reason ? `: ${err.reason}` : ''}`, true);
    if (d.fatal) fatal = `${d.type}/${d.details}${err.reason ? `: ${err.reason}` : ''}`;
  });
  hls.on(Hls.Events.MANIFEST_PARSED, (_e, d) => {
    parsed = true;
    log(`manifest parsed: ${d.levels.length} levels`);
  });
  hls.on(Hls.Events.LEVEL_SWITCHED, (_e, d) => {
    switched.push({ level: d.level, at: audio.currentTime });
    view.activeKey = d.level;
    log(`LEVEL_SWITCHED to level ${d.level}`);
  });
  hls.on(Hls.Events.FRAG_BUFFERED, (_e, d) => buffered.push({ level: d.frag.level, sn: d.frag.sn }));

  /** Sets hls.currentLevel and waits for the switch to be heard: LEVEL_SWITCHED, then 2 s more. */
  async function switchTo(target, ms) {
    const end = performance.now() + ms;
    const from = hls.currentLevel;
    const nSwitched = switched.length;
    const nBuffered = buffered.length;
    log(`switching: hls.currentLevel = ${target} (from ${from})`);
    setPhase(`switching to level ${target}`);
    hls.currentLevel = target;
    const ev = await waitFor(`LEVEL_SWITCHED to level ${target}`, () => switched.slice(nSwitched).find((s) => s.level === target), end - performance.now());
    await waitFor(`a fragment of level ${target} buffered`, () => buffered.slice(nBuffered).some((b) => b.level === target), end - performance.now());
    setPhase(`level ${target}: waiting for ${ADVANCE_S} s more`);
    await waitFor(`playback to advance ${ADVANCE_S} s past ${ev.at.toFixed(2)} s on level ${target}`, () => audio.currentTime > ev.at + ADVANCE_S && !audio.paused, end - performance.now());
    if (hls.currentLevel !== target) throw new Error(`hls.currentLevel is ${hls.currentLevel} after switching to ${target}`);
    log(`level ${target} played from ${ev.at.toFixed(2)} s to ${audio.currentTime.toFixed(2)} s`);
    return { ok: true, from, to: target, switchedAt: ev.at, reached: audio.currentTime, fragmentsBuffered: buffered.slice(nBuffered).filter((b) => b.level === target).length };
  }

  try {
    setPhase('loading manifest');
    hls.loadSource(url);
    hls.attachMedia(audio);
    await waitFor('MANIFEST_PARSED', () => parsed, deadline - performance.now());
    view.tracks = r.tracks = hls.levels.map(hlsTrack);
    await startPlayback(r, deadline);
    const current = hls.currentLevel;
    const playing = r.tracks[current];
    if (!playing) return finish(r, `hls.currentLevel is ${current} while playing`);
    r.initialTrack = playing;
    const same = r.tracks.filter((t) => t.family === playing.family && t.index !== playing.index);
    if (same.length === 0) return finish(r, `only one ${playing.family} level: no same-codec switch possible`);
    // The neighbour farthest in bitrate makes a switch unmistakable.
    same.sort((a, b) => Math.abs(b.bitrate - playing.bitrate) - Math.abs(a.bitrate - playing.bitrate));
    try {
      r.switch = await switchTo(same[0].index, deadline - performance.now());
    } catch (e) {
      r.switch = { ok: false, from: current, to: same[0].index, error: e.message };
      return finish(r, `same-codec switch: ${e.message}`);
    }
    const other = r.tracks.find((t) => t.family !== playing.family);
    if (!other) {
      r.crossCodecSwitch = { ok: false, error: 'no level of another codec in the manifest' };
    } else {
      try {
        r.crossCodecSwitch = await switchTo(other.index, crossBudgetMs);
        r.crossCodecSwitch.fromCodec = playing.codecs;
        r.crossCodecSwitch.toCodec = other.codecs;
      } catch (e) {
        // Reported, not required. A fatal error here must not fail the run after the fact.
        r.crossCodecSwitch = { ok: false, from: hls.currentLevel, to: other.index, fromCodec: playing.codecs, toCodec: other.codecs, error: e.message };
        log(`cross-codec switch failed (reported only): ${e.message}`, true);
        fatal = null;
      }
    }
    return finish(r, null);
  } catch (e) {
    return finish(r, e.message);
  }
};
