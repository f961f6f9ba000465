// A project's questions and the answers the workspace builds for them, in the shapes the
// engine reads (`crates/backbeat-annotate/src/schema`). Pure, so unit-tested.

export interface Question {
  name: string;
  title?: string;
  required?: boolean;
  type: "single_choice" | "multi_label" | "number" | "key" | "rating" | "text" | "regions" | "markers";
  labels?: string[];
  vocabulary?: string;
  min?: number;
  max?: number;
  max_length?: number;
  attributes?: Question[];
}

export interface Region {
  /** Client-side identity (not sent). */
  id: number;
  question: string;
  start: number;
  end: number;
  label: string;
  attributes?: Record<string, unknown>;
}

export interface Marker {
  id: number;
  question: string;
  time: number;
  label: string;
}

export interface KeyAnswer {
  tonic: string;
  mode: "major" | "minor";
}

/** Answers to the clip questions (not regions or markers), by question name. */
export type ClipAnswers = Record<string, unknown>;

export const isTimeline = (q: Question) => q.type === "regions" || q.type === "markers";

export const TONICS = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"];

/** The body of `POST /items/{id}/answer`'s `answers`: only the questions asked. */
export function buildAnswers(
  questions: readonly Question[],
  asked: readonly string[],
  clip: ClipAnswers,
  regions: readonly Region[],
  markers: readonly Marker[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const q of questions) {
    if (!asked.includes(q.name)) continue;
    if (q.type === "regions") {
      out[q.name] = regions
        .filter((r) => r.question === q.name)
        .sort((a, b) => a.start - b.start || a.end - b.end)
        .map((r) => ({
          start: round(r.start),
          end: round(r.end),
          label: r.label,
          ...(r.attributes && Object.keys(r.attributes).length ? { attributes: r.attributes } : {}),
        }));
    } else if (q.type === "markers") {
      out[q.name] = markers
        .filter((m) => m.question === q.name)
        .sort((a, b) => a.time - b.time)
        .map((m) => ({ time: round(m.time), label: m.label }));
    } else {
      const v = clip[q.name];
      if (v === undefined || v === null || v === "") {
        // No tag chosen is an answer ("none of these") when the question is required.
        if (q.type === "multi_label" && q.required !== false) out[q.name] = [];
        continue;
      }
      out[q.name] = v;
    }
  }
  return out;
}

/** Milliseconds are what people can tap; more digits are noise in the stored answer. */
function round(t: number): number {
  return Math.round(t * 1000) / 1000;
}

/** Required clip questions still unanswered (the submit button names them). */
export function missing(questions: readonly Question[], asked: readonly string[], clip: ClipAnswers): Question[] {
  return questions.filter((q) => {
    if (!asked.includes(q.name) || q.required === false || isTimeline(q) || q.type === "multi_label") return false;
    const v = clip[q.name];
    return v === undefined || v === "" || v === null;
  });
}

/** One answer as a line of text (the side-by-side view of experts and QA). */
export function describe(q: Question, v: unknown): string {
  if (v === undefined || v === null) return "—";
  switch (q.type) {
    case "key": {
      const k = v as KeyAnswer;
      return `${k.tonic} ${k.mode}`;
    }
    case "multi_label":
      return (v as string[]).length ? (v as string[]).join(", ") : "none";
    case "regions": {
      const rs = v as { start: number; end: number; label: string }[];
      return rs.length ? rs.map((r) => `${r.label} ${r.start.toFixed(2)}–${r.end.toFixed(2)}`).join("; ") : "none";
    }
    case "markers": {
      const ms = v as { time: number; label: string }[];
      if (!ms.length) return "none";
      const counts = new Map<string, number>();
      for (const m of ms) counts.set(m.label, (counts.get(m.label) ?? 0) + 1);
      return [...counts].map(([l, n]) => `${n} ${l}${n === 1 ? "" : "s"}`).join(", ");
    }
    case "number":
      return Number.isInteger(v) ? String(v) : (v as number).toFixed(2);
    default:
      return String(v);
  }
}

/** Pre-fills the form from another answer (a model's, or an annotator's for an expert). */
export function split(
  questions: readonly Question[],
  answers: Record<string, unknown>,
  nextId: () => number,
): { clip: ClipAnswers; regions: Region[]; markers: Marker[] } {
  const clip: ClipAnswers = {};
  const regions: Region[] = [];
  const markers: Marker[] = [];
  for (const q of questions) {
    const v = answers[q.name];
    if (v === undefined || v === null) continue;
    if (q.type === "regions") {
      for (const r of v as Omit<Region, "id" | "question">[]) regions.push({ ...r, id: nextId(), question: q.name });
    } else if (q.type === "markers") {
      for (const m of v as Omit<Marker, "id" | "question">[]) markers.push({ ...m, id: nextId(), question: q.name });
    } else {
      clip[q.name] = v;
    }
  }
  return { clip, regions, markers };
}

/** The label a tap key gives: `beat`/`downbeat` when the question has them, else its 1st/2nd. */
export function tapLabel(q: Question, downbeat: boolean): string | undefined {
  const labels = q.labels ?? [];
  const named = labels.find((l) => l.toLowerCase() === (downbeat ? "downbeat" : "beat"));
  return named ?? labels[downbeat ? 1 : 0];
}

/** A model's regions and markers: its most confident answer per timeline question. */
export interface ModelTimeline {
  questions: string[];
  regions: Omit<Region, "id">[];
  markers: Omit<Marker, "id">[];
  /** The confidence of the answer taken, per question (absent when the model gave none). */
  confidence: Record<string, number>;
}

/** The model timeline of the asked timeline `questions` from the item's model answers. */
export function modelTimeline(
  questions: readonly Question[],
  models: readonly { answers: Record<string, unknown>; confidence?: Record<string, number> | null }[],
): ModelTimeline {
  const out: ModelTimeline = { questions: [], regions: [], markers: [], confidence: {} };
  for (const q of questions.filter(isTimeline)) {
    let best: { v: unknown[]; c: number | undefined } | null = null;
    for (const m of models) {
      const v = m.answers[q.name];
      if (!Array.isArray(v)) continue;
      const c = m.confidence?.[q.name];
      if (!best || (c ?? -1) > (best.c ?? -1)) best = { v, c };
    }
    if (!best) continue;
    out.questions.push(q.name);
    if (best.c !== undefined) out.confidence[q.name] = best.c;
    if (q.type === "regions")
      for (const r of best.v as Omit<Region, "id" | "question">[]) out.regions.push({ ...r, question: q.name });
    else for (const m of best.v as Omit<Marker, "id" | "question">[]) out.markers.push({ ...m, question: q.name });
  }
  return out;
}
