-- The tagger's grouped tags (genre, mood, instrument, vocals, era), one row per tag with its
-- confidence, written by the pipeline's `summary` with the analysis. A table rather than
-- JSON so that "female vocals, mellow" is an indexed lookup in SQL and in the search index.
CREATE TABLE track_tags (
    track_id   TEXT    NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
    grp        TEXT    NOT NULL,
    tag        TEXT    NOT NULL,
    confidence DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (track_id, grp, tag)
);
CREATE INDEX track_tags_by_tag ON track_tags (grp, tag, confidence);
