// The renditions of a stream as a listener's quality menu: which rendition of the stream
// document is behind each of the player library's levels, and how it is labelled.
import type { Rendition } from "../lib/types";

/** One rendition a listener can pick. `level` is the player library's index. */
export interface Quality {
  level: number;
  /** `AAC 160 kb/s`. */
  label: string;
  /** `aac-160`: what the listener's choice is remembered as, across tracks. */
  key: string;
}

export type HlsLevel = { bitrate: number; attrs?: Record<string, string>; audioCodec?: string };

/**
 * The stream document's rendition behind a player level. The player orders levels its own way
 * (and drops those the browser cannot decode), so a level's index says nothing: its CODECS and
 * BANDWIDTH do.
 */
export function renditionOf(renditions: Rendition[], level: HlsLevel | undefined): Rendition | undefined {
  if (!level) return undefined;
  const codecs = level.attrs?.CODECS ?? level.audioCodec;
  const same = renditions.filter((r) => !codecs || r.codecs === codecs);
  let best: Rendition | undefined;
  for (const r of same) {
    if (!best || Math.abs(r.bandwidth - level.bitrate) < Math.abs(best.bandwidth - level.bitrate)) best = r;
  }
  return best;
}

export function qualityOf(r: Rendition | undefined, level: HlsLevel, index: number): Quality {
  if (r) return { level: index, label: `${r.codec.toUpperCase()} ${r.kbps} kb/s`, key: `${r.codec}-${r.kbps}` };
  const kbps = Math.round(level.bitrate / 1000);
  return { level: index, label: `${kbps} kb/s`, key: `${kbps}` };
}

/** Levels ordered for a menu: by codec, then by bitrate. */
export function qualityMenu(renditions: Rendition[], levels: HlsLevel[]): Quality[] {
  return levels
    .map((l, i) => qualityOf(renditionOf(renditions, l), l, i))
    .sort((a, b) => a.label.split(" ")[0].localeCompare(b.label.split(" ")[0]) || levels[a.level].bitrate - levels[b.level].bitrate);
}

