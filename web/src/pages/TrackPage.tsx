// One track: its waveform with the beat grid, its analysis and tags, and (for its owners) the
// state of every pipeline job.
import { useEffect, useMemo, useState } from "preact/hooks";
import { Loading, Page, ProblemView, StatusBadge } from "../components";
import { api, currentUser } from "../lib/api";
import { clock, dateTime, percent } from "../lib/format";
import { useLoad } from "../lib/hooks";
import type { Album, AnalysisDoc, JobsDoc, PeaksDoc, Track } from "../lib/types";
import { currentTime, currentTrackId, playQueue, seek } from "../player/player";
import { Icon, usePlayer } from "../player/PlayerBar";
import { trackOverview } from "../waveform/Overview";
import { PeaksReader } from "../waveform/peaks";
import { gridOverlay, Waveform } from "../waveform/Waveform";
import { TempoCurve } from "./TempoCurve";

export function TrackPage(props: { id: string }) {
  const track = useLoad((signal) => api<Track>(`/tracks/${props.id}`, { signal }), [props.id]);
  const analysis = useLoad((signal) => api<AnalysisDoc>(`/tracks/${props.id}/analysis`, { signal }), [props.id]);
  const t = track.data;
  if (track.error) return <Page title="Track"><ProblemView error={track.error} onRetry={track.reload} /></Page>;
  return (
    <Page
      title={t?.title ?? "Track"}
      actions={
        t && (
          <button
            type="button"
            class="button primary"
            disabled={t.status !== "ready"}
            onClick={() => playQueue([{ id: t.id, title: t.title }])}
            data-testid="play-track"
          >
            <Icon name="play" /> Play
          </button>
        )
      }
    >
      <p class="muted subtitle">
        {t ? (
          <>
            <StatusBadge status={t.status} /> {clock(t.audio.durationMs / 1000)} · {t.audio.codec} · {t.audio.sampleRate / 1000} kHz ·{" "}
            {t.audio.channels === 1 ? "mono" : t.audio.channels === 2 ? "stereo" : `${t.audio.channels} channels`} ·{" "}
            <AlbumLink id={t.albumId} />
          </>
        ) : (
          " "
        )}
      </p>
      <TrackWaveform id={props.id} title={t?.title ?? "Track"} beats={analysis.data?.analysis?.rhythm?.beats ?? []} />
      <div class="columns">
        <section class="card" aria-labelledby="analysis-h">
          <h2 id="analysis-h">Analysis</h2>
          {analysis.error ? (
            analysis.error.status === 404 ? (
              <p class="muted">Not analysed yet.</p>
            ) : (
              <ProblemView error={analysis.error} onRetry={analysis.reload} />
            )
          ) : !analysis.data ? (
            <Loading label="Loading the analysis" lines={4} />
          ) : (
            <AnalysisView a={analysis.data} duration={(t?.audio.durationMs ?? 0) / 1000} />
          )}
        </section>
        {t && <JobsView id={props.id} owner={!!currentUser() && (currentUser()!.role === "admin" || currentUser()!.role === "artist")} />}
      </div>
    </Page>
  );
}

function AlbumLink(props: { id: string }) {
  const album = useLoad((signal) => api<Album>(`/albums/${props.id}`, { signal }), [props.id]);
  return <a href={`/albums/${props.id}`}>{album.data?.title ?? "album"}</a>;
}

function TrackWaveform(props: { id: string; title: string; beats: number[] }) {
  const [reader, setReader] = useState<PeaksReader | null>(null);
  const peaks = useLoad((signal) => api<PeaksDoc>(`/tracks/${props.id}/peaks`, { signal }), [props.id]);
  const p = usePlayer();
  const playing = p.queue[p.index]?.id === props.id;
  const overview = useMemo(() => trackOverview(props.id), [props.id]);
  useEffect(() => {
    const d = peaks.data;
    setReader(d ? PeaksReader.withHeader(d.url, { sampleRate: d.sampleRate, samplesPerPixel: d.samplesPerPixel, pixels: d.pixels, bytesPerValue: 2 }) : null);
  }, [peaks.data]);
  if (peaks.error) {
    return (
      <div class="waveform placeholder" style={{ height: "182px" }}>
        {peaks.error.status === 404 ? <p class="muted">The waveform is drawn once the track is processed.</p> : <ProblemView error={peaks.error} onRetry={peaks.reload} />}
      </div>
    );
  }
  if (!reader) return <div class="waveform placeholder" style={{ height: "182px" }} aria-hidden="true" />;
  return (
    <Waveform
      reader={reader}
      label={props.title}
      time={playing ? currentTime : undefined}
      onSeek={(t) => (currentTrackId() === props.id ? seek(t) : undefined)}
      overlay={props.beats.length ? gridOverlay(props.beats, "#a78bfa") : undefined}
      overlayKey={props.beats.length}
      overview={overview}
    />
  );
}

