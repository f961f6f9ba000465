// A waveform drawn from server-side peaks, fetched by range for the visible window only.
// Zoom with Ctrl/⌘ + wheel or +/−, scroll with the wheel or the arrow keys, click to seek.
// Overlays (a beat grid, annotation regions and markers) draw on top through `overlay`. With an
// `overview` loader, a strip of the whole track under it marks the window and moves it.
import { useEffect, useRef, useState } from "preact/hooks";
import { clock } from "../lib/format";
import { drawColumns, prepareCanvas } from "./draw";
import { Overview, OVERVIEW_HEIGHT, type OverviewLoader } from "./Overview";
import { PeaksReader, pixelSeconds, pixelsFor } from "./peaks";
import { type Bounds, bounds as makeBounds, columns, fit, follow, initialView, scroll, timeToX, type View, visible, xToTime, zoom } from "./view";

export interface Overlay {
  (ctx: CanvasRenderingContext2D, view: View, b: Bounds, height: number): void;
}

export interface WaveformProps {
  reader: PeaksReader;
  /** Seconds of audio (the peaks' length when not given). */
  duration?: number;
  /** The playhead's time, read every frame; none: no playhead. */
  time?: () => number;
  onSeek?: (t: number) => void;
  overlay?: Overlay;
  /** Called with the view whenever it changes (for hit-testing overlays). */
  onView?: (v: View, b: Bounds) => void;
  /** Changes when the overlay's data changes, to redraw. */
  overlayKey?: unknown;
  height?: number;
  label: string;
  /** Seconds to show first (an annotation item's window); the whole track otherwise. */
  initial?: { start: number; end: number };
  /** A view the parent asks for (zoom keys, centring on the playhead). */
  viewRequest?: View | null;
  /** Called once the first window is drawn (the open-to-drawn benchmark reads it). */
  onDrawn?: () => void;
  /** Loads the whole-track overview strip; none: no strip. */
  overview?: OverviewLoader;
}

