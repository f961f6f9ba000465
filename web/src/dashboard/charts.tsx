// Small SVG charts: bars over time, a line over days, horizontal bars and a share bar. Each
// has a text alternative (a title and a visually hidden table) for screen readers.
import type { ComponentChildren } from "preact";

/** The charts' drawing width: about the width they get in a dashboard card, so text stays legible. */
const W = 360;

export interface Point {
  label: string;
  value: number;
}

function Frame(props: { title: string; points: Point[]; format: (v: number) => string; children: ComponentChildren; height: number }) {
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${props.height}`} role="img" aria-label={props.title}>
        {props.children}
      </svg>
      <table class="visually-hidden">
        <caption>{props.title}</caption>
        <tbody>
          {props.points.map((p) => (
            <tr key={p.label}>
              <th scope="row">{p.label}</th>
              <td>{props.format(p.value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

/** Nice upper bound for an axis. */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export function Bars(props: { title: string; points: Point[]; format?: (v: number) => string; max?: number }) {
  const fmt = props.format ?? ((v) => String(v));
  const H = 170;
  const pad = { l: 40, b: 22, t: 8 };
  const max = props.max ?? niceMax(Math.max(0, ...props.points.map((p) => p.value)));
  const n = Math.max(1, props.points.length);
  const w = (W - pad.l) / n;
  const y = (v: number) => pad.t + (H - pad.t - pad.b) * (1 - v / max);
  const step = Math.ceil(n / 8);
  return (
    <Frame title={props.title} points={props.points} format={fmt} height={H}>
      {[0, 0.5, 1].map((f) => (
        <g key={f}>
          <line x1={pad.l} x2={W} y1={y(f * max)} y2={y(f * max)} class="grid" />
          <text x={pad.l - 4} y={y(f * max) + 4} class="axis" text-anchor="end">
            {fmt(f * max)}
          </text>
        </g>
      ))}
      {props.points.map((p, i) => (
        <g key={p.label}>
          <rect x={pad.l + i * w + w * 0.1} width={w * 0.8} y={y(p.value)} height={Math.max(0, y(0) - y(p.value))} class="bar-fill">
            <title>
              {p.label}: {fmt(p.value)}
            </title>
          </rect>
          {i % step === 0 && (
            <text x={pad.l + i * w + w / 2} y={H - 6} class="axis" text-anchor="middle">
              {p.label}
            </text>
          )}
        </g>
      ))}
    </Frame>
  );
}

export function Line(props: { title: string; points: Point[]; format?: (v: number) => string; min?: number; max?: number; threshold?: number }) {
  const fmt = props.format ?? ((v) => v.toFixed(2));
  const H = 170;
  const pad = { l: 40, b: 22, t: 8, r: 8 };
  const lo = props.min ?? 0;
  const hi = props.max ?? niceMax(Math.max(0, ...props.points.map((p) => p.value)));
  const n = props.points.length;
  const x = (i: number) => pad.l + (n <= 1 ? (W - pad.l - pad.r) / 2 : (i * (W - pad.l - pad.r)) / (n - 1));
  const y = (v: number) => pad.t + (H - pad.t - pad.b) * (1 - (v - lo) / (hi - lo || 1));
  const step = Math.ceil(n / 8);
  return (
    <Frame title={props.title} points={props.points} format={fmt} height={H}>
      {[lo, (lo + hi) / 2, hi].map((v) => (
        <g key={v}>
          <line x1={pad.l} x2={W} y1={y(v)} y2={y(v)} class="grid" />
          <text x={pad.l - 4} y={y(v) + 4} class="axis" text-anchor="end">
            {fmt(v)}
          </text>
        </g>
      ))}
      {props.threshold !== undefined && <line x1={pad.l} x2={W} y1={y(props.threshold)} y2={y(props.threshold)} class="threshold" />}
      <polyline points={props.points.map((p, i) => `${x(i)},${y(p.value)}`).join(" ")} class="line" />
      {props.points.map((p, i) => (
        <g key={p.label}>
          <circle cx={x(i)} cy={y(p.value)} r={4} class="dot">
            <title>
              {p.label}: {fmt(p.value)}
            </title>
          </circle>
          {i % step === 0 && (
            <text x={x(i)} y={H - 6} class="axis" text-anchor="middle">
              {p.label}
            </text>
          )}
        </g>
      ))}
    </Frame>
  );
}

/** One row per thing, bar length by value (annotators, questions). */
export function HBars(props: { title: string; points: Point[]; format?: (v: number) => string; max?: number }) {
  const fmt = props.format ?? ((v) => String(v));
  const max = props.max ?? niceMax(Math.max(0, ...props.points.map((p) => p.value)));
  return (
    <figure class="chart hbars" aria-label={props.title}>
      <ul class="bars">
        {props.points.map((p) => (
          <li key={p.label}>
            <span class="bar-label">{p.label}</span>
            <span class="bar" role="meter" aria-valuemin={0} aria-valuemax={max} aria-valuenow={p.value} aria-label={p.label}>
              <span style={{ width: `${Math.max(0, Math.min(100, (100 * p.value) / max))}%` }} />
            </span>
            <span class="tabular muted">{fmt(p.value)}</span>
          </li>
        ))}
      </ul>
    </figure>
  );
}

/** Shares of a whole in one bar, with a legend. */
export function ShareBar(props: { title: string; parts: { label: string; value: number; color: string }[] }) {
  const total = props.parts.reduce((a, p) => a + p.value, 0);
  return (
    <figure class="chart share" aria-label={props.title}>
      <div class="share-bar" aria-hidden="true">
        {props.parts.map((p) =>
          p.value > 0 ? <span key={p.label} style={{ width: `${(100 * p.value) / total}%`, background: p.color }} title={`${p.label}: ${p.value}`} /> : null,
        )}
        {total === 0 && <span class="muted small">nothing yet</span>}
      </div>
      <ul class="legend">
        {props.parts.map((p) => (
          <li key={p.label}>
            <span class="swatch" style={{ background: p.color }} aria-hidden="true" />
            {p.label}: <strong>{p.value}</strong>
            {total > 0 && <span class="muted"> ({Math.round((100 * p.value) / total)} %)</span>}
          </li>
        ))}
      </ul>
    </figure>
  );
}
