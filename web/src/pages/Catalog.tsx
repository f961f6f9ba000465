// The catalog's front page: search as you type, and browsing artists, albums and tracks.
import { useState } from "preact/hooks";
import { Loading, Page, ProblemView, StatusBadge } from "../components";
import { api } from "../lib/api";
import { clock } from "../lib/format";
import { useDebounced, useLoad } from "../lib/hooks";
import { navigate } from "../lib/router";
import type { Album, Artist, Hit, Page as ListPage, SearchResult, Track } from "../lib/types";
import { playQueue } from "../player/player";
import { Icon } from "../player/PlayerBar";

const PAGE = 50;

export function Catalog(props: { query: URLSearchParams }) {
  const [q, setQ] = useState(props.query.get("q") ?? "");
  const tab = (props.query.get("browse") ?? "tracks") as Tab;
  const words = useDebounced(q.trim(), 120);
  return (
    <Page title="Catalog">
      <form role="search" class="search" onSubmit={(e) => e.preventDefault()}>
        <label for="search-input" class="visually-hidden">
          Search tracks, albums and artists
        </label>
        <input
          id="search-input"
          type="search"
          placeholder="Search tracks, albums and artists"
          value={q}
          autoComplete="off"
          onInput={(e) => {
            const v = (e.target as HTMLInputElement).value;
            setQ(v);
            history.replaceState(null, "", v ? `/?q=${encodeURIComponent(v)}` : "/");
          }}
        />
      </form>
      {words ? <SearchResults words={words} /> : <Browse tab={tab} offset={Number(props.query.get("offset") ?? 0)} />}
    </Page>
  );
}

