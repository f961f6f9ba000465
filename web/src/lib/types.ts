// The API's shapes the app reads (see /api/v1/openapi.json).

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface Artist {
  id: string;
  name: string;
  owners: string[];
  createdAt: string;
}

export interface Album {
  id: string;
  artistId: string;
  title: string;
  kind: string;
  releaseYear: number | null;
}

export interface Track {
  id: string;
  albumId: string;
  title: string;
  status: "processing" | "ready" | "failed";
  audio: { container: string; codec: string; durationMs: number; sampleRate: number; channels: number; bytes: number };
  createdAt: string;
  updatedAt: string;
}

export interface Hit {
  type: "track" | "album" | "artist";
  id: string;
  title: string;
  artistId: string;
  artistName: string;
  albumId: string | null;
  albumTitle: string | null;
  score: number;
}

export interface SearchResult {
  hits: Hit[];
  total: number;
  limit: number;
  offset: number;
}

export interface Rendition {
  id: string;
  codec: string;
  kbps: number;
  codecs: string;
  bandwidth: number;
}

export interface StreamDoc {
  trackUrl: string;
  hlsUrl: string | null;
  dashUrl: string | null;
  normalized: boolean;
  loudness: { gainDb: number; peakDb: number; loudnessLufs: number; targetLufs: number } | null;
  renditions: Rendition[];
  albumId: string;
  title: string;
  expiresAt: string;
}

export interface PeaksDoc {
  trackId: string;
  url: string;
  expiresAt: string;
  sampleRate: number;
  samplesPerPixel: number;
  pixels: number;
  bytes: number;
}

export interface TagDto {
  group: string;
  tag: string;
  confidence: number;
  source: "tagger" | "reviewed";
}

export interface AnalysisDoc {
  trackId: string;
  bpm: number | null;
  key: string | null;
  loudnessLufs: number | null;
  analysis: {
    rhythm?: { bpm: number | null; confidence: number; beats: number[]; tempo_curve?: { time: number; bpm: number }[] };
    key?: { name?: string; confidence?: number } | null;
    loudness?: Record<string, number>;
    dynamics?: Record<string, number>;
    content?: Record<string, number>;
  } | null;
  tags: TagDto[];
  reviewed: { field: string; value: unknown; source: string; projectId: string; itemId: string }[];
  updatedAt: string;
}

export interface JobState {
  job: string;
  version: number;
  state: string;
  attempts: number;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface JobsDoc {
  trackId: string;
  status: string;
  jobs: JobState[];
}
