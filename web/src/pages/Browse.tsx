// An artist's albums and an album's tracks.
import { Loading, Page, ProblemView } from "../components";
import { api } from "../lib/api";
import { useLoad } from "../lib/hooks";
import type { Album, Artist, Page as ListPage, Track } from "../lib/types";
import { AlbumTiles, TrackRows } from "./Catalog";

export function ArtistPage(props: { id: string }) {
  const artist = useLoad((signal) => api<Artist>(`/artists/${props.id}`, { signal }), [props.id]);
  const albums = useLoad((signal) => api<ListPage<Album>>("/albums", { query: { artistId: props.id, limit: 200, sort: "name" }, signal }), [props.id]);
  if (artist.error) return <Page title="Artist"><ProblemView error={artist.error} onRetry={artist.reload} /></Page>;
  return (
    <Page title={artist.data?.name ?? "Artist"}>
      <h2>Albums</h2>
      {albums.error && <ProblemView error={albums.error} onRetry={albums.reload} />}
      {!albums.data && !albums.error && <Loading label="Loading albums" />}
      {albums.data && albums.data.items.length === 0 && <p class="muted">No albums yet.</p>}
      {albums.data && <AlbumTiles albums={albums.data.items} />}
    </Page>
  );
}

export function AlbumPage(props: { id: string }) {
  const album = useLoad((signal) => api<Album>(`/albums/${props.id}`, { signal }), [props.id]);
  const tracks = useLoad((signal) => api<ListPage<Track>>("/tracks", { query: { albumId: props.id, limit: 200 }, signal }), [props.id]);
  const artist = useLoad(
    (signal) => (album.data ? api<Artist>(`/artists/${album.data.artistId}`, { signal }) : Promise.resolve(undefined)),
    [album.data?.artistId],
  );
  if (album.error) return <Page title="Album"><ProblemView error={album.error} onRetry={album.reload} /></Page>;
  return (
    <Page title={album.data?.title ?? "Album"}>
      <p class="muted subtitle">
        {artist.data ? <a href={`/artists/${artist.data.id}`}>{artist.data.name}</a> : " "}
        {album.data?.releaseYear ? ` · ${album.data.releaseYear}` : ""}
      </p>
      {tracks.error && <ProblemView error={tracks.error} onRetry={tracks.reload} />}
      {!tracks.data && !tracks.error && <Loading label="Loading tracks" lines={6} />}
      {tracks.data && <TrackRows tracks={tracks.data.items} />}
    </Page>
  );
}
