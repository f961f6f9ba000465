// The annotation workspace: claim an item, listen, draw regions and tap markers on the
// waveform, answer the clip questions, submit (or skip, or postpone), and on to the next.
// Experts and QA get the same workspace with the annotators' answers beside it.
import { useEffect, useMemo, useReducer, useRef, useState } from "preact/hooks";
import { Loading, Page, ProblemView } from "../components";
import { api, ApiError } from "../lib/api";
import { clock, preciseSeconds } from "../lib/format";
import { useLoad } from "../lib/hooks";
import type { PeaksDoc, StreamDoc, Track } from "../lib/types";
import * as player from "../player/player";
import { type Attached, attachStream } from "../player/source";
import { trackOverview } from "../waveform/Overview";
import { PeaksReader } from "../waveform/peaks";
import { type Bounds, centre, type View, timeToX, zoom } from "../waveform/view";
import { Waveform } from "../waveform/Waveform";
import { actionFor } from "./keymap";
import { labelColor, Lanes } from "./RegionLanes";
import { type ModelAnswer, Questions } from "./Questions";
import { Review, type ReviewVerdict } from "./Review";
import { buildAnswers, type ClipAnswers, isTimeline, missing, modelTimeline, type Question, split, tapLabel } from "./schema";
import { Shortcuts } from "./Shortcuts";
import { edit, emptyTimeline, type Edit, type Timeline } from "./timeline";
import { Icon } from "../player/PlayerBar";

export interface Project {
  id: string;
  name: string;
  description: string;
  schema: { questions: Question[] };
  settings: Record<string, unknown>;
  schemaVersion: number;
}

export interface Item {
  id: number;
  projectId: string;
  trackId: string;
  start: number;
  end: number | null;
  state: string;
  agreement: number | null;
  /** The resolved answer (QA sees the one under review). */
  result?: Record<string, unknown> | null;
}

export interface Annotation {
  id: number;
  annotatorId: string;
  stage: string;
  answers: Record<string, unknown>;
  leadMs: number | null;
}

export interface Work {
  item: Item;
  leaseUntil: string;
  returned: boolean;
  questions: string[];
  modelAnswers: ModelAnswer[] | null;
  answers: Annotation[];
}

export function Workspace(props: { projectId: string }) {
  const project = useLoad((signal) => api<Project>(`/annotation/projects/${props.projectId}`, { signal }), [props.projectId]);
  const [work, setWork] = useState<Work | null | "none">(null);
  const [error, setError] = useState<ApiError | undefined>();
  const [done, setDone] = useState(0);

  const claim = async () => {
    setError(undefined);
    setWork(null);
    // Where "opening an item" starts (bench/webapp_open.sh measures from here).
    performance.mark("backbeat:claim");
    try {
      const w = await api<Work | undefined>(`/annotation/projects/${props.projectId}/claim`, { method: "POST" });
      setWork(w ?? "none");
    } catch (e) {
      setError(e as ApiError);
    }
  };
  useEffect(() => {
    if (project.data) void claim();
  }, [project.data?.id]);

  const title = project.data?.name ?? "Annotation";
  if (project.error) return <Page title="Annotation"><ProblemView error={project.error} onRetry={project.reload} /></Page>;
  return (
    <Page title={title} actions={<span class="muted" data-testid="done-count">{done} done this session</span>}>
      {error && <ProblemView error={error} onRetry={() => void claim()} />}
      {!error && work === null && <Loading label="Claiming an item" lines={6} />}
      {work === "none" && (
        <div class="card empty-state" data-testid="nothing-to-do">
          <h2>Nothing waiting for you</h2>
          <p class="muted">Every item you may take is done, held by someone else, or waiting for a model.</p>
          <button type="button" class="button primary" onClick={() => void claim()}>
            Look again
          </button>
        </div>
      )}
      {project.data && work && work !== "none" && (
        <ItemView
          key={work.item.id}
          project={project.data}
          work={work}
          onDone={() => {
            setDone((n) => n + 1);
            void claim();
          }}
        />
      )}
    </Page>
  );
}