function AnalysisView(props: { a: AnalysisDoc; duration: number }) {
  const a = props.a;
  const curve = a.analysis?.rhythm?.tempo_curve ?? [];
  const reviewed = (field: string) => a.reviewed.find((r) => r.field === field);
  const rb = reviewed("bpm");
  const rk = reviewed("key");
  const groups = new Map<string, typeof a.tags>();
  for (const t of a.tags) groups.set(t.group, [...(groups.get(t.group) ?? []), t]);
  return (
    <>
      <dl class="facts">
        <dt>Tempo</dt>
        <dd data-testid="bpm">
          {a.bpm !== null ? `${a.bpm.toFixed(1)} BPM` : "—"}
          {rb && <span class="badge badge-reviewed" title="settled by people in an annotation project"> reviewed: {String(rb.value)}</span>}
          {a.analysis?.rhythm && <span class="muted"> · confidence {percent(a.analysis.rhythm.confidence)}</span>}
        </dd>
        {curve.length >= 2 && (
          <>
            <dt>Tempo curve</dt>
            <dd class="wide">
              <TempoCurve points={curve} duration={props.duration} reported={a.bpm} />
            </dd>
          </>
        )}
        <dt>Key</dt>
        <dd>
          {a.key ?? "—"}
          {rk && <span class="badge badge-reviewed"> reviewed: {String(rk.value)}</span>}
        </dd>
        <dt>Loudness</dt>
        <dd>{a.loudnessLufs !== null ? `${a.loudnessLufs.toFixed(1)} LUFS` : "—"}</dd>
        <dt>Beats</dt>
        <dd>{a.analysis?.rhythm?.beats.length ?? 0} (drawn on the waveform)</dd>
      </dl>
      {[...groups].map(([group, tags]) => (
        <div key={group} class="tag-group">
          <h3>{group}</h3>
          <ul class="bars">
            {tags.slice(0, 8).map((t) => (
              <li key={`${t.source}:${t.tag}`}>
                <span class="bar-label">
                  {t.tag}
                  {t.source === "reviewed" && <span class="badge badge-reviewed">reviewed</span>}
                </span>
                <span class="bar" role="meter" aria-valuemin={0} aria-valuemax={1} aria-valuenow={t.confidence} aria-label={`${t.tag} confidence`}>
                  <span style={{ width: `${Math.min(100, Math.max(0, t.confidence * 100))}%` }} />
                </span>
                <span class="tabular muted">{percent(t.confidence)}</span>
              </li>
            ))}
          </ul>
        </div>
      ))}
      <p class="muted small">Updated {dateTime(a.updatedAt)}</p>
    </>
  );
}

function JobsView(props: { id: string; owner: boolean }) {
  const jobs = useLoad(
    (signal) => (props.owner ? api<JobsDoc>(`/tracks/${props.id}/jobs`, { signal }) : Promise.resolve(undefined)),
    [props.id, props.owner],
  );
  // Poll while anything is still moving.
  const moving = jobs.data?.jobs.some((j) => j.state === "pending" || j.state === "running");
  useEffect(() => {
    if (!moving) return;
    const t = setTimeout(jobs.reload, 1500);
    return () => clearTimeout(t);
  }, [moving, jobs.data]);
  if (!props.owner || (jobs.error && jobs.error.status === 403)) return null;
  return (
    <section class="card" aria-labelledby="jobs-h">
      <h2 id="jobs-h">Processing</h2>
      {jobs.error && <ProblemView error={jobs.error} onRetry={jobs.reload} />}
      {!jobs.data && !jobs.error && <Loading label="Loading job states" lines={6} />}
      {jobs.data && (
        <table class="table">
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">State</th>
              <th scope="col">Tries</th>
            </tr>
          </thead>
          <tbody>
            {jobs.data.jobs.map((j) => (
              <tr key={j.job}>
                <td>
                  {j.job} <span class="muted">v{j.version}</span>
                </td>
                <td>
                  <StatusBadge status={j.state} />
                  {j.error && <div class="error-text small">{j.error}</div>}
                </td>
                <td class="tabular">{j.attempts}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
