// The waveform's view: which seconds are on screen and how many per CSS pixel. Pure functions,
// so zoom, scroll and follow-the-playhead are unit-tested without a browser.

export interface View {
  /** Time at the left edge, seconds. */
  start: number;
  /** Seconds per CSS pixel. */
  secondsPerPx: number;
}

export interface Bounds {
  /** Track (or item window) length, seconds. */
  duration: number;
  /** Canvas width, CSS pixels. */
  width: number;
  /** Finest zoom: seconds of one stored peaks pixel (drawing finer shows nothing new). */
  minSecondsPerPx: number;
  /**
   * Coarsest zoom. A view never spans more than `maxSecondsPerPx * width` seconds, which bounds
   * the bytes one screen fetches (64 stored pixels per CSS pixel: 368 KB at 1,440 px).
   */
  maxSecondsPerPx: number;
}

/** Stored peaks pixels one CSS pixel may cover at the coarsest zoom. */
export const MAX_PIXELS_PER_PX = 64;

export function bounds(duration: number, width: number, pixelSeconds: number): Bounds {
  return {
    duration,
    width: Math.max(1, width),
    minSecondsPerPx: pixelSeconds,
    maxSecondsPerPx: pixelSeconds * MAX_PIXELS_PER_PX,
  };
}

function clampZoom(spp: number, b: Bounds): number {
  // Never zoom out past the point where the whole duration fits.
  const fit = Math.max(b.minSecondsPerPx, b.duration / b.width);
  return Math.min(Math.max(spp, b.minSecondsPerPx), Math.min(b.maxSecondsPerPx, fit));
}

function clampStart(start: number, spp: number, b: Bounds): number {
  const span = spp * b.width;
  return Math.max(0, Math.min(start, Math.max(0, b.duration - span)));
}

/** The view first shown: the whole duration when it fits the coarsest zoom, else its start. */
export function initialView(b: Bounds): View {
  const spp = clampZoom(b.duration / b.width, b);
  return { start: 0, secondsPerPx: spp };
}

/** A view showing `[start, end)` (as far as the zoom limits allow), from `start`. */
export function fit(b: Bounds, start: number, end: number): View {
  const spp = clampZoom((end - start) / b.width, b);
  return { start: clampStart(start, spp, b), secondsPerPx: spp };
}

/** The seconds on screen, `[start, end)`. */
export function visible(v: View, b: Bounds): { start: number; end: number } {
  return { start: v.start, end: Math.min(b.duration, v.start + v.secondsPerPx * b.width) };
}

export const timeToX = (v: View, t: number): number => (t - v.start) / v.secondsPerPx;
export const xToTime = (v: View, x: number): number => v.start + x * v.secondsPerPx;

/** Zooms by `factor` (< 1 zooms in) keeping the time under `anchorX` where it is. */
export function zoom(v: View, factor: number, anchorX: number, b: Bounds): View {
  const spp = clampZoom(v.secondsPerPx * factor, b);
  const anchor = xToTime(v, anchorX);
  return { start: clampStart(anchor - anchorX * spp, spp, b), secondsPerPx: spp };
}

/** Scrolls by `dx` CSS pixels (positive: later). */
export function scroll(v: View, dx: number, b: Bounds): View {
  return { ...v, start: clampStart(v.start + dx * v.secondsPerPx, v.secondsPerPx, b) };
}

/** Brings `t` into view, a page at a time (the playhead turns the page at the right edge). */
export function follow(v: View, t: number, b: Bounds): View {
  const span = v.secondsPerPx * b.width;
  if (t >= v.start && t < v.start + span) return v;
  return { ...v, start: clampStart(t - span * 0.05, v.secondsPerPx, b) };
}

/** Centres `t` in the view. */
export function centre(v: View, t: number, b: Bounds): View {
  return { ...v, start: clampStart(t - (v.secondsPerPx * b.width) / 2, v.secondsPerPx, b) };
}

/**
 * Reduces stored `min, max` pairs (pixels `first..`) to one `min, max` per CSS pixel column of
 * the view, each column taking the extremes of every stored pixel it covers. Columns with no
 * stored pixel (past the end) are 0, 0.
 */
export function columns(
  v: View,
  b: Bounds,
  pixelSeconds: number,
  first: number,
  pairs: Int16Array,
): Int16Array {
  const out = new Int16Array(2 * b.width);
  const count = pairs.length >> 1;
  for (let x = 0; x < b.width; x++) {
    const t0 = xToTime(v, x);
    const t1 = xToTime(v, x + 1);
    let a = Math.floor(t0 / pixelSeconds) - first;
    let z = Math.ceil(t1 / pixelSeconds) - 1 - first;
    a = Math.max(0, a);
    z = Math.min(count - 1, Math.max(z, a));
    if (a >= count) continue;
    let lo = 32767;
    let hi = -32768;
    for (let i = a; i <= z; i++) {
      if (pairs[2 * i] < lo) lo = pairs[2 * i];
      if (pairs[2 * i + 1] > hi) hi = pairs[2 * i + 1];
    }
    out[2 * x] = lo;
    out[2 * x + 1] = hi;
  }
  return out;
}
