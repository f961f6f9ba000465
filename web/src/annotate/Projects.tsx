// The annotation projects the signed-in person works on, with each one's queue.
import { Loading, Page, ProblemView } from "../components";
import { api, currentUser } from "../lib/api";
import { useLoad } from "../lib/hooks";
import type { Project } from "./Workspace";

interface Status {
  total: number;
  items: Record<string, number>;
}

function ProjectRow(props: { p: Project; admin: boolean }) {
  const status = useLoad((signal) => api<Status>(`/annotation/projects/${props.p.id}/status`, { signal }), [props.p.id]);
  const s = status.data;
  return (
    <li class="card project-card">
      <div class="row between">
        <h2>
          <a href={`/annotate/${props.p.id}`}>{props.p.name}</a>
        </h2>
        <div class="row">
          <a class="button primary small" href={`/annotate/${props.p.id}`}>
            Start working
          </a>
          {props.admin && (
            <a class="button small" href={`/dashboard/${props.p.id}`}>
              Dashboard
            </a>
          )}
        </div>
      </div>
      {props.p.description && <p class="muted">{props.p.description}</p>}
      <p class="small queue" aria-label="Items by state">
        {s
          ? ["open", "expert", "review", "resolved"].map((k) => (
              <span key={k} class={`badge badge-${k}`}>
                {s.items[k] ?? 0} {k}
              </span>
            ))
          : " "}
      </p>
    </li>
  );
}

export function Projects() {
  const projects = useLoad((signal) => api<Project[]>("/annotation/projects", { signal }), []);
  const admin = currentUser()?.role === "admin";
  const list = projects.data;
  return (
    <Page title="Annotation">
      {projects.error && <ProblemView error={projects.error} onRetry={projects.reload} />}
      {!list && !projects.error && <Loading label="Loading projects" />}
      {list && list.length === 0 && (
        <p class="card" data-testid="no-projects">
          You are not a member of any annotation project. A project manager adds annotators, experts and quality analysts.
        </p>
      )}
      <ul class="plain">
        {list?.map((p) => (
          <ProjectRow key={p.id} p={p} admin={admin} />
        ))}
      </ul>
    </Page>
  );
}
