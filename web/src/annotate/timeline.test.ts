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

test("adopting a model's answer replaces only its questions' regions and markers", () => {
  let s = run([
    { type: "addRegion", start: 20, end: 30, question: "sections", label: "verse" },
    { type: "addRegion", start: 12, end: 14, question: "solos", label: "guitar" },
    { type: "tap", time: 15, question: "beats", label: "beat" },
    { type: "tap", time: 16, question: "drops", label: "drop" },
  ]);
  const before = s.nextId;
  s = run(
    [
      {
        type: "adopt",
        questions: ["sections", "beats"],
        regions: [{ question: "sections", start: 40, end: 5, label: "chorus" }],
        markers: [
          { question: "beats", time: 11, label: "beat" },
          { question: "beats", time: 99, label: "beat" },
          { question: "beats", time: 10.5, label: "beat" },
        ],
      },
    ],
    s,
  );
  // The other questions' work stays; the model's spans are ordered and clamped to the window.
  assert.deepEqual(s.regions.map((r) => [r.question, r.label, r.start, r.end]), [
    ["sections", "chorus", 10, 40],
    ["solos", "guitar", 12, 14],
  ]);
  assert.deepEqual(s.markers.map((m) => [m.question, m.time]), [
    ["beats", 10.5],
    ["beats", 11],
    ["drops", 16],
    ["beats", 70],
  ]);
  // Fresh ids, unique; the nudge keys keep the marker they moved (it was not replaced).
  const ids = [...s.regions.map((r) => r.id), ...s.markers.map((m) => m.id)];
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(s.regions[0].id >= before && s.nextId === before + 4);
  assert.equal(s.markers.find((m) => m.id === s.lastMarker)?.time, 16);
  // The selection stays on a region that was kept.
  assert.equal(s.regions.find((r) => r.id === s.selected)?.question, "solos");
});

test("a tap on a marker of another label relabels it instead of doubling the beat", () => {
  let s = run([
    { type: "adopt", questions: ["beats"], regions: [], markers: [15, 15.5, 16].map((time) => ({ question: "beats", time, label: "beat" })) },
    { type: "tap", time: 15.54, question: "beats", label: "downbeat" },
  ]);
  assert.deepEqual(s.markers.map((m) => [m.time, m.label]), [
    [15, "beat"],
    [15.5, "downbeat"],
    [16, "beat"],
  ]);
  assert.equal(s.markers.find((m) => m.id === s.lastMarker)?.time, 15.5);
  // Further than 70 ms, or the same label, or another question: a new marker.
  s = run(
    [
      { type: "tap", time: 15.9, question: "beats", label: "downbeat" },
      { type: "tap", time: 15.02, question: "beats", label: "beat" },
      { type: "tap", time: 15.01, question: "drops", label: "drop" },
    ],
    s,
  );
  assert.equal(s.markers.length, 6);
});
