// The clip questions of the project's schema as form fields: choices as radio buttons or
// checkboxes (with a filter for long vocabularies), numbers, keys, ratings and text. A model's
// answer, when the project shows it, sits beside its question with a button to take it.
import { useState } from "preact/hooks";
import { type ClipAnswers, describe, type KeyAnswer, type Question, TONICS } from "./schema";

export interface ModelAnswer {
  answers: Record<string, unknown>;
  confidence?: Record<string, number> | null;
}

function Field(props: { q: Question; value: unknown; set: (v: unknown) => void; model?: ModelAnswer[]; idPrefix: string }) {
  const { q, value, set } = props;
  const id = `${props.idPrefix}q-${q.name}`;
  const title = q.title ?? q.name.replace(/_/g, " ");
  const [filter, setFilter] = useState("");
  const labels = q.labels ?? [];
  const shown = labels.length > 12 && filter ? labels.filter((l) => l.toLowerCase().includes(filter.toLowerCase())) : labels;
  const models = (props.model ?? []).filter((m) => m.answers[q.name] !== undefined);
  const hint = models.length > 0 && (
    <div class="model-hint small">
      {models.map((m, i) => {
        const c = m.confidence?.[q.name];
        return (
          <span key={i}>
            Model: <strong>{describe(q, m.answers[q.name])}</strong>
            {typeof c === "number" ? ` (${Math.round(c * 100)} %)` : ""}{" "}
            <button type="button" class="link-button" onClick={() => set(m.answers[q.name])}>
              use
            </button>
          </span>
        );
      })}
    </div>
  );
  const required = q.required !== false && q.type !== "multi_label";
  const heading = (
    <>
      {title}
      {required && <span class="required" aria-hidden="true"> *</span>}
    </>
  );
  switch (q.type) {
    case "single_choice":
    case "multi_label": {
      const multi = q.type === "multi_label";
      const chosen = multi ? ((value as string[] | undefined) ?? []) : [value as string | undefined];
      return (
        <fieldset class="question" data-question={q.name}>
          <legend>
            {heading}
          </legend>
          {hint}
          {labels.length > 12 && (
            <input
              type="search"
              class="label-filter"
              placeholder="Filter labels"
              aria-label={`Filter the labels of ${title}`}
              value={filter}
              onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
            />
          )}
          <div class="choices">
            {shown.map((l) => (
              <label key={l} class="choice-chip">
                <input
                  type={multi ? "checkbox" : "radio"}
                  name={id}
                  value={l}
                  checked={chosen.includes(l)}
                  required={!multi && required}
                  onChange={(e) => {
                    const on = (e.target as HTMLInputElement).checked;
                    if (!multi) set(l);
                    else set(on ? [...(chosen as string[]), l] : (chosen as string[]).filter((x) => x !== l));
                  }}
                />
                {l}
              </label>
            ))}
          </div>
        </fieldset>
      );
    }
    case "number":
    case "rating":
      return (
        <div class="question" data-question={q.name}>
          <label for={id}>
            {heading}
            {q.min !== undefined && (
              <span class="muted small">
                {" "}
                ({q.min}–{q.max})
              </span>
            )}
          </label>
          {hint}
          <input
            id={id}
            type="number"
            min={q.min}
            max={q.max}
            step={q.type === "rating" ? 1 : "any"}
            required={required}
            value={value === undefined ? "" : String(value)}
            onInput={(e) => {
              const s = (e.target as HTMLInputElement).value;
              set(s === "" ? undefined : Number(s));
            }}
          />
        </div>
      );
    case "key": {
      const k = (value as KeyAnswer | undefined) ?? undefined;
      return (
        <fieldset class="question" data-question={q.name}>
          <legend>
            {heading}
          </legend>
          {hint}
          <div class="row">
            <label>
              Tonic
              <select value={k?.tonic ?? ""} onChange={(e) => set({ tonic: (e.target as HTMLSelectElement).value, mode: k?.mode ?? "major" })}>
                <option value="" disabled>
                  choose
                </option>
                {TONICS.map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Mode
              <select
                value={k?.mode ?? "major"}
                disabled={!k}
                onChange={(e) => k && set({ tonic: k.tonic, mode: (e.target as HTMLSelectElement).value })}
              >
                <option value="major">major</option>
                <option value="minor">minor</option>
              </select>
            </label>
          </div>
        </fieldset>
      );
    }
    case "text":
      return (
        <div class="question" data-question={q.name}>
          <label for={id}>
            {heading}
          </label>
          {hint}
          <textarea id={id} rows={2} maxLength={q.max_length} value={(value as string) ?? ""} onInput={(e) => set((e.target as HTMLTextAreaElement).value)} />
        </div>
      );
    default:
      return null;
  }
}

export function Questions(props: {
  questions: Question[];
  clip: ClipAnswers;
  setClip: (name: string, v: unknown) => void;
  model?: ModelAnswer[];
  /** Keeps field ids unique when attribute questions share names with clip questions. */
  idPrefix?: string;
}) {
  return (
    <div class="questions">
      {props.questions.map((q) => (
        <Field key={q.name} q={q} value={props.clip[q.name]} set={(v) => props.setClip(q.name, v)} model={props.model} idPrefix={props.idPrefix ?? ""} />
      ))}
    </div>
  );
}
