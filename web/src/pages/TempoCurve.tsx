// The tempo curve of a track (analysis `rhythm.tempo_curve`): a small line plot of the local
// tempo over time, so a ritardando or a faster last chorus shows at a glance, with the range
// spoken for screen readers.
import { clock } from "../lib/format";

export interface TempoPoint {
  time: number;
  bpm: number;
}

const W = 320;
const H = 64;
const PAD = { left: 34, right: 6, top: 6, bottom: 16 };

/** What the curve says in words: steady (at the reported tempo, so the page says one number),
 * or the range it moves through. */
export function tempoSummary(points: TempoPoint[], reported: number | null): string {
  const bpms = points.map((p) => p.bpm);
  const lo = Math.min(...bpms);
  const hi = Math.max(...bpms);
  if (hi / lo > 1.04) return `moves between ${Math.round(lo)} and ${Math.round(hi)} BPM`;
  return `steady at ${reported !== null ? reported.toFixed(1) : Math.round((lo + hi) / 2)} BPM`;
}

/** The curve's summary in words and its plot; nothing when there are fewer than two points. */
export function TempoCurve(props: { points: TempoPoint[]; duration: number; reported: number | null }) {
  const points = props.points.filter((p) => Number.isFinite(p.time) && Number.isFinite(p.bpm) && p.bpm > 0);
  if (points.length < 2) return null;
  const bpms = points.map((p) => p.bpm);
  // A steady tempo is drawn flat in the middle of a ±5 % band, not as noise blown up to the
  // full height.
  const mid = (Math.min(...bpms) + Math.max(...bpms)) / 2;
  const lo = Math.min(Math.min(...bpms), mid * 0.95);
  const hi = Math.max(Math.max(...bpms), mid * 1.05);
  const end = Math.max(props.duration, points[points.length - 1].time);
  const x = (t: number) => PAD.left + (t / end) * (W - PAD.left - PAD.right);
  const y = (b: number) => PAD.top + (1 - (b - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);
  const d = points.map((p, i) => `${i ? "L" : "M"}${x(p.time).toFixed(1)},${y(p.bpm).toFixed(1)}`).join(" ");
  const summary = tempoSummary(points, props.reported);
  return (
    <>
    <span class="muted">{summary}</span>
    <svg
      class="tempo-curve"
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label={`Tempo curve: ${summary}`}
      data-testid="tempo-curve"
      data-points={points.length}
    >
      <title>{`Tempo curve: ${summary}`}</title>
      <line x1={PAD.left} x2={W - PAD.right} y1={H - PAD.bottom} y2={H - PAD.bottom} class="axis" />
      <text x={PAD.left - 4} y={y(hi) + 4} text-anchor="end">{Math.round(hi)}</text>
      <text x={PAD.left - 4} y={y(lo)} text-anchor="end">{Math.round(lo)}</text>
      <text x={PAD.left} y={H - 3}>0:00</text>
      <text x={W - PAD.right} y={H - 3} text-anchor="end">{clock(end)}</text>
      <path d={d} class="line" />
    </svg>
    </>
  );
}