function ItemView(props: { project: Project; work: Work; onDone: () => void }) {
  const { project, work } = props;
  const item = work.item;
  const questions = project.schema.questions;
  const asked = questions.filter((q) => work.questions.includes(q.name));
  const clipQuestions = asked.filter((q) => !isTimeline(q));
  const regionQs = asked.filter((q) => q.type === "regions");
  const markerQs = asked.filter((q) => q.type === "markers");
  const reviewing = work.answers.length > 0;

  const track = useLoad((signal) => api<Track>(`/tracks/${item.trackId}`, { signal }), [item.trackId]);
  const peaks = useLoad((signal) => api<PeaksDoc>(`/tracks/${item.trackId}/peaks`, { signal }), [item.trackId]);
  const stream = useLoad((signal) => api<StreamDoc>(`/tracks/${item.trackId}/stream`, { signal }), [item.trackId]);
  const duration = track.data ? track.data.audio.durationMs / 1000 : null;
  const win = { start: item.start, end: item.end ?? duration ?? item.start + 1 };

  const [tl, setTl] = useReducer((s: Timeline, e: Edit) => edit(s, e, win), undefined, emptyTimeline);
  const [clip, setClipState] = useState<ClipAnswers>({});
  const setClip = (name: string, v: unknown) => setClipState((c) => ({ ...c, [name]: v }));
  const [activeQ, setActiveQ] = useState(regionQs[0]?.name ?? "");
  const [activeLabel, setActiveLabel] = useState(regionQs[0]?.labels?.[0] ?? "");
  const [help, setHelp] = useState(false);
  const [submitError, setSubmitError] = useState<ApiError | undefined>();
  const [busy, setBusy] = useState(false);
  const [verdict, setVerdict] = useState<ReviewVerdict>({ verdict: "accept", comment: "" });
  const opened = useRef(performance.now());
  // Open → drawn and playable, for people's sake and for bench/webapp_open.sh.
  const ready = useRef({ drawn: false, playable: false, sent: false });
  const markReady = (what: "drawn" | "playable") => {
    const r = ready.current;
    r[what] = true;
    if (r.drawn && r.playable && !r.sent) {
      r.sent = true;
      performance.mark("backbeat:item-ready", { detail: { item: item.id } });
    }
  };
  const audio = useRef<HTMLAudioElement>(null);
  const [playing, setPlaying] = useState(false);
  const [rendition, setRendition] = useState("");
  const viewRef = useRef<{ v: View; b: Bounds } | null>(null);
  const [viewState, setViewState] = useState<{ v: View; b: Bounds } | null>(null);
  const [zoomTo, setZoomTo] = useState<View | null>(null);
  const [showOthers, setShowOthers] = useState(true);
  // The model's regions and markers (shown only where the project lets this person see them:
  // the claim then carries `modelAnswers`), drawn beside people's work and adoptable.
  const model = useMemo(() => modelTimeline(asked, work.modelAnswers ?? []), [item.id]);
  const [showModel, setShowModel] = useState(true);
  const adoptModel = () => setTl({ type: "adopt", questions: model.questions, regions: model.regions, markers: model.markers });
  // Ids of regions and markers taken from another answer (the reducer's own start at 1).
  const nextId = useRef(100000);

  const overview = useMemo(() => trackOverview(item.trackId), [item.trackId]);
  const reader = useMemo(() => {
    const d = peaks.data;
    return d ? PeaksReader.withHeader(d.url, { sampleRate: d.sampleRate, samplesPerPixel: d.samplesPerPixel, pixels: d.pixels, bytesPerValue: 2 }) : null;
  }, [peaks.data]);

  // The item's audio, on its own element: the player bar's music pauses while working.
  useEffect(() => {
    const a = audio.current;
    const d = stream.data;
    if (!a || !d) return;
    let attached: Attached | null = null;
    let gone = false;
    if (player.playerState().playing) player.toggle();
    void attachStream(a, d, { onChange: () => attached && setRendition(attached.describe()) }).then((x) => {
      if (gone) return x.destroy();
      attached = x;
      setRendition(x.describe());
      a.currentTime = item.start;
    });
    const onCanPlay = () => markReady("playable");
    a.addEventListener("canplay", onCanPlay);
    const onPlay = () => setPlaying(true);
    const onPause = () => setPlaying(false);
    a.addEventListener("play", onPlay);
    a.addEventListener("pause", onPause);
    return () => {
      gone = true;
      attached?.destroy();
      a.removeEventListener("canplay", onCanPlay);
      a.removeEventListener("play", onPlay);
      a.removeEventListener("pause", onPause);
    };
  }, [stream.data]);

  // Keep the lease while someone works on a long item.
  useEffect(() => {
    let until = Date.parse(work.leaseUntil);
    const t = setInterval(async () => {
      if (until - Date.now() > 120_000) return;
      try {
        const r = await api<{ leaseUntil: string }>(`/annotation/items/${item.id}/renew`, { method: "POST" });
        until = Date.parse(r.leaseUntil);
      } catch {
        // The submit will say what happened.
      }
    }, 30_000);
    return () => clearInterval(t);
  }, [item.id]);

  // An expert starts from nothing; QA starts from the result under review (the last answer).
  useEffect(() => {
    if (work.item.state !== "review") return;
    const under = work.item.result ?? work.answers[work.answers.length - 1]?.answers;
    if (under) prefill(under);
  }, [item.id]);

  function prefill(answers: Record<string, unknown>) {
    const s = split(asked, answers, () => nextId.current++);
    setClipState(s.clip);
    setTl({ type: "reset", regions: s.regions, markers: s.markers });
  }

  const now = (e?: Event) => {
    const a = audio.current;
    if (!a) return item.start;
    // The key went down before this handler ran: take the time it was pressed at.
    const late = e && !a.paused ? Math.max(0, performance.now() - e.timeStamp) / 1000 : 0;
    return a.currentTime - late * a.playbackRate;
  };

  const labelsOf = (name: string) => questions.find((q) => q.name === name)?.labels ?? [];

  const submit = async () => {
    if (busy) return;
    setSubmitError(undefined);
    const answers = buildAnswers(asked, work.questions, clip, tl.regions, tl.markers);
    const leadMs = Math.round(performance.now() - opened.current);
    setBusy(true);
    try {
      if (work.item.state === "review") {
        await api(`/annotation/items/${item.id}/review`, {
          method: "POST",
          body: { verdict: verdict.verdict, comment: verdict.comment || undefined, answers: verdict.verdict === "fix" ? answers : undefined, leadMs },
        });
      } else {
        await api(`/annotation/items/${item.id}/answer`, { method: "POST", body: { answers, leadMs } });
      }
      audio.current?.pause();
      props.onDone();
    } catch (e) {
      setSubmitError(e as ApiError);
    } finally {
      setBusy(false);
    }
  };

  const leave = async (how: "skip" | "postpone") => {
    try {
      await api(`/annotation/items/${item.id}/${how}`, { method: "POST" });
      audio.current?.pause();
      props.onDone();
    } catch (e) {
      setSubmitError(e as ApiError);
    }
  };

  // The keyboard map (annotate/keymap.ts), on the whole page while this item is open.
  const handler = useRef<(e: KeyboardEvent) => void>(() => undefined);
  handler.current = (e: KeyboardEvent) => {
    if (help) return;
    const action = actionFor(e);
    if (!action) return;
    const a = audio.current;
    const markerQ = markerQs[0];
    const regionQ = regionQs.find((q) => q.name === activeQ) ?? regionQs[0];
    const selected = tl.regions.find((r) => r.id === tl.selected);
    switch (action) {
      case "play":
        if (a) void (a.paused ? a.play() : a.pause());
        break;
      case "seekBack":
      case "seekForward":
        if (a) a.currentTime = Math.max(win.start, Math.min(win.end, a.currentTime + (action === "seekBack" ? -2 : 2)));
        break;
      case "zoomIn":
      case "zoomOut":
        if (viewRef.current) setZoomTo(zoom(viewRef.current.v, action === "zoomIn" ? 0.5 : 2, viewRef.current.b.width / 2, viewRef.current.b));
        break;
      case "regionMark":
        if (!regionQ) return;
        setTl({ type: "mark", time: now(e), question: regionQ.name, label: activeLabel || regionQ.labels?.[0] || "" });
        break;
      case "regionPrev":
      case "regionNext":
        setTl({ type: "selectStep", step: action === "regionNext" ? 1 : -1 });
        break;
      case "regionStartEarlier":
      case "regionStartLater":
      case "regionEndEarlier":
      case "regionEndLater":
        setTl({ type: "nudgeEdge", edge: action.startsWith("regionStart") ? "start" : "end", by: action.endsWith("Earlier") ? -0.05 : 0.05 });
        break;
      case "regionDelete":
        if (selected) setTl({ type: "deleteRegion", id: selected.id });
        else return;
        break;
      case "chooseLabel": {
        const labels = selected ? labelsOf(selected.question) : regionQ?.labels ?? [];
        const l = labels[Number(e.key) - 1];
        if (!l) return;
        if (selected) setTl({ type: "label", id: selected.id, label: l });
        setActiveLabel(l);
        break;
      }
      case "tapBeat":
      case "tapDownbeat": {
        if (!markerQ) return;
        const label = tapLabel(markerQ, action === "tapDownbeat");
        if (!label) return;
        setTl({ type: "tap", time: now(e), question: markerQ.name, label });
        break;
      }
      case "markerNudgeEarlier":
      case "markerNudgeLater":
        setTl({ type: "nudgeMarker", by: action === "markerNudgeEarlier" ? -0.01 : 0.01 });
        break;
      case "markerDelete":
        setTl({ type: "deleteMarker" });
        break;
      case "useModel":
        if (!model.questions.length) return;
        adoptModel();
        break;
      case "submit":
        void submit();
        break;
      case "skip":
      case "postpone":
        void leave(action);
        break;
      case "help":
        setHelp(true);
        break;
    }
    e.preventDefault();
  };
  useEffect(() => {
    const f = (e: KeyboardEvent) => handler.current(e);
    document.addEventListener("keydown", f);
    return () => document.removeEventListener("keydown", f);
  }, []);

  const others = work.answers.filter((a) => a.stage === "open");
  const overlay = (ctx: CanvasRenderingContext2D, v: View, b: Bounds, h: number) => {
    // The item's window: everything outside it is dimmed.
    ctx.fillStyle = "rgba(100,116,139,0.25)";
    const x0 = timeToX(v, win.start);
    const x1 = timeToX(v, win.end);
    if (x0 > 0) ctx.fillRect(0, 0, x0, h);
    if (x1 < b.width) ctx.fillRect(x1, 0, b.width - x1, h);
    if (showModel) {
      // The model's answer: regions as a band along the top, markers as dashed lines, both
      // fainter than people's own.
      for (const r of model.regions) {
        const a = Math.max(0, timeToX(v, r.start));
        const z = Math.min(b.width, timeToX(v, r.end));
        if (z <= a) continue;
        ctx.fillStyle = labelColor(labelsOf(r.question), r.label);
        ctx.globalAlpha = 0.45;
        ctx.fillRect(a, 0, z - a, 5);
        ctx.globalAlpha = 1;
      }
      // One dashed path for all of them: a 2-hour grid shows over a thousand at once.
      ctx.save();
      ctx.strokeStyle = "rgba(71,85,105,0.7)";
      ctx.lineWidth = 1;
      ctx.setLineDash([3, 3]);
      ctx.beginPath();
      for (const m of model.markers) {
        const x = Math.round(timeToX(v, m.time));
        if (x < 0 || x > b.width) continue;
        ctx.moveTo(x + 0.5, 0);
        ctx.lineTo(x + 0.5, h);
      }
      ctx.stroke();
      ctx.restore();
    }
    if (showOthers && reviewing) {
      others.forEach((o, i) => {
        for (const mq of markerQs)
          for (const m of (o.answers[mq.name] as { time: number }[] | undefined) ?? []) {
            ctx.fillStyle = ["#f59e0b", "#10b981", "#8b5cf6", "#ef4444"][i % 4];
            ctx.fillRect(Math.round(timeToX(v, m.time)), h - 12 - 10 * i, 1, 10);
          }
      });
    }
    for (const m of tl.markers) {
      const x = Math.round(timeToX(v, m.time));
      if (x < 0 || x > b.width) continue;
      ctx.fillStyle = labelColor(labelsOf(m.question), m.label);
      const down = m.label.toLowerCase() === "downbeat";
      ctx.fillRect(x - (down ? 1 : 0), 0, down ? 3 : 2, h);
      if (m.id === tl.lastMarker) {
        ctx.beginPath();
        ctx.moveTo(x - 5, 0);
        ctx.lineTo(x + 5, 0);
        ctx.lineTo(x, 7);
        ctx.fill();
      }
    }
    if (tl.pending !== null) {
      ctx.fillStyle = "rgba(14,165,233,0.25)";
      const a = timeToX(v, tl.pending);
      const t = audio.current?.currentTime ?? tl.pending;
      ctx.fillRect(Math.min(a, timeToX(v, t)), 0, Math.abs(timeToX(v, t) - a), h);
    }
  };

  const open = missing(asked, work.questions, clip);
  const selected = tl.regions.find((r) => r.id === tl.selected);
  const markersByLabel = new Map<string, number>();
  for (const m of tl.markers) markersByLabel.set(m.label, (markersByLabel.get(m.label) ?? 0) + 1);

  return (
    <div class="workspace" data-testid="workspace" data-item={item.id} data-state={item.state}>
      <div class="item-head">
        <div>
          <strong data-testid="item-title">{track.data?.title ?? " "}</strong>
          <span class="muted small">
            {" "}
            · item {item.id} · {item.end === null ? "whole track" : `${clock(item.start)}–${clock(item.end)}`}
            {work.returned && " · sent back by QA"}
          </span>
        </div>
        <div class="row">
          <button type="button" class="button small" onClick={() => setHelp(true)} aria-keyshortcuts="?">
            Shortcuts (?)
          </button>
        </div>
      </div>

      {track.error && <ProblemView error={track.error} />}
      {peaks.error && <ProblemView error={peaks.error} onRetry={peaks.reload} />}
      {reader && duration !== null ? (
        <Waveform
          reader={reader}
          duration={duration}
          label={track.data?.title ?? "Item"}
          height={140}
          time={() => audio.current?.currentTime ?? 0}
          onSeek={(t) => {
            if (audio.current) audio.current.currentTime = Math.max(win.start, Math.min(win.end, t));
          }}
          initial={win}
          viewRequest={zoomTo}
          onView={(v, b) => {
            viewRef.current = { v, b };
            setViewState({ v, b });
          }}
          overlay={overlay}
          overlayKey={[tl, showOthers, showModel]}
          onDrawn={() => markReady("drawn")}
          overview={overview}
        />
      ) : (
        <div class="waveform placeholder" style={{ height: "194px" }} aria-hidden="true" />
      )}

      <div class="transport">
        <audio ref={audio} preload="auto" data-testid="item-audio" />
        <button
          type="button"
          class="button primary"
          onClick={() => audio.current && void (audio.current.paused ? audio.current.play() : audio.current.pause())}
          aria-keyshortcuts="Space"
          data-testid="item-play"
        >
          <Icon name={playing ? "pause" : "play"} /> {playing ? "Pause" : "Play"}
        </button>
        <span class="muted small" data-testid="item-rendition">
          {rendition}
        </span>
        <button
          type="button"
          class="button small"
          onClick={() => viewRef.current && setZoomTo(centre(viewRef.current.v, audio.current?.currentTime ?? 0, viewRef.current.b))}
        >
          Centre on the playhead
        </button>
      </div>

      {model.questions.length > 0 && (
        <section class="card model-timeline" aria-labelledby="model-h" data-testid="model-timeline">
          <div class="row between">
            <h2 id="model-h">The model's answer</h2>
            <label class="inline">
              <input type="checkbox" checked={showModel} onChange={(e) => setShowModel((e.target as HTMLInputElement).checked)} data-testid="show-model" />
              Show on the waveform
            </label>
          </div>
          <ul class="plain small" data-testid="model-summary">
            {model.questions.map((name) => {
              const q = questions.find((x) => x.name === name);
              const n = q?.type === "regions" ? model.regions.filter((r) => r.question === name).length : model.markers.filter((m) => m.question === name).length;
              const c = model.confidence[name];
              return (
                <li key={name}>
                  {q?.title ?? name}: {n} {q?.type === "regions" ? "region" : "marker"}
                  {n === 1 ? "" : "s"}
                  {c !== undefined && <span class="muted"> · confidence {c.toFixed(2)}</span>}
                </li>
              );
            })}
          </ul>
          <button type="button" class="button small" onClick={adoptModel} aria-keyshortcuts="Shift+M" data-testid="use-model">
            Start from the model's answer (Shift+M)
          </button>
          <span class="muted small"> replaces your regions and markers of these questions; then fix what it got wrong.</span>
        </section>
      )}

      {regionQs.length > 0 && (
        <section class="card" aria-labelledby="regions-h">
          <div class="row between">
            <h2 id="regions-h">{regionQs.map((q) => q.title ?? q.name).join(", ")}</h2>
            <div class="row">
              {regionQs.length > 1 && (
                <label class="inline">
                  Question
                  <select value={activeQ} onChange={(e) => setActiveQ((e.target as HTMLSelectElement).value)}>
                    {regionQs.map((q) => (
                      <option key={q.name} value={q.name}>
                        {q.title ?? q.name}
                      </option>
                    ))}
                  </select>
                </label>
              )}
              <label class="inline">
                New regions are
                <select value={activeLabel} onChange={(e) => setActiveLabel((e.target as HTMLSelectElement).value)} data-testid="active-label">
                  {labelsOf(activeQ).map((l, i) => (
                    <option key={l} value={l}>
                      {i < 9 ? `${i + 1}. ` : ""}
                      {l}
                    </option>
                  ))}
                </select>
              </label>
            </div>
          </div>
          <Lanes
            regions={tl.regions}
            view={viewState?.v ?? null}
            bounds={viewState?.b ?? null}
            selected={tl.selected}
            labelsOf={labelsOf}
            dispatch={setTl}
            active={activeQ ? { question: activeQ, label: activeLabel } : null}
          />
          {selected && (questions.find((q) => q.name === selected.question)?.attributes ?? []).length > 0 && (
            <div class="region-attributes" data-testid="region-attributes">
              <h3>
                {selected.label} {preciseSeconds(selected.start)} – {preciseSeconds(selected.end)}
              </h3>
              <Questions
                questions={questions.find((q) => q.name === selected.question)?.attributes ?? []}
                clip={selected.attributes ?? {}}
                setClip={(name, value) => setTl({ type: "attribute", id: selected.id, name, value })}
                idPrefix={`r${selected.id}-`}
              />
            </div>
          )}
          <p class="muted small" aria-live="polite" data-testid="region-status">
            {tl.pending !== null
              ? `Region started at ${preciseSeconds(tl.pending)}: press R again to end it.`
              : selected
                ? `Selected: ${selected.label}, ${preciseSeconds(selected.start)} – ${preciseSeconds(selected.end)}. Shift/Ctrl + arrows move its edges, 1–9 relabel, Delete removes.`
                : `${tl.regions.length} region${tl.regions.length === 1 ? "" : "s"}.`}
          </p>
        </section>
      )}

      {markerQs.length > 0 && (
        <section class="card" aria-labelledby="markers-h">
          <h2 id="markers-h">{markerQs.map((q) => q.title ?? q.name).join(", ")}</h2>
          <p class="small" aria-live="polite" data-testid="marker-status">
            {tl.markers.length === 0
              ? "Play and press B on each beat, N on each downbeat; comma and full stop nudge the last one by 10 ms, X deletes it."
              : [...markersByLabel].map(([l, n]) => `${n} ${l}${n === 1 ? "" : "s"}`).join(", ") +
                (tl.lastMarker !== null ? `; last at ${preciseSeconds(tl.markers.find((m) => m.id === tl.lastMarker)?.time ?? 0)}` : "")}
          </p>
        </section>
      )}

      {reviewing && (
        <Review
          questions={asked}
          work={work}
          showTimeline={showOthers}
          setShowTimeline={setShowOthers}
          onStartFrom={prefill}
          verdict={work.item.state === "review" ? verdict : null}
          setVerdict={setVerdict}
        />
      )}

      {clipQuestions.length > 0 && (work.item.state !== "review" || verdict.verdict === "fix") && (
        <section class="card" aria-labelledby="questions-h">
          <h2 id="questions-h">Questions</h2>
          <Questions
            questions={clipQuestions}
            clip={clip}
            setClip={setClip}
            model={work.modelAnswers ?? undefined}
          />
        </section>
      )}

      <ProblemView error={submitError} />
      <div class="actions">
        <button
          type="button"
          class="button primary"
          onClick={() => void submit()}
          disabled={busy || (open.length > 0 && !(work.item.state === "review" && verdict.verdict !== "fix"))}
          aria-keyshortcuts="Control+Enter"
          data-testid="submit"
        >
          {work.item.state === "review" ? "Send the verdict" : "Submit"} (Ctrl+Enter)
        </button>
        {work.item.state !== "review" && (
          <>
            <button type="button" class="button" onClick={() => void leave("skip")} aria-keyshortcuts="Shift+S">
              Skip
            </button>
            <button type="button" class="button" onClick={() => void leave("postpone")} aria-keyshortcuts="Shift+P">
              Postpone
            </button>
          </>
        )}
        {open.length > 0 && <span class="muted small">Still to answer: {open.map((q) => q.title ?? q.name).join(", ")}</span>}
      </div>
      <Shortcuts open={help} onClose={() => setHelp(false)} />
    </div>
  );
}
