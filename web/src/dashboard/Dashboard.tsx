// A project manager's view of one annotation project: the queues, throughput per hour and per
// annotator, agreement over time and per question, how items were resolved, the model's
// measured accuracy, and the items waiting for experts and QA.
import { useState } from "preact/hooks";
import { Loading, Page, ProblemView } from "../components";
import { api } from "../lib/api";
import { clock, dateTime, percent } from "../lib/format";
import { useLoad } from "../lib/hooks";
import type { Item, Project } from "../annotate/Workspace";
import { Bars, HBars, Line, ShareBar } from "./charts";

interface Metrics {
  project: {
    itemsByState: Record<string, number>;
    answers: number;
    itemsAnswered: number;
    itemsPerHour: number | null;
    answersPerHour: number | null;
    medianLeadMs: number | null;
    answersByHour: { start: number; answers: number }[];
    resolutions: { resolved: number; model: number; consensus: number; expert: number; qa: number; modelShare: number | null };
    escalations: { toExpert: number; widened: number; toExpertShare: number | null };
    spotChecks: { agreed: number; disagreed: number; accuracy: number | null };
    agreementByDay: { day: number; mean: number; items: number }[];
  };
  annotators: { annotatorId: string; name: string; kind: string; role: string; paused: boolean; answers: number; items: number; itemsPerHour: number | null; medianLeadMs: number | null }[];
}

interface Agreement {
  questions: { question: string; metric: string; value: number | null; items: number }[];
}

const STATES = ["new", "routing", "open", "expert", "review", "resolved", "gold"];

