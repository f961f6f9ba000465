// Putting a track's stream document on an <audio> element: its HLS ladder through hls.js
// (loaded on first use, so pages that never play do not pay for it), native HLS where the
// browser has it, else the original file by progressive download with Range.
import type { StreamDoc } from "../lib/types";
import { type HlsLevel, type Quality, qualityMenu, qualityOf, renditionOf } from "./qualities";

export type { Quality };

export interface Attached {
  /** What plays: `HLS · AAC 160 kb/s (auto)`, `original (progressive)`. */
  describe(): string;
  /** The renditions to choose from (none where the browser picks, or plays the original). */
  qualities(): Quality[];
  /** The chosen level, -1 for automatic. */
  chosen(): number;
  choose(level: number): void;
  destroy(): void;
}

type HlsLike = {
  loadSource(url: string): void;
  attachMedia(m: HTMLMediaElement): void;
  destroy(): void;
  on(ev: string, f: (ev: string, data: Record<string, unknown>) => void): void;
  levels: HlsLevel[];
  currentLevel: number;
  autoLevelEnabled: boolean;
  manualLevel: number;
};

export async function attachStream(
  audio: HTMLAudioElement,
  doc: StreamDoc,
  events: { onChange?: () => void; onFatal?: (message: string) => void; preferred?: string | null } = {},
): Promise<Attached> {
  if (doc.hlsUrl && typeof MediaSource !== "undefined") {
    const { default: Hls } = await import("hls.js/light");
    if (Hls.isSupported()) {
      const hls = new Hls({ maxBufferLength: 30 }) as unknown as HlsLike;
      let playing = -1;
      let menu: Quality[] = [];
      hls.on("hlsManifestParsed", () => {
        menu = qualityMenu(doc.renditions, hls.levels);
        // The listener's last choice, where this track has it; automatic otherwise.
        const wanted = menu.find((q) => q.key === events.preferred);
        if (wanted) hls.currentLevel = wanted.level;
        events.onChange?.();
      });
      hls.on("hlsLevelSwitched", (_e, data) => {
        playing = data.level as number;
        events.onChange?.();
      });
      hls.on("hlsError", (_e, data) => {
        if (data.fatal) events.onFatal?.(`Streaming failed (${String(data.details ?? "error")})`);
      });
      hls.loadSource(doc.hlsUrl);
      hls.attachMedia(audio);
      return {
        describe: () => {
          if (playing < 0) return "HLS";
          const q = menu.find((m) => m.level === playing) ?? qualityOf(renditionOf(doc.renditions, hls.levels[playing]), hls.levels[playing], playing);
          return `HLS · ${q.label}${hls.autoLevelEnabled ? " (auto)" : ""}`;
        },
        qualities: () => menu,
        chosen: () => hls.manualLevel,
        choose: (level) => {
          // currentLevel switches at once (it drops the buffer ahead); -1 hands back to ABR.
          hls.currentLevel = level;
          events.onChange?.();
        },
        destroy: () => hls.destroy(),
      };
    }
  }
  const fixed = (what: string): Attached => ({
    describe: () => what,
    qualities: () => [],
    chosen: () => -1,
    choose: () => undefined,
    destroy: () => audio.removeAttribute("src"),
  });
  if (doc.hlsUrl && audio.canPlayType("application/vnd.apple.mpegurl")) {
    audio.src = doc.hlsUrl;
    return fixed("HLS (native)");
  }
  audio.src = doc.trackUrl;
  return fixed("original (progressive)");
}
