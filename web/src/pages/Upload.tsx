// Artists bring their music: drop files on the page (or pick them), each goes through the
// pre-signed flow (an upload URL, a PUT of the bytes with a progress bar, the track created
// from it) and then shows its processing live until it is ready. Tracks are renamed and
// deleted here too.
import { useEffect, useRef, useState } from "preact/hooks";
import { Loading, Page, ProblemView, StatusBadge } from "../components";
import { api, ApiError, currentUser } from "../lib/api";
import { bytes, clock } from "../lib/format";
import { useLoad } from "../lib/hooks";
import type { Album, Artist, JobsDoc, Page as ListPage, Track } from "../lib/types";

interface UploadSlot {
  uploadUrl: string;
  trackUrl: string;
  maxBytes: number;
}

interface Job {
  key: number;
  file: File;
  title: string;
  phase: "queued" | "uploading" | "creating" | "processing" | "ready" | "failed";
  sent: number;
  error?: ApiError;
  track?: Track;
  jobs?: JobsDoc;
}

/** PUTs `file` to a signed URL, reporting bytes sent (fetch has no upload progress). */
function put(url: string, file: File, onProgress: (sent: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve();
      let problem = { type: "about:blank", title: xhr.statusText || `HTTP ${xhr.status}`, status: xhr.status } as ApiError["problem"];
      try {
        problem = { ...problem, ...JSON.parse(xhr.responseText) };
      } catch {
        // Not a problem document.
      }
      reject(new ApiError(problem));
    };
    xhr.onerror = () => reject(new ApiError({ type: "about:blank", title: "The upload was interrupted", status: 0 }));
    xhr.send(file);
  });
}

const titleOf = (name: string) => name.replace(/\.[^.]+$/, "").replace(/[_]+/g, " ").trim() || name;

