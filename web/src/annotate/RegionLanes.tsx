// Regions in lanes under the waveform: overlapping regions take separate lanes. Drag on an
// empty part to make a region, drag a region's edge to resize it, click (or Tab to) a region
// to select it; the keyboard does all of it too (see the shortcut sheet).
import { useRef, useState } from "preact/hooks";
import { preciseSeconds } from "../lib/format";
import { type Bounds, timeToX, type View, xToTime } from "../waveform/view";
import { assignLanes } from "./lanes";
import type { Region } from "./schema";
import type { Edit } from "./timeline";

const LANE_PX = 28;

export const PALETTE = ["#0ea5e9", "#f97316", "#22c55e", "#a855f7", "#eab308", "#ec4899", "#14b8a6", "#ef4444"];

export function labelColor(labels: readonly string[], label: string): string {
  const i = labels.indexOf(label);
  return PALETTE[(i < 0 ? 0 : i) % PALETTE.length];
}

interface Drag {
  kind: "new" | "start" | "end";
  id?: number;
  from: number;
  to: number;
}

export function Lanes(props: {
  regions: Region[];
  view: View | null;
  bounds: Bounds | null;
  selected: number | null;
  labelsOf: (question: string) => string[];
  dispatch: (e: Edit) => void;
  /** The question and label a region drawn by mouse gets. */
  active: { question: string; label: string } | null;
  readOnly?: boolean;
}) {
  const strip = useRef<HTMLDivElement>(null);
  const [drag, setDrag] = useState<Drag | null>(null);
  const { lanes, count } = assignLanes(props.regions);
  const v = props.view;
  const b = props.bounds;
  const height = Math.max(1, count + (drag?.kind === "new" ? 1 : 0)) * LANE_PX + 8;

  const timeAt = (clientX: number) => {
    const rect = strip.current!.getBoundingClientRect();
    return xToTime(v!, clientX - rect.left);
  };

  const down = (e: PointerEvent, kind: Drag["kind"], id?: number) => {
    if (!v || props.readOnly || e.button !== 0) return;
    if (kind === "new" && !props.active) return;
    e.stopPropagation();
    e.preventDefault();
    (e.currentTarget as Element).setPointerCapture?.(e.pointerId);
    const t = timeAt(e.clientX);
    setDrag({ kind, id, from: t, to: t });
  };
  const move = (e: PointerEvent) => {
    if (!drag) return;
    const t = timeAt(e.clientX);
    setDrag({ ...drag, to: t });
    if (drag.kind !== "new" && drag.id !== undefined) props.dispatch({ type: "moveEdge", id: drag.id, edge: drag.kind, time: t });
  };
  const up = () => {
    if (drag?.kind === "new" && props.active && Math.abs(drag.to - drag.from) > 0) {
      props.dispatch({ type: "addRegion", start: drag.from, end: drag.to, question: props.active.question, label: props.active.label });
    }
    setDrag(null);
  };

  return (
    <div
      class="lanes"
      ref={strip}
      style={{ height: `${height}px` }}
      onPointerDown={(e) => down(e, "new")}
      onPointerMove={move}
      onPointerUp={up}
      onPointerCancel={() => setDrag(null)}
      data-testid="lanes"
      aria-label="Regions"
      role="group"
    >
      {v && b &&
        props.regions.map((r, i) => {
          const x0 = timeToX(v, r.start);
          const x1 = timeToX(v, r.end);
          if (x1 < 0 || x0 > b.width) return null;
          const left = Math.max(0, x0);
          const width = Math.max(3, Math.min(b.width, x1) - left);
          const color = labelColor(props.labelsOf(r.question), r.label);
          return (
            <button
              key={r.id}
              type="button"
              class="region"
              aria-pressed={props.selected === r.id}
              aria-label={`${r.label}, ${preciseSeconds(r.start)} to ${preciseSeconds(r.end)}`}
              style={{ left: `${left}px`, width: `${width}px`, top: `${4 + lanes[i] * LANE_PX}px`, background: color }}
              onClick={(e) => {
                e.stopPropagation();
                props.dispatch({ type: "select", id: r.id });
              }}
              onPointerDown={(e) => e.stopPropagation()}
              data-testid="region"
            >
              {!props.readOnly && <span class="edge edge-start" onPointerDown={(e) => down(e, "start", r.id)} aria-hidden="true" />}
              <span class="region-label">{r.label}</span>
              {!props.readOnly && <span class="edge edge-end" onPointerDown={(e) => down(e, "end", r.id)} aria-hidden="true" />}
            </button>
          );
        })}
      {v && drag?.kind === "new" && (
        <div
          class="region ghost"
          style={{
            left: `${timeToX(v, Math.min(drag.from, drag.to))}px`,
            width: `${Math.abs(timeToX(v, drag.to) - timeToX(v, drag.from))}px`,
            top: `${4 + count * LANE_PX}px`,
          }}
        />
      )}
      {props.regions.length === 0 && !drag && (
        <span class="lanes-hint muted small">{props.readOnly ? "No regions." : "Drag here, or press R twice while playing, to make a region."}</span>
      )}
    </div>
  );
}
