import { test } from "node:test";
import assert from "node:assert/strict";
import { BLOCK_PIXELS, byteRange, DAT_HEADER_BYTES, decodePixels, parseHeader, PeaksFormatError, PeaksReader, pixelsFor } from "./peaks.ts";

/** A version-1 16-bit file whose pixel i holds (-i, i) (wrapping at i16). */
function datFile(pixels: number, sampleRate = 22050, spp = 256, version = 1): ArrayBuffer {
  const buf = new ArrayBuffer(DAT_HEADER_BYTES + 4 * pixels);
  const v = new DataView(buf);
  v.setInt32(0, version, true);
  v.setUint32(4, 0, true);
  v.setInt32(8, sampleRate, true);
  v.setInt32(12, spp, true);
  v.setUint32(16, pixels, true);
  for (let i = 0; i < pixels; i++) {
    v.setInt16(20 + 4 * i, -(i % 32768), true);
    v.setInt16(22 + 4 * i, i % 32768, true);
  }
  return buf;
}

test("the header is read, and files it cannot mean are refused", () => {
  assert.deepEqual(parseHeader(datFile(3)), { sampleRate: 22050, samplesPerPixel: 256, pixels: 3, bytesPerValue: 2 });
  assert.throws(() => parseHeader(new ArrayBuffer(0)), PeaksFormatError);
  assert.throws(() => parseHeader(datFile(0).slice(0, 19)), /19 bytes/);
  assert.throws(() => parseHeader(datFile(1, 22050, 256, 2)), /version 2/);
  assert.throws(() => parseHeader(datFile(1, 0)), /sample rate 0/);
  assert.throws(() => parseHeader(datFile(1, 22050, -1)), /-1 samples/);
});

test("a window of seconds maps to the pixels and bytes the server documents", () => {
  const h = parseHeader(datFile(1000));
  const ps = 256 / 22050;
  assert.deepEqual(pixelsFor(h, 0, 10 * ps), { first: 0, last: 9 });
  assert.deepEqual(pixelsFor(h, 2.5 * ps, 4.2 * ps), { first: 2, last: 4 });
  // Clamped to the file, nothing for an empty or inverted window.
  assert.deepEqual(pixelsFor(h, -5, 1e9), { first: 0, last: 999 });
  assert.equal(pixelsFor(h, 3, 3), null);
  assert.equal(pixelsFor(h, 1e6, 1e7), null);
  // Pixels a..=b are bytes 20 + 4a to 20 + 4b + 3.
  assert.deepEqual(byteRange(h, 7, 9), [48, 59]);
  assert.deepEqual(byteRange({ bytesPerValue: 1 }, 7, 9), [34, 39]);
});

test("8-bit values are scaled to 16-bit", () => {
  const bytes = new Int8Array([-128, 127, 0, 1]).buffer;
  assert.deepEqual([...decodePixels({ bytesPerValue: 1 }, bytes)], [-32768, 32512, 0, 256]);
});

test("the reader fetches only the blocks a window needs, once each", async () => {
  const file = datFile(3 * BLOCK_PIXELS + 10);
  const asked: Array<[number, number]> = [];
  const fetcher = async (_url: string, a: number, b: number) => {
    asked.push([a, b]);
    return file.slice(a, b + 1);
  };
  const reader = await PeaksReader.open("x.dat", fetcher);
  assert.equal(reader.header.pixels, 3 * BLOCK_PIXELS + 10);
  const w = await reader.read(BLOCK_PIXELS - 2, BLOCK_PIXELS + 1);
  assert.deepEqual([...w], [-(BLOCK_PIXELS - 2), BLOCK_PIXELS - 2, -(BLOCK_PIXELS - 1), BLOCK_PIXELS - 1, -BLOCK_PIXELS, BLOCK_PIXELS, -(BLOCK_PIXELS + 1), BLOCK_PIXELS + 1]);
  assert.deepEqual(asked, [[0, 19], byteRange(reader.header, 0, BLOCK_PIXELS - 1), byteRange(reader.header, BLOCK_PIXELS, 2 * BLOCK_PIXELS - 1)]);
  // The same window again costs nothing; the last, short block is fetched to the file's end.
  await reader.read(BLOCK_PIXELS, BLOCK_PIXELS + 5);
  assert.equal(asked.length, 3);
  const tail = await reader.read(3 * BLOCK_PIXELS + 8, 3 * BLOCK_PIXELS + 9);
  assert.deepEqual([...tail], [-(3 * BLOCK_PIXELS + 8), 3 * BLOCK_PIXELS + 8, -(3 * BLOCK_PIXELS + 9), 3 * BLOCK_PIXELS + 9]);
  assert.deepEqual(asked[3], [20 + 4 * 3 * BLOCK_PIXELS, 20 + 4 * (3 * BLOCK_PIXELS + 10) - 1]);
  assert.equal(reader.fetchedBytes, 20 + 4 * (2 * BLOCK_PIXELS) + 40);
});

test("a failed block is fetched again on the next read", async () => {
  const file = datFile(10);
  let fail = true;
  const reader = PeaksReader.withHeader("x.dat", parseHeader(file), async (_u, a, b) => {
    if (fail) throw new Error("network down");
    return file.slice(a, b + 1);
  });
  await assert.rejects(reader.read(0, 3), /network down/);
  fail = false;
  assert.deepEqual([...(await reader.read(0, 1))], [0, 0, -1, 1]);
});
