import { test } from "node:test";
import assert from "node:assert/strict";
import { buildAnswers, describe, missing, modelTimeline, split, tapLabel, type Question } from "./schema.ts";

const Q: Question[] = [
  { name: "genre", type: "single_choice", labels: ["rock", "jazz"] },
  { name: "moods", type: "multi_label", labels: ["happy", "sad"] },
  { name: "bpm", type: "number", min: 30, max: 300 },
  { name: "key", type: "key" },
  { name: "notes", type: "text", required: false },
  { name: "sections", type: "regions", labels: ["verse", "chorus"] },
  { name: "beats", type: "markers", labels: ["beat", "downbeat"] },
];

test("answers carry only the asked questions, regions and markers sorted by time", () => {
  const a = buildAnswers(
    Q,
    ["genre", "moods", "bpm", "notes", "sections", "beats"],
    { genre: "rock", bpm: 120.5, key: { tonic: "A", mode: "minor" } },
    [
      { id: 2, question: "sections", start: 30.12345, end: 40, label: "chorus" },
      { id: 1, question: "sections", start: 10, end: 30.12345, label: "verse" },
    ],
    [
      { id: 4, question: "beats", time: 1.5004, label: "beat" },
      { id: 3, question: "beats", time: 1.0, label: "downbeat" },
    ],
  );
  assert.deepEqual(a, {
    genre: "rock",
    moods: [],
    bpm: 120.5,
    sections: [
      { start: 10, end: 30.123, label: "verse" },
      { start: 30.123, end: 40, label: "chorus" },
    ],
    beats: [
      { time: 1, label: "downbeat" },
      { time: 1.5, label: "beat" },
    ],
  });
});

test("missing names the required clip questions left empty", () => {
  assert.deepEqual(missing(Q, ["genre", "bpm", "notes", "moods"], { bpm: 100 }).map((q) => q.name), ["genre"]);
});

test("answers read as text, and split back into the form", () => {
  assert.equal(describe(Q[3], { tonic: "F#", mode: "minor" }), "F# minor");
  assert.equal(describe(Q[6], [{ time: 1, label: "beat" }, { time: 2, label: "beat" }, { time: 3, label: "downbeat" }]), "2 beats, 1 downbeat");
  assert.equal(describe(Q[1], []), "none");
  let id = 0;
  const s = split(Q, { genre: "jazz", sections: [{ start: 1, end: 2, label: "verse" }], beats: [{ time: 3, label: "beat" }] }, () => ++id);
  assert.deepEqual(s.clip, { genre: "jazz" });
  assert.deepEqual(s.regions, [{ start: 1, end: 2, label: "verse", id: 1, question: "sections" }]);
  assert.deepEqual(s.markers, [{ time: 3, label: "beat", id: 2, question: "beats" }]);
  assert.equal(tapLabel(Q[6], true), "downbeat");
  assert.equal(tapLabel({ name: "drops", type: "markers", labels: ["drop"] }, false), "drop");
});

test("the model timeline takes each timeline question's most confident model answer", () => {
  const t = modelTimeline(Q, [
    { answers: { genre: "rock", beats: [{ time: 1, label: "beat" }] }, confidence: { beats: 0.4 } },
    {
      answers: { beats: [{ time: 1.02, label: "beat" }, { time: 1.5, label: "beat" }], sections: [{ start: 0, end: 4, label: "verse" }] },
      confidence: { beats: 0.7 },
    },
    { answers: { beats: "garbage", sections: null } },
  ]);
  assert.deepEqual(t.questions, ["sections", "beats"]);
  assert.deepEqual(t.markers, [
    { question: "beats", time: 1.02, label: "beat" },
    { question: "beats", time: 1.5, label: "beat" },
  ]);
  assert.deepEqual(t.regions, [{ question: "sections", start: 0, end: 4, label: "verse" }]);
  assert.deepEqual(t.confidence, { beats: 0.7 });
  // No model answers, or none for timeline questions: nothing to show.
  assert.deepEqual(modelTimeline(Q, []).questions, []);
  assert.deepEqual(modelTimeline(Q, [{ answers: { genre: "jazz" }, confidence: null }]).questions, []);
});
