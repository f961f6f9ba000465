// The persistent player's state, outside any page so music keeps playing across navigation.
// One <audio> element (owned by PlayerBar) plays the queue; HLS goes through hls.js, loaded
// only when first needed; loudness normalisation is a Web Audio gain of the track's
// `loudness.gainDb`, so switching it on or off is instant and never reloads the stream.
import { api } from "../lib/api";
import type { StreamDoc } from "../lib/types";
import { type Attached, attachStream, type Quality } from "./source";

export interface QueueEntry {
  id: string;
  title: string;
  subtitle?: string;
}

export interface PlayerState {
  queue: QueueEntry[];
  index: number;
  playing: boolean;
  currentTime: number;
  duration: number;
  normalize: boolean;
  /** What is playing: `HLS · AAC 160 kb/s` or `original · flac`. */
  rendition: string;
  /** Renditions the listener can pick (empty where there is no choice). */
  qualities: Quality[];
  /** The picked level, -1 for automatic. */
  quality: number;
  gainDb: number | null;
  error: string | null;
  loading: boolean;
}

let state: PlayerState = {
  queue: [],
  index: -1,
  playing: false,
  currentTime: 0,
  duration: 0,
  normalize: localStorage.getItem("backbeat.normalize") !== "false",
  rendition: "",
  qualities: [],
  quality: -1,
  gainDb: null,
  error: null,
  loading: false,
};
const listeners = new Set<() => void>();
let audio: HTMLAudioElement | null = null;
let attached: Attached | null = null;
let gain: GainNode | null = null;
let context: AudioContext | null = null;
let loadToken = 0;

function set(patch: Partial<PlayerState>) {
  state = { ...state, ...patch };
  for (const l of listeners) l();
}

export function playerState(): PlayerState {
  return state;
}

export function subscribe(f: () => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}

/** The element's time now (the waveform's playhead reads it every frame). */
export function currentTime(): number {
  return audio?.currentTime ?? 0;
}

export function currentTrackId(): string | null {
  return state.queue[state.index]?.id ?? null;
}

export function attach(el: HTMLAudioElement) {
  audio = el;
  el.addEventListener("play", () => set({ playing: true }));
  el.addEventListener("pause", () => set({ playing: false }));
  el.addEventListener("timeupdate", () => set({ currentTime: el.currentTime }));
  el.addEventListener("durationchange", () => set({ duration: Number.isFinite(el.duration) ? el.duration : 0 }));
  el.addEventListener("ended", () => next());
  el.addEventListener("error", () => {
    if (el.getAttribute("src")) set({ error: "This track cannot be played in this browser.", loading: false });
  });
  el.addEventListener("playing", () => set({ loading: false, error: null }));
}

function applyGain() {
  if (!gain) return;
  const db = state.normalize && state.gainDb !== null ? state.gainDb : 0;
  gain.gain.value = Math.pow(10, db / 20);
}

/** Web Audio needs a user gesture to start; every call here comes from one (a click, a key). */
function ensureGraph() {
  if (!audio || context) return;
  try {
    context = new AudioContext();
    const source = context.createMediaElementSource(audio);
    gain = context.createGain();
    source.connect(gain).connect(context.destination);
    applyGain();
  } catch {
    // No Web Audio: plays at the original level.
    context = null;
    gain = null;
  }
}

async function load(entry: QueueEntry, autoplay: boolean) {
  if (!audio) return;
  const token = ++loadToken;
  set({ loading: true, error: null, currentTime: 0, duration: 0, rendition: "", qualities: [], quality: -1, gainDb: null });
  attached?.destroy();
  attached = null;
  let doc: StreamDoc;
  try {
    doc = await api<StreamDoc>(`/tracks/${entry.id}/stream`);
  } catch (e) {
    if (token === loadToken) set({ loading: false, error: (e as Error).message });
    return;
  }
  if (token !== loadToken) return;
  set({ gainDb: doc.loudness?.gainDb ?? null });
  applyGain();
  const a = await attachStream(audio, doc, {
    onChange: () => token === loadToken && set(described(a)),
    onFatal: (message) => token === loadToken && set({ error: message, loading: false }),
    preferred: localStorage.getItem("backbeat.quality"),
  });
  if (token !== loadToken) return a.destroy();
  attached = a;
  set(described(a));
  if (autoplay) {
    audio.play().catch((e: Error) => token === loadToken && set({ error: e.message, loading: false }));
  }
}

function described(a: Attached): Partial<PlayerState> {
  return { rendition: a.describe(), qualities: a.qualities(), quality: a.chosen() };
}

/**
 * Plays rendition `level` from now on (-1: automatic). The choice is remembered for the next
 * tracks by codec and bitrate, and used where a track's ladder has that rendition.
 */
export function setQuality(level: number) {
  if (!attached) return;
  const q = state.qualities.find((x) => x.level === level);
  localStorage.setItem("backbeat.quality", q ? q.key : "auto");
  attached.choose(level);
  set(described(attached));
}

/** Replaces the queue and plays entry `index` of it. */
export function playQueue(queue: QueueEntry[], index = 0) {
  ensureGraph();
  void context?.resume();
  set({ queue, index });
  void load(queue[index], true);
}

export function enqueue(entry: QueueEntry) {
  if (state.index < 0) return playQueue([entry]);
  set({ queue: [...state.queue, entry] });
}

export function toggle() {
  if (!audio || state.index < 0) return;
  ensureGraph();
  void context?.resume();
  if (audio.paused) void audio.play();
  else audio.pause();
}

export function seek(t: number) {
  if (audio && Number.isFinite(t)) audio.currentTime = Math.max(0, Math.min(t, state.duration || t));
}

export function next() {
  if (state.index + 1 < state.queue.length) {
    set({ index: state.index + 1 });
    void load(state.queue[state.index], true);
  } else {
    set({ playing: false });
  }
}

/** Plays entry `i` of the queue. */
export function jump(i: number) {
  if (i < 0 || i >= state.queue.length) return;
  ensureGraph();
  void context?.resume();
  set({ index: i });
  void load(state.queue[i], true);
}

export function previous() {
  if (audio && audio.currentTime > 3) return seek(0);
  if (state.index > 0) {
    set({ index: state.index - 1 });
    void load(state.queue[state.index], true);
  }
}

export function setNormalize(on: boolean) {
  localStorage.setItem("backbeat.normalize", String(on));
  set({ normalize: on });
  applyGain();
}

/** The gain the graph applies now, in dB (what a test reads back). */
export function appliedGainDb(): number | null {
  return gain ? 20 * Math.log10(gain.gain.value) : null;
}