export function Dashboard(props: { projectId: string }) {
  const id = props.projectId;
  const project = useLoad((signal) => api<Project>(`/annotation/projects/${id}`, { signal }), [id]);
  // A span of days (UTC), both ends optional: the metrics route's `from`/`to` in Unix ms.
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const span = {
    from: from ? Date.parse(`${from}T00:00:00Z`) : undefined,
    to: to ? Date.parse(`${to}T00:00:00Z`) + 86_400_000 : undefined,
  };
  const metrics = useLoad(
    (signal) => api<Metrics>(`/annotation/projects/${id}/metrics`, { query: span, signal }),
    [id, from, to],
  );
  const agreement = useLoad((signal) => api<Agreement>(`/annotation/projects/${id}/agreement`, { signal }), [id]);
  const expert = useLoad((signal) => api<Item[]>(`/annotation/projects/${id}/items`, { query: { state: "expert", limit: 20 }, signal }), [id]);
  const review = useLoad((signal) => api<Item[]>(`/annotation/projects/${id}/items`, { query: { state: "review", limit: 20 }, signal }), [id]);
  const m = metrics.data?.project;
  const err = project.error ?? metrics.error;
  return (
    <Page title={project.data ? `${project.data.name}: dashboard` : "Dashboard"} actions={<a class="button small" href={`/annotate/${id}`}>Open the workspace</a>}>
      <form class="row span-picker" onSubmit={(e) => e.preventDefault()} aria-label="Period">
        <label class="inline">
          From
          <input type="date" value={from} max={to || undefined} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} />
        </label>
        <label class="inline">
          To
          <input type="date" value={to} min={from || undefined} onInput={(e) => setTo((e.target as HTMLInputElement).value)} />
        </label>
        {(from || to) && (
          <button type="button" class="button small" onClick={() => (setFrom(""), setTo(""))}>
            All time
          </button>
        )}
      </form>
      {err && <ProblemView error={err} onRetry={metrics.reload} />}
      {!m && !err && <Loading label="Loading the project's figures" lines={10} />}
      {m && (
        <>
          <div class="stats" data-testid="stats">
            <Stat label="Items" value={String(Object.values(m.itemsByState).reduce((a, b) => a + b, 0))} />
            <Stat label="Resolved" value={String(m.resolutions.resolved)} />
            <Stat label="Answers" value={String(m.answers)} />
            <Stat label="Items / hour" value={m.itemsPerHour === null ? "—" : m.itemsPerHour.toFixed(1)} />
            <Stat label="Median time per item" value={m.medianLeadMs === null ? "—" : clock(m.medianLeadMs / 1000)} />
            <Stat label="Model accuracy (spot checks)" value={m.spotChecks.accuracy === null ? "—" : percent(m.spotChecks.accuracy)} />
          </div>
          <div class="columns">
            <section class="card">
              <h2>Items by state</h2>
              <Bars title="Items by state" points={STATES.map((s) => ({ label: s, value: m.itemsByState[s] ?? 0 }))} format={(v) => String(Math.round(v))} />
            </section>
            <section class="card">
              <h2>How items were resolved</h2>
              <ShareBar
                title="Resolutions"
                parts={[
                  { label: "model (auto-accepted)", value: m.resolutions.model, color: "#0ea5e9" },
                  { label: "people agreed", value: m.resolutions.consensus, color: "#22c55e" },
                  { label: "expert", value: m.resolutions.expert, color: "#f97316" },
                  { label: "QA fixed", value: m.resolutions.qa, color: "#a855f7" },
                ]}
              />
              <p class="small muted">
                Escalated to an expert: {m.escalations.toExpert}
                {m.escalations.toExpertShare !== null ? ` (${percent(m.escalations.toExpertShare)} of resolved)` : ""}; widened beyond the overlap: {m.escalations.widened}. Spot checks of
                the model: {m.spotChecks.agreed} agreed, {m.spotChecks.disagreed} disagreed.
              </p>
            </section>
            <section class="card">
              <h2>Answers per hour</h2>
              <Bars
                title="Answers per hour"
                points={m.answersByHour.map((h) => ({ label: new Date(h.start).toISOString().slice(11, 16), value: h.answers }))}
                format={(v) => String(Math.round(v))}
              />
            </section>
            <section class="card">
              <h2>Agreement over time</h2>
              {m.agreementByDay.length ? (
                <Line
                  title="Mean item agreement by day"
                  points={m.agreementByDay.map((d) => ({ label: new Date(d.day).toISOString().slice(5, 10), value: d.mean }))}
                  min={0}
                  max={1}
                  threshold={Number(project.data?.settings.agreementThreshold ?? 0.7)}
                />
              ) : (
                <p class="muted">No item has been resolved by people yet.</p>
              )}
            </section>
            <section class="card">
              <h2>Agreement per question</h2>
              {agreement.error && <ProblemView error={agreement.error} />}
              {agreement.data && (
                <HBars
                  title="Agreement per question"
                  points={agreement.data.questions.filter((q) => q.value !== null).map((q) => ({ label: `${q.question} (${q.metric.replace(/_/g, " ")})`, value: q.value! }))}
                  max={1}
                  format={(v) => v.toFixed(2)}
                />
              )}
            </section>
            <section class="card">
              <h2>Per annotator</h2>
              <HBars
                title="Answers per annotator"
                points={(metrics.data?.annotators ?? []).map((a) => ({ label: `${a.name}${a.kind === "model" ? " (model)" : ""}${a.paused ? " · paused" : ""}`, value: a.answers }))}
                format={(v) => String(Math.round(v))}
              />
              <div class="table-scroll">
              <table class="table small">
                <thead>
                  <tr>
                    <th scope="col">Annotator</th>
                    <th scope="col">Role</th>
                    <th scope="col">Items / h</th>
                    <th scope="col">Median lead</th>
                  </tr>
                </thead>
                <tbody>
                  {(metrics.data?.annotators ?? []).map((a) => (
                    <tr key={a.annotatorId}>
                      <td>{a.name}</td>
                      <td>{a.kind === "model" ? "model" : a.role}</td>
                      <td class="tabular">{a.itemsPerHour === null ? "—" : a.itemsPerHour.toFixed(1)}</td>
                      <td class="tabular">{a.medianLeadMs === null ? "—" : clock(a.medianLeadMs / 1000)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              </div>
            </section>
          </div>
          <div class="columns">
            <Queue title="Waiting for an expert" items={expert.data} error={expert.error} />
            <Queue title="Under QA review" items={review.data} error={review.error} />
          </div>
        </>
      )}
    </Page>
  );
}

function Stat(props: { label: string; value: string }) {
  return (
    <div class="stat card">
      <span class="muted small">{props.label}</span>
      <strong>{props.value}</strong>
    </div>
  );
}

function Queue(props: { title: string; items: Item[] | undefined; error: unknown }) {
  const list = props.items;
  return (
    <section class="card">
      <h2>{props.title}</h2>
      {!list && !props.error && <Loading label={`Loading: ${props.title}`} lines={3} />}
      {list && list.length === 0 && <p class="muted">None.</p>}
      <ul class="list">
        {list?.map((i) => (
          <li key={i.id} class="list-row">
            <span class="grow">
              Item {i.id} · <a href={`/tracks/${i.trackId}`}>track</a>
            </span>
            <span class="muted">agreement {i.agreement === null ? "—" : i.agreement.toFixed(2)}</span>
          </li>
        ))}
      </ul>
      {list && list.length > 0 && <p class="small muted">Updated {dateTime(Date.now())}</p>}
    </section>
  );
}
