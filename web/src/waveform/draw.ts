// Canvas drawing shared by the waveform and its overview strip.

/** Sizes `c` for `width` × `height` CSS pixels at the screen's density and clears it. */
export function prepareCanvas(c: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D | null {
  const dpr = window.devicePixelRatio || 1;
  if (c.width !== Math.round(width * dpr)) c.width = Math.round(width * dpr);
  if (c.height !== Math.round(height * dpr)) c.height = Math.round(height * dpr);
  const ctx = c.getContext("2d");
  if (!ctx) return null;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return ctx;
}

/**
 * One bar per column of `min, max` pairs around the middle line `mid`, in the current fill;
 * `full` is the value that reaches the edge (32768 for true scale). Silent columns are skipped.
 */
export function drawColumns(ctx: CanvasRenderingContext2D, cols: Int16Array, mid: number, full = 32768) {
  for (let x = 0; x < cols.length >> 1; x++) {
    const lo = cols[2 * x];
    const hi = cols[2 * x + 1];
    if (lo === 0 && hi === 0) continue;
    const y0 = mid - (hi / full) * mid;
    const y1 = mid - (lo / full) * mid;
    ctx.fillRect(x, y0, 1, Math.max(1, y1 - y0));
  }
}
