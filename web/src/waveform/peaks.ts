// Reading the BBC audiowaveform data format (version 1) by byte ranges: the waveform of the
// visible window costs what that window costs, whatever the length of the track.
//
// Layout (little-endian): i32 version, u32 flags (bit 0: 8-bit samples), i32 sample rate,
// i32 samples per pixel, u32 pixel count, then per pixel `min, max` (i16 each, or i8 with the
// 8-bit flag). Backbeat writes 16-bit files; 8-bit ones (audiowaveform -b 8) are read too.

export const DAT_HEADER_BYTES = 20;

export interface PeaksHeader {
  sampleRate: number;
  samplesPerPixel: number;
  pixels: number;
  /** 1 for 8-bit samples, 2 for 16-bit. */
  bytesPerValue: 1 | 2;
}

export class PeaksFormatError extends Error {}

/** Parses the 20-byte header; refuses what would make every later range wrong. */
export function parseHeader(bytes: ArrayBuffer): PeaksHeader {
  if (bytes.byteLength < DAT_HEADER_BYTES) {
    throw new PeaksFormatError(`waveform header is ${bytes.byteLength} bytes, expected ${DAT_HEADER_BYTES}`);
  }
  const v = new DataView(bytes);
  const version = v.getInt32(0, true);
  if (version !== 1) throw new PeaksFormatError(`waveform format version ${version} is not supported (only 1)`);
  const flags = v.getUint32(4, true);
  const sampleRate = v.getInt32(8, true);
  const samplesPerPixel = v.getInt32(12, true);
  const pixels = v.getUint32(16, true);
  if (sampleRate <= 0 || samplesPerPixel <= 0) {
    throw new PeaksFormatError(`waveform header has sample rate ${sampleRate}, ${samplesPerPixel} samples a pixel`);
  }
  return { sampleRate, samplesPerPixel, pixels, bytesPerValue: flags & 1 ? 1 : 2 };
}

/** Seconds one stored pixel covers. */
export function pixelSeconds(h: Pick<PeaksHeader, "sampleRate" | "samplesPerPixel">): number {
  return h.samplesPerPixel / h.sampleRate;
}

/** The stored pixels `[first, last]` covering `[start, end)` seconds, clamped to the file. */
export function pixelsFor(h: PeaksHeader, start: number, end: number): { first: number; last: number } | null {
  if (h.pixels === 0 || !(end > start)) return null;
  const ps = pixelSeconds(h);
  const first = Math.max(0, Math.floor(start / ps));
  const last = Math.min(h.pixels - 1, Math.ceil(end / ps) - 1);
  return last < first ? null : { first, last };
}

/** The inclusive byte range holding pixels `first..=last` (an HTTP `Range` header's numbers). */
export function byteRange(h: Pick<PeaksHeader, "bytesPerValue">, first: number, last: number): [number, number] {
  const width = 2 * h.bytesPerValue;
  return [DAT_HEADER_BYTES + width * first, DAT_HEADER_BYTES + width * (last + 1) - 1];
}

/** Decodes `min, max` pairs into one Int16Array (8-bit values scaled to 16-bit). */
export function decodePixels(h: Pick<PeaksHeader, "bytesPerValue">, bytes: ArrayBuffer): Int16Array {
  const v = new DataView(bytes);
  if (h.bytesPerValue === 2) {
    const out = new Int16Array(bytes.byteLength >> 1);
    for (let i = 0; i < out.length; i++) out[i] = v.getInt16(2 * i, true);
    return out;
  }
  const out = new Int16Array(bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = v.getInt8(i) * 256;
  return out;
}

/** Fetches `[a, b]` bytes of `url`; must answer exactly those bytes. */
export type RangeFetcher = (url: string, a: number, b: number) => Promise<ArrayBuffer>;

/** The browser's fetch with a `Range` header; refuses an answer that is not the range asked. */
export const fetchRange: RangeFetcher = async (url, a, b) => {
  // Not through the HTTP cache: Chromium stitches ranges of one URL from its cache and, with
  // several ranges of the file in flight, answered short bodies (4,076 bytes for 16,384).
  // The reader keeps what it fetched for as long as the page shows the waveform.
  const res = await fetch(url, { headers: { Range: `bytes=${a}-${b}` }, cache: "no-store" });
  if (res.status !== 206 && !(res.status === 200 && a === 0)) {
    throw new PeaksFormatError(`waveform request answered ${res.status}`);
  }
  const body = await res.arrayBuffer();
  if (res.status === 200) return body.slice(0, b + 1);
  if (body.byteLength !== b - a + 1) {
    throw new PeaksFormatError(`waveform range ${a}-${b} answered ${body.byteLength} bytes`);
  }
  return body;
};

/** Pixels a block holds: 4,096 pixels (16 KiB, 47.5 s at 256 samples of 22,050 Hz). */
export const BLOCK_PIXELS = 4096;

/**
 * A waveform file read in fixed blocks of pixels, each fetched once by range: scrolling back
 * and forth re-uses them, and requests for the same block share one fetch.
 */
export class PeaksReader {
  private blocks = new Map<number, Promise<Int16Array>>();
  /** Bytes fetched so far, header included (what a test or a benchmark checks). */
  fetchedBytes = 0;

  private constructor(
    readonly url: string,
    readonly header: PeaksHeader,
    private readonly fetcher: RangeFetcher,
  ) {}

  /** Reads the header (one 20-byte range) and returns a reader over the file. */
  static async open(url: string, fetcher: RangeFetcher = fetchRange): Promise<PeaksReader> {
    const header = parseHeader(await fetcher(url, 0, DAT_HEADER_BYTES - 1));
    const reader = new PeaksReader(url, header, fetcher);
    reader.fetchedBytes = DAT_HEADER_BYTES;
    return reader;
  }

  /** A reader whose header the caller already has (from `GET /tracks/{id}/peaks`). */
  static withHeader(url: string, header: PeaksHeader, fetcher: RangeFetcher = fetchRange): PeaksReader {
    return new PeaksReader(url, header, fetcher);
  }

  private block(n: number): Promise<Int16Array> {
    let p = this.blocks.get(n);
    if (!p) {
      const first = n * BLOCK_PIXELS;
      const last = Math.min(this.header.pixels, first + BLOCK_PIXELS) - 1;
      const [a, b] = byteRange(this.header, first, last);
      p = this.fetcher(this.url, a, b).then((bytes) => {
        this.fetchedBytes += bytes.byteLength;
        return decodePixels(this.header, bytes);
      });
      // A failed block is forgotten, so the next draw asks again.
      p.catch(() => this.blocks.delete(n));
      this.blocks.set(n, p);
    }
    return p;
  }

  /** `min, max` pairs of pixels `first..=last`. */
  async read(first: number, last: number): Promise<Int16Array> {
    const out = new Int16Array(2 * (last - first + 1));
    const from = Math.floor(first / BLOCK_PIXELS);
    const to = Math.floor(last / BLOCK_PIXELS);
    const blocks = await Promise.all(Array.from({ length: to - from + 1 }, (_, i) => this.block(from + i)));
    blocks.forEach((data, i) => {
      const base = (from + i) * BLOCK_PIXELS;
      const a = Math.max(first, base);
      const b = Math.min(last, base + BLOCK_PIXELS - 1);
      out.set(data.subarray(2 * (a - base), 2 * (b - base + 1)), 2 * (a - first));
    });
    return out;
  }
}
