// The workspace's keyboard map: one table that both the key handler and the shortcut sheet
// read, so what the sheet says is what the keys do.

export type Action =
  | "play"
  | "seekBack"
  | "seekForward"
  | "zoomIn"
  | "zoomOut"
  | "regionMark"
  | "regionPrev"
  | "regionNext"
  | "regionStartEarlier"
  | "regionStartLater"
  | "regionEndEarlier"
  | "regionEndLater"
  | "regionDelete"
  | "chooseLabel"
  | "tapBeat"
  | "tapDownbeat"
  | "markerNudgeEarlier"
  | "markerNudgeLater"
  | "markerDelete"
  | "useModel"
  | "submit"
  | "skip"
  | "postpone"
  | "help";

export interface Binding {
  /** `KeyboardEvent.key`, with `Shift+`/`Ctrl+` prefixes (`Ctrl` also matches ⌘). */
  keys: string[];
  action: Action;
  label: string;
}

export const BINDINGS: readonly Binding[] = [
  { keys: ["Space"], action: "play", label: "Play / pause" },
  { keys: ["ArrowLeft"], action: "seekBack", label: "Back 2 s" },
  { keys: ["ArrowRight"], action: "seekForward", label: "Forward 2 s" },
  { keys: ["+", "="], action: "zoomIn", label: "Zoom in" },
  { keys: ["-"], action: "zoomOut", label: "Zoom out" },
  { keys: ["r"], action: "regionMark", label: "Region: start at the playhead, press again to end it" },
  { keys: ["["], action: "regionPrev", label: "Select the previous region" },
  { keys: ["]"], action: "regionNext", label: "Select the next region" },
  { keys: ["Shift+ArrowLeft"], action: "regionStartEarlier", label: "Selected region: start 50 ms earlier" },
  { keys: ["Shift+ArrowRight"], action: "regionStartLater", label: "Selected region: start 50 ms later" },
  { keys: ["Ctrl+ArrowLeft"], action: "regionEndEarlier", label: "Selected region: end 50 ms earlier" },
  { keys: ["Ctrl+ArrowRight"], action: "regionEndLater", label: "Selected region: end 50 ms later" },
  { keys: ["Delete", "Backspace"], action: "regionDelete", label: "Delete the selected region" },
  { keys: ["1", "2", "3", "4", "5", "6", "7", "8", "9"], action: "chooseLabel", label: "Label 1–9: the selected region's label (or the next region's)" },
  { keys: ["b"], action: "tapBeat", label: "Tap a beat at the playhead" },
  { keys: ["n"], action: "tapDownbeat", label: "Tap a downbeat at the playhead (on a beat already there: it becomes the downbeat)" },
  { keys: [","], action: "markerNudgeEarlier", label: "Last marker: 10 ms earlier" },
  { keys: ["."], action: "markerNudgeLater", label: "Last marker: 10 ms later" },
  { keys: ["x"], action: "markerDelete", label: "Delete the last marker" },
  { keys: ["Shift+M"], action: "useModel", label: "Start from the model's regions and markers (replaces yours of those questions)" },
  { keys: ["Ctrl+Enter"], action: "submit", label: "Submit the answers" },
  { keys: ["Shift+S"], action: "skip", label: "Skip the item" },
  { keys: ["Shift+P"], action: "postpone", label: "Postpone the item" },
  { keys: ["?"], action: "help", label: "Show this sheet" },
];

export interface KeyLike {
  key: string;
  shiftKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  target?: EventTarget | null;
}

/** The name a binding uses for an event: `Shift+ArrowLeft`, `Ctrl+Enter`, `?`, `S`. */
export function keyName(e: KeyLike): string {
  const key = e.key === " " ? "Space" : e.key;
  const mods: string[] = [];
  if (e.ctrlKey || e.metaKey) mods.push("Ctrl");
  // Shift is part of printable characters already (`?`, `S`, `+`); name it only for the
  // keys whose name does not change with it.
  if (e.shiftKey && (key.length > 1 || /[a-z]/i.test(key))) mods.push("Shift");
  return [...mods, key.length === 1 && e.shiftKey && /[a-z]/i.test(key) ? key.toUpperCase() : key].join("+");
}

/** Keys typed into a text field or a select belong to it, not to the workspace. */
export function isTyping(target: EventTarget | null | undefined): boolean {
  const el = target as { tagName?: string; isContentEditable?: boolean; type?: string } | null;
  if (!el || !el.tagName) return false;
  const tag = el.tagName.toUpperCase();
  if (tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable) return true;
  if (tag !== "INPUT") return false;
  return !["checkbox", "radio", "button", "range", "submit"].includes((el.type ?? "text").toLowerCase());
}

const byKey = new Map<string, Action>();
for (const b of BINDINGS) for (const k of b.keys) byKey.set(k, b.action);

/** The action an event asks for, or null (also while typing, except `Ctrl+Enter` to submit). */
export function actionFor(e: KeyLike): Action | null {
  if (e.altKey) return null;
  const action = byKey.get(keyName(e)) ?? null;
  if (isTyping(e.target) && action !== "submit") return null;
  return action;
}

/** Key spellings shown to people. */
export function displayKey(k: string): string {
  return k
    .replace("ArrowLeft", "←")
    .replace("ArrowRight", "→")
    .replace("Ctrl+", "Ctrl ")
    .replace("Shift+", "Shift ");
}
