// The one way the app talks to the server: `/api/v1`, bearer tokens refreshed silently, and
// every error turned into the problem document (RFC 9457) the server sent.

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { field: string; message: string }[];
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
  get status(): number {
    return this.problem.status;
  }
}

export type Role = "listener" | "artist" | "admin";

export interface User {
  id: string;
  email: string;
  displayName: string;
  role: Role;
}

interface TokenResponse {
  user: User;
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
}

interface Session {
  user: User;
  accessToken: string;
  /** Unix ms when the access token stops working. */
  accessExpiresAt: number;
  refreshToken: string;
}

const STORE_KEY = "backbeat.session";
/** Refresh this long before the access token expires, so no request meets a 401 for it. */
const REFRESH_MARGIN_MS = 30_000;

function load(): Session | null {
  try {
    const raw = localStorage.getItem(STORE_KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

let session: Session | null = load();
const listeners = new Set<(u: User | null) => void>();

function save(next: Session | null) {
  session = next;
  if (next) localStorage.setItem(STORE_KEY, JSON.stringify(next));
  else localStorage.removeItem(STORE_KEY);
  for (const l of listeners) l(next?.user ?? null);
}

// Another tab signed in, refreshed or signed out: follow it.
addEventListener("storage", (e) => {
  if (e.key !== STORE_KEY) return;
  session = load();
  for (const l of listeners) l(session?.user ?? null);
});

export function currentUser(): User | null {
  return session?.user ?? null;
}

export function onUserChange(f: (u: User | null) => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}

function adopt(t: TokenResponse) {
  save({
    user: t.user,
    accessToken: t.accessToken,
    accessExpiresAt: Date.now() + t.expiresIn * 1000,
    refreshToken: t.refreshToken,
  });
}

let refreshing: Promise<boolean> | null = null;

/**
 * Trades the refresh token for new tokens. Refresh tokens are one-use and the server takes a
 * second use as theft (it revokes the sign-in), so refreshes are serialised: one at a time in
 * this tab, and across tabs with a Web Lock, re-reading the stored session inside the lock in
 * case another tab has just refreshed.
 */
function refresh(): Promise<boolean> {
  if (!refreshing) {
    const run = async (): Promise<boolean> => {
      const stored = load();
      if (stored && session && stored.refreshToken !== session.refreshToken) {
        session = stored;
        if (stored.accessExpiresAt - Date.now() > REFRESH_MARGIN_MS) return true;
      }
      if (!session) return false;
      const res = await fetch("/api/v1/auth/refresh", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refreshToken: session.refreshToken }),
      });
      if (res.ok) {
        adopt((await res.json()) as TokenResponse);
        return true;
      }
      if (res.status === 401) save(null);
      return false;
    };
    const locked: Promise<boolean> = navigator.locks
      ? (navigator.locks.request("backbeat-refresh", run) as unknown as Promise<boolean>)
      : run();
    refreshing = locked.finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

export interface RequestOptions {
  method?: string;
  query?: Record<string, string | number | boolean | undefined | null>;
  body?: unknown;
  signal?: AbortSignal;
}

export function url(path: string, query?: RequestOptions["query"]): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return `/api/v1${path}${s ? `?${s}` : ""}`;
}

async function problemOf(res: Response): Promise<Problem> {
  const type = res.headers.get("content-type") ?? "";
  if (type.includes("json")) {
    try {
      const p = (await res.json()) as Partial<Problem>;
      if (p && typeof p.title === "string") return { type: p.type ?? "about:blank", status: res.status, ...p } as Problem;
    } catch {
      // Fall through to the status line.
    }
  }
  return { type: "about:blank", title: res.statusText || `HTTP ${res.status}`, status: res.status };
}

/** A request to `/api/v1{path}` with the session's token (refreshed as needed); non-2xx throws. */
async function request(path: string, opts: RequestOptions): Promise<Response> {
  if (session && session.accessExpiresAt - Date.now() < REFRESH_MARGIN_MS) await refresh();
  const send = () =>
    fetch(url(path, opts.query), {
      method: opts.method ?? "GET",
      signal: opts.signal,
      headers: {
        ...(session ? { authorization: `Bearer ${session.accessToken}` } : {}),
        ...(opts.body !== undefined ? { "content-type": "application/json" } : {}),
      },
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
    });
  let res: Response;
  try {
    res = await send();
    // A token refused early (a role change raised the epoch, a clock off): refresh once.
    if (res.status === 401 && session && (await refresh())) res = await send();
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiError({ type: "about:blank", title: "The server cannot be reached", status: 0, detail: String((e as Error).message ?? e) });
  }
  if (!res.ok) throw new ApiError(await problemOf(res));
  return res;
}

/** A request to `/api/v1{path}`; JSON in and out, `undefined` for `204`. */
export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await request(path, opts);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** A request to `/api/v1{path}` answering bytes (a waveform overview). */
export async function apiBytes(path: string, opts: RequestOptions = {}): Promise<ArrayBuffer> {
  return (await request(path, opts)).arrayBuffer();
}

export async function signIn(email: string, password: string): Promise<User> {
  const t = await api<TokenResponse>("/auth/login", { method: "POST", body: { email, password } });
  adopt(t);
  return t.user;
}

export async function register(email: string, password: string, displayName: string, role: "listener" | "artist"): Promise<User> {
  const t = await api<TokenResponse>("/auth/register", { method: "POST", body: { email, password, displayName, role } });
  adopt(t);
  return t.user;
}

export async function signOut(): Promise<void> {
  const s = session;
  save(null);
  if (s) {
    await fetch("/api/v1/auth/logout", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${s.accessToken}` },
      body: JSON.stringify({ refreshToken: s.refreshToken }),
    }).catch(() => undefined);
  }
}
