import { test } from "node:test";
import assert from "node:assert/strict";
import { actionFor, BINDINGS, keyName } from "./keymap.ts";

const key = (k: string, mods: Partial<{ shiftKey: boolean; ctrlKey: boolean; metaKey: boolean; altKey: boolean }> = {}, target: unknown = null) => ({
  key: k,
  shiftKey: false,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  ...mods,
  target: target as EventTarget | null,
});

test("every key is bound once", () => {
  const seen = new Map<string, string>();
  for (const b of BINDINGS)
    for (const k of b.keys) {
      assert.ok(!seen.has(k), `${k} is bound to ${seen.get(k)} and ${b.action}`);
      seen.set(k, b.action);
    }
});

test("events name keys the way the table does", () => {
  assert.equal(keyName(key(" ")), "Space");
  assert.equal(keyName(key("ArrowLeft", { shiftKey: true })), "Shift+ArrowLeft");
  assert.equal(keyName(key("Enter", { metaKey: true })), "Ctrl+Enter");
  assert.equal(keyName(key("?", { shiftKey: true })), "?");
  assert.equal(keyName(key("S", { shiftKey: true })), "Shift+S");
  assert.equal(actionFor(key("b")), "tapBeat");
  assert.equal(actionFor(key("B", { shiftKey: true })), null);
  assert.equal(actionFor(key("ArrowRight", { ctrlKey: true })), "regionEndLater");
  assert.equal(actionFor(key("r", { altKey: true })), null);
});

test("keys typed into a field stay in the field, except Ctrl+Enter", () => {
  const input = { tagName: "INPUT", type: "text" };
  assert.equal(actionFor(key("b", {}, input)), null);
  assert.equal(actionFor(key(" ", {}, { tagName: "TEXTAREA" })), null);
  assert.equal(actionFor(key("Enter", { ctrlKey: true }, input)), "submit");
  // A checkbox or radio button does not take letters: the workspace keys still work there.
  assert.equal(actionFor(key("b", {}, { tagName: "INPUT", type: "checkbox" })), "tapBeat");
});