export function Waveform(props: WaveformProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  const height = props.height ?? 128;
  const ps = pixelSeconds(props.reader.header);
  const duration = props.duration ?? props.reader.header.pixels * ps;
  const b = makeBounds(duration, width, ps);
  const [view, setView] = useState<View | null>(null);
  const data = useRef<{ first: number; pairs: Int16Array } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const drawnOnce = useRef(false);
  const propsRef = useRef(props);
  propsRef.current = props;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(Math.floor(el.clientWidth)));
    ro.observe(el);
    setWidth(Math.floor(el.clientWidth));
    return () => ro.disconnect();
  }, []);

  // A new reader or width: start from the initial view (keeping the zoom across resizes).
  useEffect(() => {
    if (width > 0)
      setView((v) =>
        v ? { ...v, start: Math.min(v.start, duration) } : props.initial ? fit(b, props.initial.start, props.initial.end) : initialView(b),
      );
  }, [width, props.reader]);

  useEffect(() => {
    if (props.viewRequest) setView(props.viewRequest);
  }, [props.viewRequest]);

  useEffect(() => {
    if (view) propsRef.current.onView?.(view, b);
  }, [view, width]);

  const draw = () => {
    const c = canvas.current;
    if (!c || !view || width === 0) return;
    const ctx = prepareCanvas(c, width, height);
    if (!ctx) return;
    const style = getComputedStyle(c);
    const mid = height / 2;
    const d = data.current;
    if (d) {
      const cols = columns(view, b, ps, d.first, d.pairs);
      ctx.fillStyle = style.getPropertyValue("--wave").trim() || "#38bdf8";
      drawColumns(ctx, cols, mid);
    }
    ctx.fillStyle = style.getPropertyValue("--wave-axis").trim() || "#64748b";
    ctx.fillRect(0, mid, width, 0.5);
    propsRef.current.overlay?.(ctx, view, b, height);
    const t = propsRef.current.time?.();
    if (t !== undefined) {
      const x = timeToX(view, t);
      if (x >= 0 && x <= width) {
        ctx.fillStyle = style.getPropertyValue("--playhead").trim() || "#f43f5e";
        ctx.fillRect(Math.round(x) - 1, 0, 2, height);
      }
    }
  };

  // Fetch the window's pixels whenever the view changes; draw what we have meanwhile.
  useEffect(() => {
    if (!view || width === 0) return;
    const win = visible(view, b);
    const px = pixelsFor(props.reader.header, win.start, win.end);
    let cancelled = false;
    if (!px) {
      data.current = null;
      draw();
      return;
    }
    const have = data.current;
    if (!have || have.first > px.first || have.first + have.pairs.length / 2 - 1 < px.last) {
      props.reader.read(px.first, px.last).then(
        (pairs) => {
          if (cancelled) return;
          data.current = { first: px.first, pairs };
          setError(null);
          draw();
          if (!drawnOnce.current) {
            drawnOnce.current = true;
            propsRef.current.onDrawn?.();
          }
        },
        (e: Error) => !cancelled && setError(e.message),
      );
    }
    draw();
    return () => {
      cancelled = true;
    };
  }, [view, width, props.reader]);

  useEffect(draw, [props.overlayKey]);

  // The playhead: redraw each frame while there is one, following it a page at a time.
  useEffect(() => {
    if (!props.time) return;
    let raf = 0;
    let last = -1;
    const frame = () => {
      const t = propsRef.current.time?.() ?? 0;
      if (t !== last) {
        last = t;
        setView((v) => (v ? follow(v, t, b) : v));
        draw();
      }
      raf = requestAnimationFrame(frame);
    };
    raf = requestAnimationFrame(frame);
    return () => cancelAnimationFrame(raf);
  });

  const onWheel = (e: WheelEvent) => {
    if (!view) return;
    e.preventDefault();
    const rect = canvas.current!.getBoundingClientRect();
    if (e.ctrlKey || e.metaKey) setView(zoom(view, Math.exp(e.deltaY * 0.002), e.clientX - rect.left, b));
    else setView(scroll(view, e.deltaX || e.deltaY, b));
  };

  const onKey = (e: KeyboardEvent) => {
    if (!view) return;
    const step = e.shiftKey ? width / 2 : width / 10;
    if (e.key === "+" || e.key === "=") setView(zoom(view, 0.5, width / 2, b));
    else if (e.key === "-") setView(zoom(view, 2, width / 2, b));
    else if (e.key === "ArrowRight" && !propsRef.current.onSeek) setView(scroll(view, step, b));
    else if (e.key === "ArrowLeft" && !propsRef.current.onSeek) setView(scroll(view, -step, b));
    else return;
    e.preventDefault();
  };

  const onClick = (e: MouseEvent) => {
    if (!view || !props.onSeek) return;
    const rect = canvas.current!.getBoundingClientRect();
    props.onSeek(Math.max(0, Math.min(duration, xToTime(view, e.clientX - rect.left))));
  };

  const win = view ? visible(view, b) : { start: 0, end: 0 };
  return (
    <div class="waveform" ref={box} style={{ height: `${height + 22 + (props.overview ? OVERVIEW_HEIGHT + 4 : 0)}px` }}>
      <canvas
        ref={canvas}
        style={{ width: "100%", height: `${height}px` }}
        tabIndex={0}
        role="img"
        aria-label={`${props.label}: waveform from ${clock(win.start)} to ${clock(win.end)}. Plus and minus zoom.`}
        onWheel={onWheel}
        onKeyDown={onKey}
        onClick={onClick}
        data-testid="waveform"
        data-start={win.start.toFixed(3)}
        data-end={win.end.toFixed(3)}
      />
      <div class="waveform-scale muted">
        <span>{clock(win.start)}</span>
        {error ? (
          <span class="error-text" role="alert">
            Waveform: {error}
          </span>
        ) : (
          <span>
            {view && view.secondsPerPx < 0.1 ? `${(view.secondsPerPx * 1000).toFixed(1)} ms/px` : ""}
          </span>
        )}
        <span>{clock(win.end)}</span>
      </div>
      {props.overview && view && width > 0 && (
        <Overview load={props.overview} width={width} view={view} bounds={b} onView={setView} label={props.label} />
      )}
    </div>
  );
}

/** Vertical lines at `times` (a beat grid), every `accentEvery`-th one stronger. */
export function gridOverlay(times: readonly number[], color: string, accentEvery = 4): Overlay {
  return (ctx, view, b, height) => {
    const end = view.start + view.secondsPerPx * b.width;
    // Too dense to read: show the bars only.
    const dense = times.length > 1 && (times[1] - times[0]) / view.secondsPerPx < 4;
    times.forEach((t, i) => {
      if (t < view.start || t > end) return;
      const accent = i % accentEvery === 0;
      if (dense && !accent) return;
      ctx.fillStyle = color;
      ctx.globalAlpha = accent ? 0.7 : 0.3;
      ctx.fillRect(Math.round(timeToX(view, t)), 0, 1, height);
    });
    ctx.globalAlpha = 1;
  };
}
