// The player bar at the bottom of every page: what plays, play/pause, previous/next, a seek
// slider, the rendition with a quality menu, and the loudness normalisation switch.
import { useEffect, useRef, useState } from "preact/hooks";
import { clock } from "../lib/format";
import * as player from "./player";

export function usePlayer(): player.PlayerState {
  const [s, setS] = useState(player.playerState());
  useEffect(() => player.subscribe(() => setS(player.playerState())), []);
  return s;
}

/** Icons as paths (fonts do not all have the media symbols). */
const ICONS = {
  previous: "M6 5h2v14H6zM20 5v14L9 12z",
  next: "M16 5h2v14h-2zM4 5v14l11-7z",
  play: "M7 4v16l13-8z",
  pause: "M6 4h4v16H6zM14 4h4v16h-4z",
};

export function Icon(props: { name: keyof typeof ICONS }) {
  return (
    <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d={ICONS[props.name]} />
    </svg>
  );
}

export function PlayerBar() {
  const audio = useRef<HTMLAudioElement>(null);
  const s = usePlayer();
  useEffect(() => {
    if (audio.current) player.attach(audio.current);
  }, []);
  const entry = s.queue[s.index];
  const [showQueue, setShowQueue] = useState(false);
  // Nothing queued: no bar (the <audio> element stays, so playing starts at once).
  return (
    <div class="player" role="region" aria-label="Player" hidden={!entry}>
      <audio ref={audio} preload="auto" />
      <div class="player-controls">
        <button type="button" class="icon-button" aria-label="Previous track" onClick={player.previous} disabled={!entry}>
          <Icon name="previous" />
        </button>
        <button
          type="button"
          class="icon-button play"
          aria-label={s.playing ? "Pause" : "Play"}
          onClick={player.toggle}
          disabled={!entry}
          data-testid="player-toggle"
        >
          <Icon name={s.playing ? "pause" : "play"} />
        </button>
        <button
          type="button"
          class="icon-button"
          aria-label="Next track"
          onClick={player.next}
          disabled={s.index + 1 >= s.queue.length}
        >
          <Icon name="next" />
        </button>
      </div>
      <div class="player-main">
        <div class="player-title" aria-live="polite">
          {entry ? (
            <a href={`/tracks/${entry.id}`}>{entry.title}</a>
          ) : (
            <span class="muted">Nothing playing</span>
          )}
          {entry?.subtitle && <span class="muted"> · {entry.subtitle}</span>}
        </div>
        <div class="player-seek">
          <span class="time" data-testid="player-time">
            {clock(s.currentTime)}
          </span>
          <input
            type="range"
            min={0}
            max={s.duration || 0}
            step={0.1}
            value={s.currentTime}
            aria-label="Seek"
            aria-valuetext={`${clock(s.currentTime)} of ${clock(s.duration)}`}
            disabled={!entry || !s.duration}
            onInput={(e) => player.seek(Number((e.target as HTMLInputElement).value))}
          />
          <span class="time">{clock(s.duration)}</span>
        </div>
        {s.error && (
          <div class="player-error" role="alert">
            {s.error}
          </div>
        )}
      </div>
      <div class="player-side">
        <label class="switch">
          <input
            type="checkbox"
            checked={s.normalize}
            onChange={(e) => player.setNormalize((e.target as HTMLInputElement).checked)}
            data-testid="normalize"
          />
          <span>
            Normalise
            {s.gainDb !== null && (
              <span class="muted" data-testid="normalize-gain">
                {" "}
                {s.normalize ? `${s.gainDb > 0 ? "+" : ""}${s.gainDb.toFixed(1)} dB` : "off"}
              </span>
            )}
          </span>
        </label>
        <span class="rendition muted" data-testid="rendition">
          {s.loading ? "loading…" : s.rendition}
        </span>
        {s.qualities.length > 1 && (
          <select
            class="quality"
            aria-label="Quality"
            value={String(s.quality)}
            onChange={(e) => player.setQuality(Number((e.target as HTMLSelectElement).value))}
            data-testid="quality"
          >
            <option value="-1">Auto</option>
            {s.qualities.map((q) => (
              <option key={q.level} value={String(q.level)}>
                {q.label}
              </option>
            ))}
          </select>
        )}
        {s.queue.length > 1 && (
          <button type="button" class="link-button" aria-expanded={showQueue} aria-controls="player-queue" onClick={() => setShowQueue(!showQueue)}>
            Queue {s.index + 1} / {s.queue.length}
          </button>
        )}
      </div>
      {showQueue && s.queue.length > 1 && (
        <ol id="player-queue" class="queue-list" aria-label="Queue">
          {s.queue.map((q, i) => (
            <li key={`${q.id}:${i}`} aria-current={i === s.index ? "true" : undefined}>
              <button type="button" class="link-button" onClick={() => player.jump(i)}>
                {q.title}
              </button>
              {q.subtitle && <span class="muted small"> · {q.subtitle}</span>}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
