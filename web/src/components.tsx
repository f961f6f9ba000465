// Small pieces every page uses.
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { ApiError } from "./lib/api";

/** A page: sets the document title and moves focus to the heading on arrival, so a screen
 *  reader announces the new page and keyboard users start from its top. */
export function Page(props: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  const h1 = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · Backbeat`;
  }, [props.title]);
  useEffect(() => {
    h1.current?.focus({ preventScroll: true });
  }, []);
  return (
    <section class="page" aria-labelledby="page-title">
      <header class="page-head">
        <h1 id="page-title" tabIndex={-1} ref={h1}>
          {props.title}
        </h1>
        {props.actions && <div class="page-actions">{props.actions}</div>}
      </header>
      {props.children}
    </section>
  );
}

/** An API error as the server described it: its title, detail and the fields it names. */
export function ProblemView(props: { error: ApiError | undefined; onRetry?: () => void }) {
  const e = props.error;
  if (!e) return null;
  const p = e.problem;
  return (
    <div class="problem" role="alert">
      <strong class="problem-title">{p.title}</strong>
      {p.status ? <span class="problem-status"> ({p.status})</span> : null}
      {p.detail && <p class="problem-detail">{p.detail}</p>}
      {p.errors && p.errors.length > 0 && (
        <ul class="problem-fields">
          {p.errors.map((f) => (
            <li key={f.field}>
              <code>{f.field}</code>: {f.message}
            </li>
          ))}
        </ul>
      )}
      {props.onRetry && (
        <button type="button" class="button small" onClick={props.onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** Grey blocks the size of what is loading, so nothing jumps when it arrives. */
export function Skeleton(props: { lines?: number; height?: string }) {
  return (
    <div class="skeleton" aria-hidden="true">
      {Array.from({ length: props.lines ?? 3 }, (_, i) => (
        <div key={i} class="skeleton-line" style={{ height: props.height ?? "1.25rem" }} />
      ))}
    </div>
  );
}

/** Shown when a page's data is still loading: the same height as what will replace it. */
export function Loading(props: { label: string; lines?: number }) {
  return (
    <div role="status" aria-live="polite">
      <span class="visually-hidden">{props.label}</span>
      <Skeleton lines={props.lines} />
    </div>
  );
}

export function StatusBadge(props: { status: string }) {
  return <span class={`badge badge-${props.status}`}>{props.status}</span>;
}

/** Keeps `ref`'s element focused-visible from the keyboard only (not after mouse clicks). */
export function useAutoFocus<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  useEffect(() => ref.current?.focus(), []);
  return ref;
}