function SearchResults(props: { words: string }) {
  const r = useLoad((signal) => api<SearchResult>("/search", { query: { q: props.words, limit: 30 }, signal }), [props.words]);
  if (r.error) return <ProblemView error={r.error} onRetry={r.reload} />;
  const hits = r.data?.hits ?? [];
  const tracks = hits.filter((h) => h.type === "track");
  return (
    <div aria-live="polite" aria-busy={r.loading}>
      <p class="muted result-count">
        {r.data ? `${r.data.total} ${r.data.total === 1 ? "match" : "matches"}` : "Searching…"}
      </p>
      <ul class="list" data-testid="search-results">
        {hits.map((h) => (
          <li key={`${h.type}:${h.id}`} class="list-row">
            <span class={`kind kind-${h.type}`}>{h.type}</span>
            <a href={hitHref(h)} class="grow">
              {h.title}
            </a>
            <span class="muted">{h.type === "artist" ? "" : h.albumTitle ? `${h.artistName} · ${h.albumTitle}` : h.artistName}</span>
            {h.type === "track" && (
              <button
                type="button"
                class="icon-button"
                aria-label={`Play ${h.title}`}
                onClick={() =>
                  playQueue(
                    tracks.map((t) => ({ id: t.id, title: t.title, subtitle: t.artistName })),
                    tracks.indexOf(h),
                  )
                }
              >
                <Icon name="play" />
              </button>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

function hitHref(h: Hit): string {
  return h.type === "track" ? `/tracks/${h.id}` : h.type === "album" ? `/albums/${h.id}` : `/artists/${h.id}`;
}

type Tab = "tracks" | "albums" | "artists" | "playlists";

function Browse(props: { tab: Tab; offset: number }) {
  const tabs = ["tracks", "albums", "artists", "playlists"] as const;
  return (
    <>
      <nav class="tabs" aria-label="Browse">
        {tabs.map((t) => (
          <a key={t} href={t === "tracks" ? "/" : `/?browse=${t}`} aria-current={props.tab === t ? "page" : undefined}>
            {t[0].toUpperCase() + t.slice(1)}
          </a>
        ))}
      </nav>
      {props.tab === "tracks" && <TrackList offset={props.offset} />}
      {props.tab === "albums" && <AlbumList offset={props.offset} />}
      {props.tab === "artists" && <ArtistList offset={props.offset} />}
      {props.tab === "playlists" && <PlaylistList offset={props.offset} />}
    </>
  );
}

function Pager(props: { total: number; offset: number; tab: string }) {
  if (props.total <= PAGE) return null;
  const go = (o: number) => navigate(`/?browse=${props.tab}&offset=${o}`);
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" class="button small" disabled={props.offset === 0} onClick={() => go(Math.max(0, props.offset - PAGE))}>
        Previous
      </button>
      <span class="muted">
        {props.offset + 1}–{Math.min(props.total, props.offset + PAGE)} of {props.total}
      </span>
      <button type="button" class="button small" disabled={props.offset + PAGE >= props.total} onClick={() => go(props.offset + PAGE)}>
        Next
      </button>
    </nav>
  );
}

export function TrackRows(props: { tracks: Track[]; subtitle?: (t: Track) => string }) {
  const ready = props.tracks.filter((t) => t.status === "ready");
  return (
    <ul class="list" data-testid="track-list">
      {props.tracks.map((t) => (
        <li key={t.id} class="list-row">
          <button
            type="button"
            class="icon-button"
            aria-label={`Play ${t.title}`}
            disabled={t.status !== "ready"}
            onClick={() => playQueue(ready.map((r) => ({ id: r.id, title: r.title })), ready.indexOf(t))}
          >
            <Icon name="play" />
          </button>
          <a href={`/tracks/${t.id}`} class="grow">
            {t.title}
          </a>
          {t.status !== "ready" && <StatusBadge status={t.status} />}
          <span class="muted tabular">{clock(t.audio.durationMs / 1000)}</span>
        </li>
      ))}
    </ul>
  );
}

function TrackList(props: { offset: number }) {
  const r = useLoad((signal) => api<ListPage<Track>>("/tracks", { query: { limit: PAGE, offset: props.offset, sort: "name" }, signal }), [props.offset]);
  if (r.error) return <ProblemView error={r.error} onRetry={r.reload} />;
  if (!r.data) return <Loading label="Loading tracks" lines={8} />;
  return (
    <>
      <TrackRows tracks={r.data.items} />
      <Pager total={r.data.total} offset={props.offset} tab="tracks" />
    </>
  );
}

/** Albums as tiles: title, kind and year (the album list and an artist's page). */
export function AlbumTiles(props: { albums: Album[] }) {
  return (
    <ul class="grid-list">
      {props.albums.map((a) => (
        <li key={a.id} class="tile">
          <a href={`/albums/${a.id}`}>{a.title}</a>
          <span class="muted">
            {a.kind}
            {a.releaseYear ? ` · ${a.releaseYear}` : ""}
          </span>
        </li>
      ))}
    </ul>
  );
}

function AlbumList(props: { offset: number }) {
  const r = useLoad((signal) => api<ListPage<Album>>("/albums", { query: { limit: PAGE, offset: props.offset, sort: "name" }, signal }), [props.offset]);
  if (r.error) return <ProblemView error={r.error} onRetry={r.reload} />;
  if (!r.data) return <Loading label="Loading albums" lines={8} />;
  return (
    <>
      <AlbumTiles albums={r.data.items} />
      <Pager total={r.data.total} offset={props.offset} tab="albums" />
    </>
  );
}

function ArtistList(props: { offset: number }) {
  const r = useLoad((signal) => api<ListPage<Artist>>("/artists", { query: { limit: PAGE, offset: props.offset, sort: "name" }, signal }), [props.offset]);
  if (r.error) return <ProblemView error={r.error} onRetry={r.reload} />;
  if (!r.data) return <Loading label="Loading artists" lines={8} />;
  return (
    <>
      <ul class="grid-list">
        {r.data.items.map((a) => (
          <li key={a.id} class="tile">
            <a href={`/artists/${a.id}`}>{a.name}</a>
          </li>
        ))}
      </ul>
      <Pager total={r.data.total} offset={props.offset} tab="artists" />
    </>
  );
}

interface Playlist {
  id: string;
  name: string;
  description: string;
  public: boolean;
  trackIds: string[];
}

function PlaylistList(props: { offset: number }) {
  const r = useLoad((signal) => api<ListPage<Playlist>>("/playlists", { query: { limit: PAGE, offset: props.offset, sort: "name" }, signal }), [props.offset]);
  if (r.error) return <ProblemView error={r.error} onRetry={r.reload} />;
  if (!r.data) return <Loading label="Loading playlists" lines={6} />;
  if (!r.data.items.length) return <p class="muted">No playlists yet.</p>;
  return (
    <>
      <ul class="grid-list">
        {r.data.items.map((p) => (
          <li key={p.id} class="tile">
            <a href={`/playlists/${p.id}`}>{p.name}</a>
            <span class="muted">
              {p.trackIds.length} track{p.trackIds.length === 1 ? "" : "s"}
              {p.public ? " · public" : ""}
            </span>
          </li>
        ))}
      </ul>
      <Pager total={r.data.total} offset={props.offset} tab="playlists" />
    </>
  );
}

/** One playlist: its tracks, played as a queue. */
export function PlaylistPage(props: { id: string }) {
  const p = useLoad((signal) => api<Playlist>(`/playlists/${props.id}`, { signal }), [props.id]);
  const tracks = useLoad(
    (signal) => Promise.all((p.data?.trackIds ?? []).slice(0, 200).map((id) => api<Track>(`/tracks/${id}`, { signal }))),
    [p.data?.id],
  );
  return (
    <Page title={p.data?.name ?? "Playlist"}>
      {p.error && <ProblemView error={p.error} onRetry={p.reload} />}
      {p.data?.description && <p class="muted">{p.data.description}</p>}
      {tracks.error && <ProblemView error={tracks.error} onRetry={tracks.reload} />}
      {!tracks.data && !tracks.error && <Loading label="Loading the playlist" lines={6} />}
      {tracks.data && <TrackRows tracks={tracks.data} />}
    </Page>
  );
}
