import { test } from "node:test";
import assert from "node:assert/strict";
import { assignLanes } from "./lanes.ts";

test("overlapping regions never share a lane; touching ones may", () => {
  const spans = [
    { start: 0, end: 10 },
    { start: 5, end: 15 },
    { start: 10, end: 12 },
    { start: 6, end: 7 },
    { start: 20, end: 30 },
  ];
  const { lanes, count } = assignLanes(spans);
  assert.deepEqual(lanes, [0, 1, 0, 2, 0]);
  assert.equal(count, 3);
  for (let i = 0; i < spans.length; i++)
    for (let j = i + 1; j < spans.length; j++)
      if (spans[i].start < spans[j].end && spans[j].start < spans[i].end) assert.notEqual(lanes[i], lanes[j]);
});

test("the lane count is the deepest overlap, whatever the input order", () => {
  const spans = Array.from({ length: 200 }, (_, i) => {
    const start = (i * 7919) % 1000;
    return { start, end: start + 1 + ((i * 104729) % 50) };
  });
  let deepest = 0;
  for (let t = 0; t < 1100; t += 0.5) deepest = Math.max(deepest, spans.filter((s) => s.start <= t && t < s.end).length);
  const { lanes, count } = assignLanes(spans);
  assert.equal(count, deepest);
  const reversed = assignLanes([...spans].reverse());
  assert.equal(reversed.count, deepest);
  assert.equal(lanes.length, 200);
  assert.deepEqual(assignLanes([]), { lanes: [], count: 0 });
});