export function Upload() {
  const me = currentUser();
  const artists = useLoad((signal) => api<ListPage<Artist>>("/artists", { query: { limit: 200, sort: "name" }, signal }), []);
  const mine = (artists.data?.items ?? []).filter((a) => me?.role === "admin" || a.owners.includes(me?.id ?? ""));
  const [artistId, setArtistId] = useState("");
  const artist = artistId || mine[0]?.id || "";
  const albums = useLoad(
    (signal) => (artist ? api<ListPage<Album>>("/albums", { query: { artistId: artist, limit: 200, sort: "name" }, signal }) : Promise.resolve(undefined)),
    [artist],
  );
  const [albumId, setAlbumId] = useState("");
  const album = albumId && albums.data?.items.some((a) => a.id === albumId) ? albumId : albums.data?.items[0]?.id ?? "";
  const [uploads, setUploads] = useState<Job[]>([]);
  const [over, setOver] = useState(false);
  const [formError, setFormError] = useState<ApiError | undefined>();
  const keyRef = useRef(0);
  const input = useRef<HTMLInputElement>(null);
  const [tracksTick, setTracksTick] = useState(0);

  const update = (key: number, patch: Partial<Job>) => setUploads((us) => us.map((u) => (u.key === key ? { ...u, ...patch } : u)));

  const start = async (job: Job, albumIdNow: string) => {
    try {
      update(job.key, { phase: "uploading" });
      const slot = await api<UploadSlot>("/tracks/upload-url");
      if (job.file.size > slot.maxBytes) {
        throw new ApiError({ type: "/problems/payload-too-large", title: "The file is too large", status: 413, detail: `${bytes(job.file.size)} is over the ${bytes(slot.maxBytes)} limit.` });
      }
      await put(slot.uploadUrl, job.file, (sent) => update(job.key, { sent }));
      update(job.key, { phase: "creating", sent: job.file.size });
      const track = await api<Track>("/tracks", { method: "POST", body: { albumId: albumIdNow, title: job.title, trackUrl: slot.trackUrl } });
      update(job.key, { phase: "processing", track });
      setTracksTick((n) => n + 1);
      await follow(job.key, track.id);
    } catch (e) {
      update(job.key, { phase: "failed", error: e as ApiError });
    }
  };

  /** Polls the track and its jobs until it is ready or failed. */
  const follow = async (key: number, id: string) => {
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      const [track, jobs] = await Promise.all([api<Track>(`/tracks/${id}`), api<JobsDoc>(`/tracks/${id}/jobs`).catch(() => undefined)]);
      update(key, { track, jobs });
      if (track.status !== "processing") {
        update(key, { phase: track.status === "ready" ? "ready" : "failed" });
        setTracksTick((n) => n + 1);
        return;
      }
    }
  };

  const add = (files: FileList | File[]) => {
    if (!album) {
      setFormError(new ApiError({ type: "about:blank", title: "Choose an album first", status: 0, detail: "Create an artist and an album below, then drop the files again." }));
      return;
    }
    setFormError(undefined);
    const jobs = [...files].map((file) => ({ key: ++keyRef.current, file, title: titleOf(file.name), phase: "queued" as const, sent: 0 }));
    setUploads((us) => [...jobs, ...us]);
    // Two at a time: a whole folder does not open a hundred connections.
    let i = 0;
    const lane = async () => {
      while (i < jobs.length) await start(jobs[i++], album);
    };
    void Promise.all([lane(), lane()]);
  };

  if (me && me.role === "listener") {
    return (
      <Page title="Upload">
        <ProblemView error={new ApiError({ type: "/problems/forbidden", title: "Forbidden", status: 403, detail: "Only artists and admins upload music. Your account is a listener's." })} />
      </Page>
    );
  }
  return (
    <Page title="Upload">
      {artists.error && <ProblemView error={artists.error} onRetry={artists.reload} />}
      {!artists.data && !artists.error && <Loading label="Loading your artists" />}
      {artists.data && (
        <div class="card form">
          <div class="row">
            <label>
              Artist
              <select value={artist} onChange={(e) => setArtistId((e.target as HTMLSelectElement).value)} data-testid="upload-artist">
                {mine.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name}
                  </option>
                ))}
                {mine.length === 0 && <option value="">none yet</option>}
              </select>
            </label>
            <label>
              Album
              <select value={album} onChange={(e) => setAlbumId((e.target as HTMLSelectElement).value)} data-testid="upload-album">
                {albums.data?.items.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.title}
                  </option>
                ))}
                {!albums.data?.items.length && <option value="">none yet</option>}
              </select>
            </label>
          </div>
          <CreateForms
            artist={artist}
            onArtist={(a) => {
              artists.reload();
              setArtistId(a.id);
            }}
            onAlbum={(a) => {
              albums.reload();
              setAlbumId(a.id);
            }}
          />
        </div>
      )}
      <div
        class={`dropzone${over ? " over" : ""}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          if (e.dataTransfer?.files.length) add(e.dataTransfer.files);
        }}
        data-testid="dropzone"
      >
        <p>
          <strong>Drop audio files here</strong>
        </p>
        <p class="muted small">MP3, FLAC, WAV, Ogg, Opus, AAC/M4A, AIFF. Each file becomes a track of the chosen album.</p>
        <button type="button" class="button" onClick={() => input.current?.click()}>
          Choose files…
        </button>
        <input ref={input} type="file" accept="audio/*" multiple class="visually-hidden" tabIndex={-1} aria-hidden="true" onChange={(e) => {
          const f = (e.target as HTMLInputElement).files;
          if (f?.length) add(f);
          (e.target as HTMLInputElement).value = "";
        }} />
      </div>
      <ProblemView error={formError} />
      {uploads.length > 0 && (
        <ul class="plain uploads" aria-live="polite" data-testid="uploads">
          {uploads.map((u) => (
            <UploadRow key={u.key} u={u} />
          ))}
        </ul>
      )}
      {album && <AlbumTracks albumId={album} tick={tracksTick} />}
    </Page>
  );
}

function UploadRow(props: { u: Job }) {
  const u = props.u;
  const done = u.jobs?.jobs.filter((j) => ["done", "skipped", "unavailable"].includes(j.state)).length ?? 0;
  const all = u.jobs?.jobs.length ?? 0;
  const running = u.jobs?.jobs.find((j) => j.state === "running");
  return (
    <li class="card upload" data-testid="upload" data-phase={u.phase}>
      <div class="row between">
        <strong class="grow">{u.title}</strong>
        <StatusBadge status={u.phase} />
      </div>
      {u.phase === "uploading" || u.phase === "queued" ? (
        <>
          <progress max={u.file.size} value={u.sent} aria-label={`Uploading ${u.title}`} />
          <span class="small muted">
            {bytes(u.sent)} of {bytes(u.file.size)}
          </span>
        </>
      ) : u.phase === "processing" || u.phase === "creating" ? (
        <>
          <progress max={all || 1} value={done} aria-label={`Processing ${u.title}`} />
          <span class="small muted">{all ? `${done} of ${all} jobs done${running ? `, running ${running.job}` : ""}` : "checking the audio…"}</span>
        </>
      ) : u.phase === "ready" && u.track ? (
        <span class="small">
          Ready: <a href={`/tracks/${u.track.id}`}>open the track</a>
        </span>
      ) : null}
      <ProblemView error={u.error} />
      {u.phase === "failed" && !u.error && u.jobs && (
        <p class="error-text small">{u.jobs.jobs.find((j) => j.error)?.error ?? "Processing failed."}</p>
      )}
    </li>
  );
}

function CreateForms(props: { artist: string; onArtist: (a: Artist) => void; onAlbum: (a: Album) => void }) {
  const [artistName, setArtistName] = useState("");
  const [albumTitle, setAlbumTitle] = useState("");
  const [error, setError] = useState<ApiError | undefined>();
  return (
    <details>
      <summary>New artist or album</summary>
      <div class="row">
        <form
          class="row"
          onSubmit={async (e) => {
            e.preventDefault();
            try {
              props.onArtist(await api<Artist>("/artists", { method: "POST", body: { name: artistName } }));
              setArtistName("");
              setError(undefined);
            } catch (err) {
              setError(err as ApiError);
            }
          }}
        >
          <label>
            Artist name
            <input value={artistName} required onInput={(e) => setArtistName((e.target as HTMLInputElement).value)} />
          </label>
          <button class="button" type="submit">
            Create the artist
          </button>
        </form>
        <form
          class="row"
          onSubmit={async (e) => {
            e.preventDefault();
            try {
              props.onAlbum(await api<Album>("/albums", { method: "POST", body: { artistId: props.artist, title: albumTitle } }));
              setAlbumTitle("");
              setError(undefined);
            } catch (err) {
              setError(err as ApiError);
            }
          }}
        >
          <label>
            Album title
            <input value={albumTitle} required disabled={!props.artist} onInput={(e) => setAlbumTitle((e.target as HTMLInputElement).value)} />
          </label>
          <button class="button" type="submit" disabled={!props.artist}>
            Create the album
          </button>
        </form>
      </div>
      <ProblemView error={error} />
    </details>
  );
}

function AlbumTracks(props: { albumId: string; tick: number }) {
  const tracks = useLoad((signal) => api<ListPage<Track>>("/tracks", { query: { albumId: props.albumId, limit: 200 }, signal }), [props.albumId, props.tick]);
  const [editing, setEditing] = useState<string | null>(null);
  const [title, setTitle] = useState("");
  const [error, setError] = useState<ApiError | undefined>();
  useEffect(() => setError(undefined), [props.albumId]);
  return (
    <section class="card" aria-labelledby="album-tracks-h">
      <h2 id="album-tracks-h">Tracks of this album</h2>
      <ProblemView error={error ?? tracks.error} />
      {!tracks.data && !tracks.error && <Loading label="Loading the album's tracks" />}
      {tracks.data && tracks.data.items.length === 0 && <p class="muted">No tracks yet.</p>}
      <ul class="list">
        {tracks.data?.items.map((t) => (
          <li key={t.id} class="list-row">
            {editing === t.id ? (
              <form
                class="row grow"
                onSubmit={async (e) => {
                  e.preventDefault();
                  try {
                    await api(`/tracks/${t.id}`, { method: "PATCH", body: { title } });
                    setEditing(null);
                    tracks.reload();
                  } catch (err) {
                    setError(err as ApiError);
                  }
                }}
              >
                <label class="grow">
                  <span class="visually-hidden">Title</span>
                  <input value={title} onInput={(e) => setTitle((e.target as HTMLInputElement).value)} autoFocus />
                </label>
                <button class="button small primary" type="submit">
                  Save
                </button>
                <button class="button small" type="button" onClick={() => setEditing(null)}>
                  Cancel
                </button>
              </form>
            ) : (
              <>
                <a class="grow" href={`/tracks/${t.id}`}>
                  {t.title}
                </a>
                <StatusBadge status={t.status} />
                <span class="muted tabular">{clock(t.audio.durationMs / 1000)}</span>
                <button
                  type="button"
                  class="button small"
                  onClick={() => {
                    setEditing(t.id);
                    setTitle(t.title);
                  }}
                >
                  Rename
                </button>
                <button
                  type="button"
                  class="button small danger"
                  onClick={async () => {
                    if (!confirm(`Delete “${t.title}” and its audio? This cannot be undone.`)) return;
                    try {
                      await api(`/tracks/${t.id}`, { method: "DELETE" });
                      tracks.reload();
                    } catch (err) {
                      setError(err as ApiError);
                    }
                  }}
                >
                  Delete
                </button>
              </>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
