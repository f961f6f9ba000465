// The regions and markers of one item as the workspace edits them: a reducer, so every edit
// the mouse or the keyboard makes is one tested function. Times stay inside the item's window.
import type { Marker, Region } from "./schema";

export interface Timeline {
  regions: Region[];
  markers: Marker[];
  /** The selected region's id. */
  selected: number | null;
  /** A region started with the keyboard (`r`) and not yet ended: its start. */
  pending: number | null;
  /** The marker the nudge keys move: the last one tapped or clicked. */
  lastMarker: number | null;
  nextId: number;
}

export interface Window {
  start: number;
  end: number;
}

export type Edit =
  | { type: "reset"; regions: Region[]; markers: Marker[] }
  /** Replaces the regions and markers of `questions` with another answer's (a model's). */
  | { type: "adopt"; questions: string[]; regions: Omit<Region, "id">[]; markers: Omit<Marker, "id">[] }
  | { type: "mark"; time: number; question: string; label: string }
  | { type: "addRegion"; start: number; end: number; question: string; label: string }
  | { type: "select"; id: number | null }
  | { type: "selectStep"; step: 1 | -1 }
  | { type: "moveEdge"; id: number; edge: "start" | "end"; time: number }
  | { type: "nudgeEdge"; edge: "start" | "end"; by: number }
  | { type: "label"; id: number; label: string }
  | { type: "attribute"; id: number; name: string; value: unknown }
  | { type: "deleteRegion"; id: number }
  | { type: "tap"; time: number; question: string; label: string }
  | { type: "nudgeMarker"; by: number }
  | { type: "deleteMarker"; id?: number }
  | { type: "selectMarker"; id: number };

/** A tap this close (seconds) to a marker of another label relabels it (mir_eval's beat window). */
export const RELABEL_WINDOW = 0.07;

/** Shortest region people can make: 50 ms (a slip of the key otherwise makes a 0-length one). */
export const MIN_REGION = 0.05;

export const emptyTimeline = (): Timeline => ({ regions: [], markers: [], selected: null, pending: null, lastMarker: null, nextId: 1 });

const clamp = (t: number, w: Window) => Math.min(w.end, Math.max(w.start, t));

function byStart(rs: Region[]): Region[] {
  return [...rs].sort((a, b) => a.start - b.start || a.end - b.end || a.id - b.id);
}

