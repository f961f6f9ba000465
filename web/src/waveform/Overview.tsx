// The whole track in one strip under the waveform, with the visible window marked: where the
// zoomed view is, and a way to go anywhere in a long item at once. The server reduces the
// stored peaks to the strip's width (`GET /tracks/{id}/peaks/overview`), so a 2-hour track costs
// the same few kilobytes as a 3-minute one. Click or drag to move the window; as a slider, the
// arrow keys move it by half a window, Page Up/Down by a window, Home/End to either end.
import { useEffect, useRef, useState } from "preact/hooks";
import { apiBytes } from "../lib/api";
import { clock } from "../lib/format";
import { drawColumns, prepareCanvas } from "./draw";
import { decodePixels, DAT_HEADER_BYTES, parseHeader, pixelSeconds } from "./peaks";
import { type Bounds, centre, columns, scroll, type View, visible } from "./view";

export const OVERVIEW_HEIGHT = 28;

/** Loads the whole waveform at most `pixels` wide, as `.dat` bytes. */
export type OverviewLoader = (pixels: number) => Promise<ArrayBuffer>;

/** The loader of a catalog track's overview. */
export function trackOverview(trackId: string): OverviewLoader {
  return (pixels) => apiBytes(`/tracks/${trackId}/peaks/overview`, { query: { pixels } });
}

interface Strip {
  secondsPerPixel: number;
  pairs: Int16Array;
}

/** The strip's `.dat` bytes as pixels; throws on a file that is not one. */
export function readStrip(bytes: ArrayBuffer): Strip {
  const h = parseHeader(bytes);
  return { secondsPerPixel: pixelSeconds(h), pairs: decodePixels(h, bytes.slice(DAT_HEADER_BYTES)) };
}

export function Overview(props: {
  load: OverviewLoader;
  width: number;
  view: View;
  bounds: Bounds;
  onView: (v: View) => void;
  label: string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [strip, setStrip] = useState<Strip | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { width, view, bounds: b } = props;
  const duration = b.duration;

  // One fetch per width bucket of 256 px: resizing a little does not fetch again.
  const bucket = Math.min(4096, Math.max(256, Math.ceil(width / 256) * 256));
  useEffect(() => {
    if (width === 0) return;
    let cancelled = false;
    props.load(bucket).then(
      (bytes) => {
        if (cancelled) return;
        try {
          setStrip(readStrip(bytes));
          setError(null);
        } catch (e) {
          setError((e as Error).message);
        }
      },
      (e: Error) => !cancelled && setError(e.message),
    );
    return () => {
      cancelled = true;
    };
  }, [bucket, props.load]);

  useEffect(() => {
    const c = canvas.current;
    if (!c || width === 0) return;
    const ctx = prepareCanvas(c, width, OVERVIEW_HEIGHT);
    if (!ctx) return;
    const style = getComputedStyle(c);
    const mid = OVERVIEW_HEIGHT / 2;
    if (strip && duration > 0) {
      const whole: View = { start: 0, secondsPerPx: duration / width };
      const cols = columns(whole, { ...b, width }, strip.secondsPerPixel, 0, strip.pairs);
      // A strip this low reads better filled: the loudest pixel reaches the edge (at most 4x,
      // so near-silence stays flat).
      let peak = 1;
      for (const v of cols) peak = Math.max(peak, Math.abs(v));
      const full = Math.max(peak, 32768 / 4);
      ctx.fillStyle = style.getPropertyValue("--wave-axis").trim() || "#94a3b8";
      drawColumns(ctx, cols, mid, full);
    }
    const win = visible(view, b);
    const x0 = (win.start / duration) * width;
    const x1 = Math.max(x0 + 2, (win.end / duration) * width);
    ctx.fillStyle = style.getPropertyValue("--accent").trim() || "#38bdf8";
    ctx.globalAlpha = 0.25;
    ctx.fillRect(x0, 0, x1 - x0, OVERVIEW_HEIGHT);
    ctx.globalAlpha = 1;
    ctx.strokeStyle = ctx.fillStyle;
    ctx.lineWidth = 1;
    ctx.strokeRect(x0 + 0.5, 0.5, x1 - x0 - 1, OVERVIEW_HEIGHT - 1);
  }, [strip, width, view.start, view.secondsPerPx, duration]);

  const moveTo = (clientX: number) => {
    const rect = canvas.current!.getBoundingClientRect();
    const t = ((clientX - rect.left) / rect.width) * duration;
    props.onView(centre(view, Math.max(0, Math.min(duration, t)), b));
  };
  const onPointerDown = (e: PointerEvent) => {
    (e.target as HTMLElement).setPointerCapture?.(e.pointerId);
    moveTo(e.clientX);
  };
  const onPointerMove = (e: PointerEvent) => {
    if (e.buttons & 1) moveTo(e.clientX);
  };
  const onKey = (e: KeyboardEvent) => {
    const page = b.width;
    const moves: Record<string, () => View> = {
      ArrowRight: () => scroll(view, page / 2, b),
      ArrowLeft: () => scroll(view, -page / 2, b),
      PageDown: () => scroll(view, page, b),
      PageUp: () => scroll(view, -page, b),
      Home: () => ({ ...view, start: 0 }),
      End: () => scroll(view, duration / view.secondsPerPx, b),
    };
    const move = moves[e.key];
    if (!move) return;
    e.preventDefault();
    e.stopPropagation();
    props.onView(move());
  };

  const win = visible(view, b);
  return (
    <div class="waveform-overview">
      <canvas
        ref={canvas}
        style={{ width: "100%", height: `${OVERVIEW_HEIGHT}px` }}
        tabIndex={0}
        role="slider"
        aria-label={`${props.label}: whole track overview`}
        aria-valuemin={0}
        aria-valuemax={Math.round(duration)}
        aria-valuenow={Math.round(win.start)}
        aria-valuetext={`showing ${clock(win.start)} to ${clock(win.end)} of ${clock(duration)}`}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onKeyDown={onKey}
        data-testid="waveform-overview"
        data-loaded={strip ? "true" : "false"}
      />
      {error && (
        <span class="error-text small" role="alert">
          Overview: {error}
        </span>
      )}
    </div>
  );
}
