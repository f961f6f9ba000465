import { test } from "node:test";
import assert from "node:assert/strict";
import { edit, emptyTimeline, MIN_REGION, type Edit, type Timeline } from "./timeline.ts";

const W = { start: 10, end: 70 };
const run = (edits: Edit[], s: Timeline = emptyTimeline()) => edits.reduce((acc, e) => edit(acc, e, W), s);

test("pressing r twice makes a region between the two times, in either order", () => {
  const s = run([
    { type: "mark", time: 30, question: "sections", label: "verse" },
    { type: "mark", time: 20, question: "sections", label: "verse" },
  ]);
  assert.equal(s.pending, null);
  assert.deepEqual(s.regions.map((r) => [r.start, r.end, r.label]), [[20, 30, "verse"]]);
  assert.equal(s.selected, s.regions[0].id);
});

test("regions stay inside the window and are never shorter than 50 ms", () => {
  const s = run([
    { type: "addRegion", start: 0, end: 100, question: "q", label: "a" },
    { type: "addRegion", start: 40, end: 40, question: "q", label: "b" },
    { type: "addRegion", start: 70, end: 70, question: "q", label: "c" },
  ]);
  assert.deepEqual(s.regions.map((r) => [r.label, r.start, r.end]), [
    ["a", 10, 70],
    ["b", 40, 40 + MIN_REGION],
    ["c", 70 - MIN_REGION, 70],
  ]);
});

test("edges nudge by keys, and never cross", () => {
  let s = run([{ type: "addRegion", start: 20, end: 21, question: "q", label: "a" }]);
  s = run([{ type: "nudgeEdge", edge: "start", by: -0.05 }, { type: "nudgeEdge", edge: "end", by: 0.05 }], s);
  assert.ok(Math.abs(s.regions[0].start - 19.95) < 1e-9 && Math.abs(s.regions[0].end - 21.05) < 1e-9);
  s = run([{ type: "moveEdge", id: s.regions[0].id, edge: "start", time: 99 }], s);
  assert.ok(Math.abs(s.regions[0].start - (21.05 - MIN_REGION)) < 1e-9);
  s = run([{ type: "moveEdge", id: s.regions[0].id, edge: "end", time: 0 }], s);
  assert.ok(s.regions[0].end > s.regions[0].start);
});

test("selection walks the regions in time order and survives a delete", () => {
  let s = run([
    { type: "addRegion", start: 50, end: 60, question: "q", label: "c" },
    { type: "addRegion", start: 15, end: 25, question: "q", label: "a" },
    { type: "addRegion", start: 30, end: 40, question: "q", label: "b" },
    { type: "select", id: null },
    { type: "selectStep", step: 1 },
  ]);
  const label = (t: Timeline) => t.regions.find((r) => r.id === t.selected)?.label;
  assert.equal(label(s), "a");
  s = run([{ type: "selectStep", step: 1 }], s);
  assert.equal(label(s), "b");
  s = run([{ type: "selectStep", step: -1 }, { type: "selectStep", step: -1 }], s);
  assert.equal(label(s), "c", "wraps around");
  s = run([{ type: "deleteRegion", id: s.selected! }], s);
  assert.equal(label(s), "b", "the neighbour takes the selection");
});

test("taps become markers; nudge and delete act on the last one", () => {
  let s = run([
    { type: "tap", time: 12.5, question: "beats", label: "downbeat" },
    { type: "tap", time: 13.0, question: "beats", label: "beat" },
    { type: "nudgeMarker", by: 0.01 },
    { type: "nudgeMarker", by: 0.01 },
  ]);
  assert.deepEqual(s.markers.map((m) => [m.label, +m.time.toFixed(3)]), [["downbeat", 12.5], ["beat", 13.02]]);
  s = run([{ type: "deleteMarker" }], s);
  assert.deepEqual(s.markers.map((m) => m.time), [12.5]);
  s = run([{ type: "tap", time: 5, question: "beats", label: "beat" }], s);
  assert.equal(s.markers[1].time, 10, "a tap before the window lands on its start");
});

test("a region's attributes are set and cleared one by one", () => {
  let s = run([{ type: "addRegion", start: 20, end: 30, question: "sections", label: "verse" }]);
  const id = s.regions[0].id;
  s = run([{ type: "attribute", id, name: "instrumental", value: "yes" }, { type: "attribute", id, name: "energy", value: 4 }], s);
  assert.deepEqual(s.regions[0].attributes, { instrumental: "yes", energy: 4 });
  s = run([{ type: "attribute", id, name: "energy", value: undefined }], s);
  assert.deepEqual(s.regions[0].attributes, { instrumental: "yes" });
});
