// The shortcut sheet: the keyboard map as people read it, in a modal dialog.
import { useEffect, useRef } from "preact/hooks";
import { BINDINGS, displayKey } from "./keymap";

export function Shortcuts(props: { open: boolean; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (props.open && !d.open) d.showModal();
    if (!props.open && d.open) d.close();
  }, [props.open]);
  return (
    <dialog ref={dialog} class="dialog" aria-labelledby="shortcuts-h" onClose={props.onClose} data-testid="shortcuts">
      <h2 id="shortcuts-h">Keyboard shortcuts</h2>
      <table class="table">
        <thead>
          <tr>
            <th scope="col">Keys</th>
            <th scope="col">Does</th>
          </tr>
        </thead>
        <tbody>
          {BINDINGS.map((b) => (
            <tr key={b.action}>
              <td>
                {(b.action === "chooseLabel" ? ["1", "9"] : b.keys).map((k, i) => (
                  <span key={k}>
                    {i > 0 && (b.action === "chooseLabel" ? "–" : " or ")}
                    <kbd>{displayKey(k)}</kbd>
                  </span>
                ))}
              </td>
              <td>{b.label}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="muted small">Keys typed into an answer field stay there; Ctrl+Enter submits from anywhere. With the waveform focused, Ctrl/⌘ + wheel zooms.</p>
      <form method="dialog">
        <button class="button primary" type="submit">
          Close
        </button>
      </form>
    </dialog>
  );
}
