import { test } from "node:test";
import assert from "node:assert/strict";
import { bounds, columns, follow, initialView, MAX_PIXELS_PER_PX, scroll, timeToX, visible, xToTime, zoom } from "./view.ts";

const PS = 256 / 22050;

test("a short track opens whole; a two-hour one opens at the coarsest zoom from its start", () => {
  const short = bounds(180, 1000, PS);
  const v = initialView(short);
  assert.ok(Math.abs(v.secondsPerPx - 0.18) < 1e-12);
  assert.deepEqual(visible(v, short), { start: 0, end: 180 });

  const long = bounds(7200, 1000, PS);
  const w = initialView(long);
  assert.equal(w.secondsPerPx, PS * MAX_PIXELS_PER_PX);
  const span = visible(w, long);
  // What one screen costs is bounded by the zoom, not by the track: 64 stored pixels a column.
  assert.ok(span.end - span.start <= 1000 * PS * MAX_PIXELS_PER_PX + 1e-9);
});

test("zoom keeps the time under the pointer in place and stays within bounds", () => {
  const b = bounds(600, 1000, PS);
  const v = { start: 100, secondsPerPx: 0.1 };
  const z = zoom(v, 0.5, 400, b);
  assert.equal(z.secondsPerPx, 0.05);
  assert.ok(Math.abs(xToTime(z, 400) - xToTime(v, 400)) < 1e-9);
  // Not finer than one stored pixel, not coarser than the whole track or 64 pixels a column.
  assert.equal(zoom(v, 1e-6, 0, b).secondsPerPx, PS);
  assert.equal(zoom(v, 1e6, 0, b).secondsPerPx, 0.6, "ten minutes fit 1,000 px at 0.6 s a pixel");
  assert.equal(zoom(v, 1e6, 0, bounds(7200, 1000, PS)).secondsPerPx, PS * MAX_PIXELS_PER_PX);
  const tiny = bounds(3, 1000, PS);
  assert.equal(zoom({ start: 0, secondsPerPx: PS }, 1e6, 0, tiny).secondsPerPx, PS);
});

test("scroll and follow keep the view inside the track", () => {
  const b = bounds(100, 1000, PS);
  const v = { start: 0, secondsPerPx: 0.05 };
  assert.equal(scroll(v, -500, b).start, 0);
  assert.equal(scroll(v, 1e6, b).start, 50);
  assert.equal(scroll(v, 200, b).start, 10);
  assert.equal(follow(v, 20, b), v, "a visible playhead does not move the view");
  const f = follow(v, 60, b);
  assert.ok(f.start < 60 && timeToX(f, 60) < 1000);
});

test("columns take the extremes of every stored pixel they cover", () => {
  const b = bounds(10 * PS, 5, PS);
  // 10 stored pixels, 2 per column.
  const pairs = new Int16Array([-1, 1, -5, 2, 0, 0, -3, 9, -2, 2, -2, 2, -7, 7, 0, 1, 0, 0, -1, 1]);
  const v = { start: 0, secondsPerPx: 2 * PS };
  assert.deepEqual([...columns(v, b, PS, 0, pairs)], [-5, 2, -3, 9, -2, 2, -7, 7, -1, 1]);
  // A window that starts at stored pixel 4 reads the pairs from there.
  const w = { start: 4 * PS, secondsPerPx: PS };
  assert.deepEqual([...columns(w, b, PS, 4, pairs.subarray(8))], [-2, 2, -2, 2, -7, 7, 0, 1, 0, 0]);
  // Past the data: silence, not garbage.
  assert.deepEqual([...columns({ start: 8 * PS, secondsPerPx: PS }, b, PS, 8, pairs.subarray(16))], [0, 0, -1, 1, 0, 0, 0, 0, 0, 0]);
});
