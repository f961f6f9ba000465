// What experts and QA decide from: every annotator's answer side by side, question by
// question, with the item's agreement and the model's answer; QA also gives its verdict.
import { describe, type Question } from "./schema";
import type { Work } from "./Workspace";

export interface ReviewVerdict {
  verdict: "accept" | "fix" | "reject";
  comment: string;
}

const NAMES = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

export function Review(props: {
  questions: Question[];
  work: Work;
  showTimeline: boolean;
  setShowTimeline: (on: boolean) => void;
  onStartFrom: (answers: Record<string, unknown>) => void;
  verdict: ReviewVerdict | null;
  setVerdict: (v: ReviewVerdict) => void;
}) {
  const { work } = props;
  const people = work.answers.filter((a) => a.stage === "open");
  const decided = work.answers.filter((a) => a.stage !== "open");
  const models = work.modelAnswers ?? [];
  const agreement = work.item.agreement;
  return (
    <section class="card review" aria-labelledby="review-h" data-testid="review">
      <div class="row between">
        <h2 id="review-h">{work.item.state === "review" ? "Quality review" : "Escalated: the annotators disagree"}</h2>
        <span class="muted">
          Agreement{" "}
          <strong data-testid="agreement">{agreement === null ? "—" : agreement.toFixed(2)}</strong>
        </span>
      </div>
      <div class="table-scroll">
        <table class="table side-by-side">
          <thead>
            <tr>
              <th scope="col">Question</th>
              {people.map((a, i) => (
                <th scope="col" key={a.id}>
                  Annotator {NAMES[i % 26]}
                </th>
              ))}
              {decided.map((a) => (
                <th scope="col" key={a.id}>
                  {a.stage === "expert" ? "Expert" : a.stage}
                </th>
              ))}
              {models.length > 0 && <th scope="col">Model</th>}
            </tr>
          </thead>
          <tbody>
            {props.questions.map((q) => {
              const values = people.map((a) => describe(q, a.answers[q.name]));
              const split = new Set(values).size > 1;
              return (
                <tr key={q.name} class={split ? "disagree" : ""}>
                  <th scope="row">
                    {q.title ?? q.name}
                    {split && <span class="visually-hidden"> (answers differ)</span>}
                  </th>
                  {people.map((a, i) => (
                    <td key={a.id}>{values[i]}</td>
                  ))}
                  {decided.map((a) => (
                    <td key={a.id}>{describe(q, a.answers[q.name])}</td>
                  ))}
                  {models.length > 0 && (
                    <td>
                      {models.map((m) => describe(q, m.answers[q.name])).join(" / ")}
                      {models[0].confidence?.[q.name] !== undefined && (
                        <span class="muted small"> ({Math.round((models[0].confidence![q.name] as number) * 100)} %)</span>
                      )}
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <div class="row">
        <label class="switch">
          <input type="checkbox" checked={props.showTimeline} onChange={(e) => props.setShowTimeline((e.target as HTMLInputElement).checked)} />
          Show the annotators' markers on the waveform
        </label>
        {work.item.state !== "review" &&
          people.map((a, i) => (
            <button key={a.id} type="button" class="button small" onClick={() => props.onStartFrom(a.answers)}>
              Start from {NAMES[i % 26]}'s answer
            </button>
          ))}
      </div>
      {props.verdict && (
        <fieldset class="choice verdict" data-testid="verdict">
          <legend>Verdict</legend>
          {(["accept", "fix", "reject"] as const).map((v) => (
            <label key={v}>
              <input type="radio" name="verdict" checked={props.verdict!.verdict === v} onChange={() => props.setVerdict({ ...props.verdict!, verdict: v })} />{" "}
              {v === "accept" ? "Accept the result" : v === "fix" ? "Fix it (edit the answers below)" : "Reject: back to the annotators"}
            </label>
          ))}
          <label class="wide">
            Comment
            <textarea rows={2} value={props.verdict.comment} onInput={(e) => props.setVerdict({ ...props.verdict!, comment: (e.target as HTMLTextAreaElement).value })} />
          </label>
        </fieldset>
      )}
    </section>
  );
}
