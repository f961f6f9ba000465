// DASH with Shaka Player: play the MPD, switch variant within the codec the player chose (ABR off,
// selectVariantTrack with a buffer clear), then try another codec.
'use strict';

/** shaka.util.Error codes are numbers; names make the report readable. */
function shakaErrorDetail(err) {
  const name = (table, value) => Object.keys(table ?? {}).find((k) => table[k] === value) ?? String(value);
  const E = shaka.util.Error;
  return {
    severity: name(E.Severity, err.severity),
    category: name(E.Category, err.category),
    code: err.code,
    codeName: name(E.Code, err.code),
    data: (err.data ?? []).map((d) => {
      if (d instanceof Error) return String(d);
      try {
        return JSON.parse(JSON.stringify(d));
      } catch {
        return String(d);
      }
    }),
  };
}

function shakaTrack(t) {
  const codecs = t.audioCodec || t.codecs || null;
  return {
    key: t.id,
    label: `variant ${t.id}`,
    id: t.id,
    bitrate: t.bandwidth,
    codecs,
    family: codecFamily(codecs),
    representation: t.originalAudioId ?? null,
    ref: t.originalAudioId != null ? `Representation id="${t.originalAudioId}"` : '',
  };
}

window.runDash = async (url, budgetMs, crossBudgetMs) => {
  const deadline = performance.now() + budgetMs;
  const r = newResult('shaka-player', typeof shaka === 'undefined' ? null : shaka.Player.version, url);
  $('title').textContent = `Backbeat player test: DASH with Shaka Player ${r.version ?? '(not loaded)'}`;
  showSource(url);
  if (typeof shaka === 'undefined') return finish(r, 'Shaka Player did not load');
  shaka.polyfill.installAll();
  if (!shaka.Player.isBrowserSupported()) return finish(r, 'Shaka Player: browser not supported');

  const player = new shaka.Player();
  window.shakaPlayer = player;
  const segments = []; // segment responses: { uri, streamId }
  player.addEventListener('error', (ev) => {
    const d = shakaErrorDetail(ev.detail);
    r.errors.push(d);
    log(`Shaka ${d.severity} error ${d.code} ${d.codeName} (${d.category})`, true);
    if (ev.detail.severity === shaka.util.Error.Severity.CRITICAL) fatal = `${d.code} ${d.codeName}`;
  });
  player.addEventListener('variantchanged', () => log('variantchanged'));
  player.addEventListener('adaptation', () => log('adaptation (ABR)'));
  const activeTrack = () => player.getVariantTracks().find((t) => t.active);
  const refreshView = () => {
    const a = activeTrack();
    view.activeKey = a ? a.id : null;
  };
  setInterval(refreshView, 100);

  /** Disables ABR, selects `target` with a buffer clear, and waits for 2 s of playback on it. */
  async function switchTo(target, ms) {
    const end = performance.now() + ms;
    const from = activeTrack()?.id ?? null;
    const nSegments = segments.length;
    log(`switching: selectVariantTrack(variant ${target.id}, clearBuffer) from ${from}`);
    setPhase(`switching to variant ${target.id}`);
    player.configure({ abr: { enabled: false } });
    player.selectVariantTrack(player.getVariantTracks().find((t) => t.id === target.id), true);
    await waitFor(`variant ${target.id} active`, () => activeTrack()?.id === target.id, end - performance.now());
    const at = audio.currentTime;
    await waitFor(`a segment of variant ${target.id} loaded`, () => segments.slice(nSegments).some((s) => s.streamId == null || s.streamId === target.audioId), end - performance.now());
    setPhase(`variant ${target.id}: waiting for ${ADVANCE_S} s more`);
    await waitFor(`playback to advance ${ADVANCE_S} s past ${at.toFixed(2)} s on variant ${target.id}`, () => audio.currentTime > at + ADVANCE_S && !audio.paused, end - performance.now());
    if (activeTrack()?.id !== target.id) throw new Error(`active variant is ${activeTrack()?.id} after switching to ${target.id}`);
    log(`variant ${target.id} played from ${at.toFixed(2)} s to ${audio.currentTime.toFixed(2)} s`);
    const after = segments.slice(nSegments);
    return { ok: true, from, to: target.id, switchedAt: at, reached: audio.currentTime, segmentsLoaded: after.length, firstSegment: after[0]?.uri ?? null };
  }

  try {
    await player.attach(audio);
    const net = player.getNetworkingEngine();
    net.registerResponseFilter((type, response, context) => {
      if (type === shaka.net.NetworkingEngine.RequestType.SEGMENT) {
        segments.push({ uri: response.uri, streamId: context?.stream?.id ?? null });
      }
    });
    setPhase('loading manifest');
    try {
      await withDeadline(player.load(url), 'player.load()', deadline - performance.now());
    } catch (e) {
      if (!(e instanceof shaka.util.Error)) return finish(r, e.message);
      const d = e instanceof shaka.util.Error ? shakaErrorDetail(e) : { message: String(e) };
      r.errors.push({ source: 'player.load()', ...d });
      return finish(r, `player.load() failed: ${d.code ?? ''} ${d.codeName ?? d.message}`);
    }
    log('manifest loaded');
    const raw = player.getVariantTracks();
    view.tracks = r.tracks = raw.map(shakaTrack).sort((a, b) => a.family.localeCompare(b.family) || a.bitrate - b.bitrate);
    refreshView();
    await startPlayback(r, deadline);
    const active = activeTrack();
    if (!active) return finish(r, 'no active variant while playing');
    const playing = shakaTrack(active);
    r.initialTrack = playing;
    const same = raw.filter((t) => codecFamily(t.audioCodec || t.codecs) === playing.family && t.id !== active.id);
    if (same.length === 0) return finish(r, `only one ${playing.family} variant: no same-codec switch possible`);
    same.sort((a, b) => Math.abs(b.bandwidth - active.bandwidth) - Math.abs(a.bandwidth - active.bandwidth));
    try {
      r.switch = await switchTo(same[0], deadline - performance.now());
    } catch (e) {
      r.switch = { ok: false, from: active.id, to: same[0].id, error: e.message };
      return finish(r, `same-codec switch: ${e.message}`);
    }
    const other = raw.find((t) => codecFamily(t.audioCodec || t.codecs) !== playing.family);
    if (!other) {
      r.crossCodecSwitch = { ok: false, error: 'no variant of another codec offered by Shaka (filtered or absent)' };
    } else {
      try {
        r.crossCodecSwitch = await switchTo(other, crossBudgetMs);
        r.crossCodecSwitch.fromCodec = playing.codecs;
        r.crossCodecSwitch.toCodec = other.audioCodec || other.codecs;
      } catch (e) {
        r.crossCodecSwitch = { ok: false, from: activeTrack()?.id ?? null, to: other.id, fromCodec: playing.codecs, toCodec: other.audioCodec || other.codecs, error: e.message };
        log(`cross-codec switch failed (reported only): ${e.message}`, true);
        fatal = null;
      }
    }
    r.switchHistory = player.getStats().switchHistory;
    return finish(r, null);
  } catch (e) {
    return finish(r, e.message);
  }
};
