import assert from "node:assert/strict";
import { test } from "node:test";
import type { Rendition } from "../lib/types";
import { qualityMenu, renditionOf } from "./qualities";

const r = (codec: string, kbps: number, codecs: string, bandwidth: number): Rendition => ({
  id: `${codec}-${kbps}`,
  codec,
  kbps,
  codecs,
  bandwidth,
});

// The stream document's order, not the player's.
const renditions = [
  r("opus", 64, "opus", 70_000),
  r("aac", 160, "mp4a.40.2", 170_000),
  r("opus", 96, "opus", 104_000),
  r("aac", 96, "mp4a.40.2", 103_000),
];

test("a level is matched by its codecs and nearest bandwidth, not by its index", () => {
  assert.equal(renditionOf(renditions, { bitrate: 103_000, attrs: { CODECS: "mp4a.40.2" } })?.id, "aac-96");
  assert.equal(renditionOf(renditions, { bitrate: 103_000, attrs: { CODECS: "opus" } })?.id, "opus-96");
  assert.equal(renditionOf(renditions, { bitrate: 171_000, audioCodec: "mp4a.40.2" })?.id, "aac-160");
  assert.equal(renditionOf(renditions, undefined), undefined);
});

test("the menu lists every level by codec then bitrate, keyed for the next track", () => {
  const levels = [
    { bitrate: 103_000, attrs: { CODECS: "mp4a.40.2" } },
    { bitrate: 170_000, attrs: { CODECS: "mp4a.40.2" } },
    { bitrate: 104_000, attrs: { CODECS: "opus" } },
    { bitrate: 70_000, attrs: { CODECS: "opus" } },
  ];
  const menu = qualityMenu(renditions, levels);
  assert.deepEqual(
    menu.map((q) => [q.level, q.label, q.key]),
    [
      [0, "AAC 96 kb/s", "aac-96"],
      [1, "AAC 160 kb/s", "aac-160"],
      [3, "OPUS 64 kb/s", "opus-64"],
      [2, "OPUS 96 kb/s", "opus-96"],
    ],
  );
});

test("a level the document does not list is labelled by its bitrate", () => {
  const menu = qualityMenu([], [{ bitrate: 128_400 }]);
  assert.deepEqual(menu, [{ level: 0, label: "128 kb/s", key: "128" }]);
});
