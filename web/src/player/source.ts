// Putting a track's stream document on an <audio> element: its HLS ladder through hls.js
// (loaded on first use, so pages that never play do not pay for it), native HLS where the
// browser has it, else the original file by progressive download with Range.
import type { Rendition, StreamDoc } from "../lib/types";

export interface Attached {
  /** What plays: `HLS · AAC 160 kb/s`, `original (progressive)`. */
  describe(): string;
  destroy(): void;
}

type HlsLike = {
  loadSource(url: string): void;
  attachMedia(m: HTMLMediaElement): void;
  destroy(): void;
  on(ev: string, f: (ev: string, data: Record<string, unknown>) => void): void;
  levels: { bitrate: number }[];
  currentLevel: number;
};

function describeLevel(renditions: Rendition[], hls: HlsLike, level: number): string {
  const r = renditions[level];
  if (r) return `HLS · ${r.codec.toUpperCase()} ${r.kbps} kb/s`;
  const l = hls.levels[level];
  return l ? `HLS · ${Math.round(l.bitrate / 1000)} kb/s` : "HLS";
}

export async function attachStream(
  audio: HTMLAudioElement,
  doc: StreamDoc,
  events: { onChange?: () => void; onFatal?: (message: string) => void } = {},
): Promise<Attached> {
  if (doc.hlsUrl && typeof MediaSource !== "undefined") {
    const { default: Hls } = await import("hls.js/light");
    if (Hls.isSupported()) {
      const hls = new Hls({ maxBufferLength: 30 }) as unknown as HlsLike;
      let what = "HLS";
      hls.on("hlsLevelSwitched", (_e, data) => {
        what = describeLevel(doc.renditions, hls, data.level as number);
        events.onChange?.();
      });
      hls.on("hlsError", (_e, data) => {
        if (data.fatal) events.onFatal?.(`Streaming failed (${String(data.details ?? "error")})`);
      });
      hls.loadSource(doc.hlsUrl);
      hls.attachMedia(audio);
      return { describe: () => what, destroy: () => hls.destroy() };
    }
  }
  if (doc.hlsUrl && audio.canPlayType("application/vnd.apple.mpegurl")) {
    audio.src = doc.hlsUrl;
    return { describe: () => "HLS (native)", destroy: () => audio.removeAttribute("src") };
  }
  audio.src = doc.trackUrl;
  return { describe: () => "original (progressive)", destroy: () => audio.removeAttribute("src") };
}
