import { useState } from "preact/hooks";
import { Page, ProblemView } from "../components";
import { ApiError, register, signIn } from "../lib/api";
import { navigate } from "../lib/router";

export function Login(props: { next?: string }) {
  const [mode, setMode] = useState<"signin" | "register">("signin");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState<"listener" | "artist">("listener");
  const [error, setError] = useState<ApiError | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (mode === "signin") await signIn(email, password);
      else await register(email, password, name, role);
      navigate(props.next && props.next.startsWith("/") ? props.next : "/", true);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page title={mode === "signin" ? "Sign in" : "Create an account"}>
      <form class="card form narrow" onSubmit={submit}>
        <label>
          E-mail
          <input type="email" autoComplete="username" required value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Password
          <input
            type="password"
            autoComplete={mode === "signin" ? "current-password" : "new-password"}
            required
            value={password}
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
          />
        </label>
        {mode === "register" && (
          <>
            <label>
              Display name
              <input required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
            </label>
            <fieldset class="choice">
              <legend>I am</legend>
              <label>
                <input type="radio" name="role" checked={role === "listener"} onChange={() => setRole("listener")} /> a listener
              </label>
              <label>
                <input type="radio" name="role" checked={role === "artist"} onChange={() => setRole("artist")} /> an artist
              </label>
            </fieldset>
          </>
        )}
        <ProblemView error={error} />
        <button class="button primary" type="submit" disabled={busy}>
          {mode === "signin" ? "Sign in" : "Create the account"}
        </button>
        <button type="button" class="link-button" onClick={() => setMode(mode === "signin" ? "register" : "signin")}>
          {mode === "signin" ? "No account yet? Create one" : "Have an account? Sign in"}
        </button>
      </form>
    </Page>
  );
}