export function edit(s: Timeline, e: Edit, w: Window): Timeline {
  switch (e.type) {
    case "reset": {
      const ids = [...e.regions.map((r) => r.id), ...e.markers.map((m) => m.id)];
      return { ...emptyTimeline(), regions: e.regions, markers: e.markers, nextId: Math.max(0, ...ids) + 1 };
    }
    case "adopt": {
      const replaced = new Set(e.questions);
      let nextId = s.nextId;
      const regions = e.regions.map((r) => {
        const start = clamp(Math.min(r.start, r.end), w);
        return { ...r, id: nextId++, start, end: Math.max(start, clamp(Math.max(r.start, r.end), w)) };
      });
      const markers = e.markers.map((m) => ({ ...m, id: nextId++, time: clamp(m.time, w) }));
      const kept = s.markers.filter((m) => !replaced.has(m.question));
      return {
        ...s,
        regions: byStart([...s.regions.filter((r) => !replaced.has(r.question)), ...regions]),
        markers: [...kept, ...markers].sort((a, b) => a.time - b.time || a.id - b.id),
        selected: s.regions.some((r) => r.id === s.selected && !replaced.has(r.question)) ? s.selected : null,
        pending: null,
        lastMarker: kept.some((m) => m.id === s.lastMarker) ? s.lastMarker : null,
        nextId,
      };
    }
    case "mark": {
      const t = clamp(e.time, w);
      if (s.pending === null) return { ...s, pending: t };
      const [a, b] = s.pending <= t ? [s.pending, t] : [t, s.pending];
      return edit({ ...s, pending: null }, { type: "addRegion", start: a, end: b, question: e.question, label: e.label }, w);
    }
    case "addRegion": {
      let start = clamp(Math.min(e.start, e.end), w);
      let end = clamp(Math.max(e.start, e.end), w);
      if (end - start < MIN_REGION) {
        end = Math.min(w.end, start + MIN_REGION);
        start = Math.max(w.start, end - MIN_REGION);
      }
      const r: Region = { id: s.nextId, question: e.question, start, end, label: e.label };
      return { ...s, regions: byStart([...s.regions, r]), selected: r.id, nextId: s.nextId + 1 };
    }
    case "select":
      return { ...s, selected: e.id };
    case "selectStep": {
      if (!s.regions.length) return s;
      const i = s.regions.findIndex((r) => r.id === s.selected);
      const j = i < 0 ? (e.step > 0 ? 0 : s.regions.length - 1) : (i + e.step + s.regions.length) % s.regions.length;
      return { ...s, selected: s.regions[j].id };
    }
    case "moveEdge":
      return { ...s, regions: byStart(s.regions.map((r) => (r.id === e.id ? setEdge(r, e.edge, e.time, w) : r))) };
    case "nudgeEdge": {
      const r = s.regions.find((x) => x.id === s.selected);
      if (!r) return s;
      return edit(s, { type: "moveEdge", id: r.id, edge: e.edge, time: r[e.edge] + e.by }, w);
    }
    case "label":
      return { ...s, regions: s.regions.map((r) => (r.id === e.id ? { ...r, label: e.label } : r)) };
    case "attribute":
      return {
        ...s,
        regions: s.regions.map((r) => {
          if (r.id !== e.id) return r;
          const attributes = { ...(r.attributes ?? {}) };
          if (e.value === undefined || e.value === "") delete attributes[e.name];
          else attributes[e.name] = e.value;
          return { ...r, attributes };
        }),
      };
    case "deleteRegion": {
      const i = s.regions.findIndex((r) => r.id === e.id);
      if (i < 0) return s;
      const regions = s.regions.filter((r) => r.id !== e.id);
      // The neighbour takes the selection, so Delete can be pressed again.
      const next = regions[Math.min(i, regions.length - 1)];
      return { ...s, regions, selected: next ? next.id : null };
    }
    case "tap": {
      const time = clamp(e.time, w);
      // A tap on a marker of another label (a downbeat on an adopted beat) relabels it: the
      // grid keeps one marker per beat.
      let near: Marker | undefined;
      for (const m of s.markers)
        if (m.question === e.question && m.label !== e.label && Math.abs(m.time - time) <= RELABEL_WINDOW && (!near || Math.abs(m.time - time) < Math.abs(near.time - time))) near = m;
      if (near) {
        const id = near.id;
        return { ...s, markers: s.markers.map((m) => (m.id === id ? { ...m, label: e.label } : m)), lastMarker: id };
      }
      const m: Marker = { id: s.nextId, question: e.question, time, label: e.label };
      return { ...s, markers: [...s.markers, m], lastMarker: m.id, nextId: s.nextId + 1 };
    }
    case "selectMarker":
      return { ...s, lastMarker: e.id };
    case "nudgeMarker":
      return {
        ...s,
        markers: s.markers.map((m) => (m.id === s.lastMarker ? { ...m, time: clamp(m.time + e.by, w) } : m)),
      };
    case "deleteMarker": {
      const id = e.id ?? s.lastMarker;
      const markers = s.markers.filter((m) => m.id !== id);
      return { ...s, markers, lastMarker: markers.length ? markers[markers.length - 1].id : null };
    }
  }
}

/** Moves one edge, never past the other edge (keeping `MIN_REGION`) nor out of the window. */
function setEdge(r: Region, edge: "start" | "end", t: number, w: Window): Region {
  if (edge === "start") return { ...r, start: Math.max(w.start, Math.min(t, r.end - MIN_REGION)) };
  return { ...r, end: Math.min(w.end, Math.max(t, r.start + MIN_REGION)) };
}
