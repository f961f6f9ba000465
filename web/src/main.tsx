// The app shell: the header with what the signed-in role may use, the routes, the player.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import "./styles.css";
import { Page } from "./components";
import { api, currentUser, onUserChange, signOut, type User } from "./lib/api";
import { interceptLinks, match, navigate, useLocation } from "./lib/router";
import { Projects } from "./annotate/Projects";
import { Workspace } from "./annotate/Workspace";
import { Dashboard } from "./dashboard/Dashboard";
import { AlbumPage, ArtistPage } from "./pages/Browse";
import { Catalog, PlaylistPage } from "./pages/Catalog";
import { Login } from "./pages/Login";
import { TrackPage } from "./pages/TrackPage";
import { Upload } from "./pages/Upload";
import { PlayerBar } from "./player/PlayerBar";

function useUser(): User | null {
  const [u, setU] = useState(currentUser());
  useEffect(() => onUserChange(setU), []);
  return u;
}

/**
 * Whether "Annotate" belongs in the menu: admins manage every project; anyone else only when
 * a project has them as a member (membership, not the account's role, decides). The answer is
 * remembered per user so the menu does not change under the pointer on the next load.
 */
function useAnnotates(user: User | null): boolean {
  const key = user ? `backbeat.annotates.${user.id}` : "";
  const [on, setOn] = useState(() => user?.role === "admin" || (!!key && localStorage.getItem(key) === "1"));
  useEffect(() => {
    if (!user) return;
    if (user.role === "admin") return setOn(true);
    setOn(localStorage.getItem(key) === "1");
    const ctl = new AbortController();
    api<unknown[]>("/annotation/projects", { signal: ctl.signal }).then(
      (list) => {
        const member = Array.isArray(list) && list.length > 0;
        localStorage.setItem(key, member ? "1" : "0");
        setOn(member);
      },
      () => undefined,
    );
    return () => ctl.abort();
  }, [user?.id]);
  return on;
}

function Routes(props: { path: string; query: URLSearchParams }) {
  const { path, query } = props;
  let m: Record<string, string> | null;
  if (path === "/") return <Catalog query={query} />;
  if ((m = match("/artists/:id", path))) return <ArtistPage id={m.id} />;
  if ((m = match("/albums/:id", path))) return <AlbumPage id={m.id} />;
  if ((m = match("/tracks/:id", path))) return <TrackPage id={m.id} />;
  if ((m = match("/playlists/:id", path))) return <PlaylistPage id={m.id} />;
  if (path === "/upload") return <Upload />;
  if (path === "/annotate") return <Projects />;
  if ((m = match("/annotate/:id", path))) return <Workspace projectId={m.id} />;
  if ((m = match("/dashboard/:id", path))) return <Dashboard projectId={m.id} />;
  return (
    <Page title="Not found">
      <p>
        There is no page at <code>{path}</code>. <a href="/">Back to the catalog</a>.
      </p>
    </Page>
  );
}

function App() {
  const user = useUser();
  const { path, query } = useLocation();
  const signedOut = !user && path !== "/login";
  useEffect(() => {
    if (signedOut) navigate(`/login?next=${encodeURIComponent(path + location.search)}`, true);
  }, [signedOut]);
  const annotates = useAnnotates(user);
  const nav = [
    { href: "/", label: "Catalog" },
    ...(user && user.role !== "listener" ? [{ href: "/upload", label: "Upload" }] : []),
    ...(annotates ? [{ href: "/annotate", label: "Annotate" }] : []),
  ];
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a href="/" class="brand" aria-label="Backbeat home">
          <svg viewBox="0 0 32 32" width="26" height="26" aria-hidden="true">
            <path d="M5 18h3l2-7 3 14 3-18 3 16 2-8 2 3h4" fill="none" stroke="currentColor" stroke-width="2.6" stroke-linecap="round" stroke-linejoin="round" />
          </svg>
          <span>Backbeat</span>
        </a>
        {user && (
          <nav aria-label="Main" class="mainnav">
            {nav.map((n) => (
              <a key={n.href} href={n.href} aria-current={(n.href === "/" ? path === "/" : path.startsWith(n.href)) ? "page" : undefined}>
                {n.label}
              </a>
            ))}
          </nav>
        )}
        <div class="account">
          {user ? (
            <>
              <span class="muted who" title={user.email}>
                {user.displayName} <span class="badge">{user.role}</span>
              </span>
              <button type="button" class="button small" onClick={() => void signOut().then(() => navigate("/login"))}>
                Sign out
              </button>
            </>
          ) : null}
        </div>
      </header>
      <main id="main">{path === "/login" ? <Login next={query.get("next") ?? "/"} /> : user ? <Routes path={path} query={query} /> : null}</main>
      {user && <PlayerBar />}
    </>
  );
}

const root = document.getElementById("app")!;
interceptLinks(document.body);
render(<App />, root);
