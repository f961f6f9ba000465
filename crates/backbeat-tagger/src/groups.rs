//! From 100 raw tag probabilities to results people can use: genre, mood, instruments,
//! vocals and era, each de-duplicated and with a confidence.
//!
//! The two models overlap and each has synonyms ("female", "woman", "female vocal", "female
//! voice", MSD's "female vocalists" and "female vocalist"). A grouped tag's confidence is the
//! highest probability among its members: the members are the same concept named by different
//! annotators, so the strongest detector is the best evidence, and averaging would punish a
//! concept for having many names. A tag is reported when its confidence reaches its threshold.
//!
//! Thresholds are per tag. The models' probabilities are not calibrated across tags (a rare
//! tag such as "harpsichord" is confidently present at 0.2, a common one such as "rock" only
//! at 0.4), so one global cut-off would report common tags everywhere and rare ones never.
//! The defaults below are set by hand from how often each tag occurs in the training sets and a
//! look at the dev set's outputs — a starting point, not fitted thresholds (the dev set has
//! too few labelled tracks per tag to fit them): every threshold can be overridden.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::ModelKind::{self, Msd, Mtt};
use crate::tagger::RawTags;

/// The groups grouped tags fall into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    Genre,
    Mood,
    Instrument,
    Era,
}

/// One grouped tag: its name, group, default threshold and the raw tags it merges.
pub struct GroupedTag {
    pub tag: &'static str,
    pub group: Group,
    pub threshold: f32,
    pub members: &'static [(ModelKind, &'static str)],
}

const fn g(
    group: Group,
    tag: &'static str,
    threshold: f32,
    members: &'static [(ModelKind, &'static str)],
) -> GroupedTag {
    GroupedTag {
        tag,
        group,
        threshold,
        members,
    }
}

use Group::{Era, Genre, Instrument, Mood};

/// Every grouped tag with its default threshold.
pub const GROUPED_TAGS: &[GroupedTag] = &[
    // Genres.
    g(
        Genre,
        "rock",
        0.25,
        &[
            (Msd, "rock"),
            (Mtt, "rock"),
            (Msd, "classic rock"),
            (Msd, "hard rock"),
            (Msd, "alternative rock"),
            (Msd, "indie rock"),
            (Msd, "Progressive rock"),
        ],
    ),
    g(
        Genre,
        "metal",
        0.2,
        &[(Msd, "metal"), (Msd, "heavy metal"), (Mtt, "metal")],
    ),
    g(Genre, "punk", 0.2, &[(Msd, "punk")]),
    g(
        Genre,
        "pop",
        0.25,
        &[(Msd, "pop"), (Mtt, "pop"), (Msd, "indie pop")],
    ),
    g(
        Genre,
        "alternative/indie",
        0.25,
        &[(Msd, "alternative"), (Msd, "indie")],
    ),
    g(
        Genre,
        "electronic",
        0.3,
        &[
            (Msd, "electronic"),
            (Msd, "electronica"),
            (Msd, "electro"),
            (Mtt, "electronic"),
            (Mtt, "techno"),
        ],
    ),
    g(
        Genre,
        "dance",
        0.2,
        &[(Msd, "dance"), (Msd, "House"), (Mtt, "dance")],
    ),
    g(Genre, "hip-hop", 0.2, &[(Msd, "Hip-Hop")]),
    g(Genre, "soul/r&b", 0.15, &[(Msd, "soul"), (Msd, "rnb")]),
    g(Genre, "funk", 0.15, &[(Msd, "funk")]),
    g(Genre, "jazz", 0.2, &[(Msd, "jazz")]),
    g(Genre, "blues", 0.15, &[(Msd, "blues")]),
    g(
        Genre,
        "country",
        0.15,
        &[(Msd, "country"), (Mtt, "country")],
    ),
    g(Genre, "folk", 0.2, &[(Msd, "folk")]),
    g(
        Genre,
        "classical",
        0.3,
        &[(Mtt, "classical"), (Mtt, "classic")],
    ),
    g(
        Genre,
        "ambient",
        0.25,
        &[(Msd, "ambient"), (Mtt, "ambient"), (Mtt, "new age")],
    ),
    g(
        Genre,
        "experimental",
        0.2,
        &[(Msd, "experimental"), (Mtt, "weird")],
    ),
    g(Genre, "indian", 0.2, &[(Mtt, "indian"), (Mtt, "sitar")]),
    g(Genre, "opera", 0.2, &[(Mtt, "opera")]),
    // Moods and character.
    g(
        Mood,
        "mellow",
        0.2,
        &[
            (Msd, "Mellow"),
            (Msd, "chill"),
            (Msd, "chillout"),
            (Msd, "easy listening"),
            (Mtt, "soft"),
        ],
    ),
    g(Mood, "quiet", 0.2, &[(Mtt, "quiet")]),
    g(Mood, "loud", 0.3, &[(Mtt, "loud")]),
    g(Mood, "fast", 0.25, &[(Mtt, "fast")]),
    g(Mood, "slow", 0.25, &[(Mtt, "slow")]),
    g(Mood, "beautiful", 0.1, &[(Msd, "beautiful")]),
    g(Mood, "sad", 0.1, &[(Msd, "sad")]),
    g(Mood, "happy", 0.1, &[(Msd, "happy")]),
    g(Mood, "party", 0.1, &[(Msd, "party")]),
    g(Mood, "catchy", 0.1, &[(Msd, "catchy")]),
    g(Mood, "sexy", 0.1, &[(Msd, "sexy")]),
    // Instrumentation.
    g(
        Instrument,
        "guitar",
        0.25,
        &[(Mtt, "guitar"), (Msd, "guitar")],
    ),
    g(Instrument, "acoustic", 0.2, &[(Msd, "acoustic")]),
    g(Instrument, "piano", 0.2, &[(Mtt, "piano")]),
    g(Instrument, "drums", 0.2, &[(Mtt, "drums")]),
    g(Instrument, "beats", 0.25, &[(Mtt, "beat"), (Mtt, "beats")]),
    g(Instrument, "synth", 0.2, &[(Mtt, "synth")]),
    g(
        Instrument,
        "strings",
        0.2,
        &[(Mtt, "strings"), (Mtt, "violin"), (Mtt, "cello")],
    ),
    g(Instrument, "violin", 0.15, &[(Mtt, "violin")]),
    g(Instrument, "cello", 0.1, &[(Mtt, "cello")]),
    g(Instrument, "harpsichord", 0.15, &[(Mtt, "harpsichord")]),
    g(Instrument, "harp", 0.1, &[(Mtt, "harp")]),
    g(Instrument, "flute", 0.1, &[(Mtt, "flute")]),
    g(Instrument, "sitar", 0.15, &[(Mtt, "sitar")]),
    g(
        Instrument,
        "choir",
        0.15,
        &[(Mtt, "choir"), (Mtt, "choral")],
    ),
    // Eras (MSD only).
    g(Era, "1960s", 0.1, &[(Msd, "60s")]),
    g(Era, "1970s", 0.1, &[(Msd, "70s")]),
    g(Era, "1980s", 0.1, &[(Msd, "80s")]),
    g(Era, "1990s", 0.1, &[(Msd, "90s")]),
    g(Era, "2000s", 0.1, &[(Msd, "00s")]),
    g(Era, "oldies", 0.1, &[(Msd, "oldies")]),
];

/// Vocal classes; "vocals" means a voice is heard but neither gender detector is confident.
const FEMALE: &[(ModelKind, &str)] = &[
    (Mtt, "female"),
    (Mtt, "woman"),
    (Mtt, "female vocal"),
    (Mtt, "female voice"),
    (Msd, "female vocalists"),
    (Msd, "female vocalist"),
];
const MALE: &[(ModelKind, &str)] = &[
    (Mtt, "male"),
    (Mtt, "man"),
    (Mtt, "male vocal"),
    (Mtt, "male voice"),
    (Msd, "male vocalists"),
];
const NO_VOCALS: &[(ModelKind, &str)] = &[
    (Mtt, "no vocals"),
    (Mtt, "no vocal"),
    (Mtt, "no voice"),
    (Msd, "instrumental"),
];
const VOICE: &[(ModelKind, &str)] = &[
    (Mtt, "vocal"),
    (Mtt, "vocals"),
    (Mtt, "singing"),
    (Mtt, "voice"),
    (Mtt, "opera"),
    (Mtt, "choir"),
    (Mtt, "choral"),
];
/// A gender is named when its detector reaches this (overridable as `female` / `male`).
pub const GENDER_THRESHOLD: f32 = 0.15;

/// One reported tag.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TagScore {
    pub tag: String,
    pub confidence: f32,
}

/// The vocals verdict: `none`, `female`, `male` or `vocals` (a voice, gender unclear), and the
/// calibrated probability that the track has sung vocals ([`crate::vocal`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vocals {
    pub tag: &'static str,
    pub confidence: f32,
    pub probability: f32,
}

/// Grouped results of one track, each list by decreasing confidence.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Grouped {
    pub genre: Vec<TagScore>,
    pub mood: Vec<TagScore>,
    pub instruments: Vec<TagScore>,
    pub vocals: Option<Vocals>,
    pub era: Vec<TagScore>,
}

/// Per-tag threshold overrides, by grouped tag name (`rock`, `female`, …).
#[derive(Debug, Clone, Default)]
pub struct Thresholds {
    overrides: BTreeMap<String, f32>,
}

impl Thresholds {
    /// Parse `tag=value` overrides; unknown tags and values outside 0..=1 are errors.
    pub fn parse<'s>(items: impl IntoIterator<Item = &'s str>) -> Result<Self, String> {
        let mut overrides = BTreeMap::new();
        for item in items {
            let (tag, value) = item
                .split_once('=')
                .ok_or_else(|| format!("threshold `{item}` is not TAG=VALUE"))?;
            let tag = tag.trim();
            let known =
                GROUPED_TAGS.iter().any(|t| t.tag == tag) || tag == "female" || tag == "male";
            if !known {
                return Err(format!("unknown tag `{tag}` in threshold `{item}`"));
            }
            let value: f32 = value
                .trim()
                .parse()
                .ok()
                .filter(|v: &f32| (0.0..=1.0).contains(v))
                .ok_or_else(|| format!("threshold `{item}` needs a value between 0 and 1"))?;
            overrides.insert(tag.to_string(), value);
        }
        Ok(Thresholds { overrides })
    }

    /// The threshold in force for `tag`.
    pub fn get(&self, tag: &str, default: f32) -> f32 {
        self.overrides.get(tag).copied().unwrap_or(default)
    }
}

/// The probability of raw tag `label` of `model`; the tables above only name real labels
/// (a unit test checks), so a miss is a programming error reported as 0.
pub fn raw(raw: &RawTags, model: ModelKind, label: &str) -> f32 {
    let probs = match model {
        ModelKind::Mtt => &raw.mtt,
        ModelKind::Msd => &raw.msd,
    };
    model
        .labels()
        .iter()
        .position(|l| *l == label)
        .and_then(|i| probs.get(i).copied())
        .unwrap_or(0.0)
}

fn strongest(r: &RawTags, members: &[(ModelKind, &str)]) -> f32 {
    members
        .iter()
        .map(|&(m, l)| raw(r, m, l))
        .fold(0.0, f32::max)
}

/// Group, de-duplicate and threshold the raw tags of one track.
pub fn group(r: &RawTags, thresholds: &Thresholds) -> Grouped {
    let mut out = Grouped::default();
    if r.silent {
        return out;
    }
    for t in GROUPED_TAGS {
        let confidence = strongest(r, t.members);
        if confidence < thresholds.get(t.tag, t.threshold) {
            continue;
        }
        let score = TagScore {
            tag: t.tag.to_string(),
            confidence,
        };
        match t.group {
            Group::Genre => out.genre.push(score),
            Group::Mood => out.mood.push(score),
            Group::Instrument => out.instruments.push(score),
            Group::Era => out.era.push(score),
        }
    }
    for list in [
        &mut out.genre,
        &mut out.mood,
        &mut out.instruments,
        &mut out.era,
    ] {
        list.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    }
    out.vocals = Some(vocals(r, thresholds));
    out
}

fn vocals(r: &RawTags, thresholds: &Thresholds) -> Vocals {
    let probability = crate::vocal::vocal_probability(r);
    let female = strongest(r, FEMALE);
    let male = strongest(r, MALE);
    let none = strongest(r, NO_VOCALS);
    let voice = strongest(r, VOICE).max(female).max(male);
    if none >= voice {
        return Vocals {
            tag: "none",
            confidence: none,
            probability,
        };
    }
    let female_ok = female >= thresholds.get("female", GENDER_THRESHOLD);
    let male_ok = male >= thresholds.get("male", GENDER_THRESHOLD);
    match (female_ok, male_ok) {
        (true, _) if female >= male => Vocals {
            tag: "female",
            confidence: female,
            probability,
        },
        (_, true) => Vocals {
            tag: "male",
            confidence: male,
            probability,
        },
        _ => Vocals {
            tag: "vocals",
            confidence: voice,
            probability,
        },
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::tagger::Sampling;

    /// Raw tags at 0.01 but for the (model, label, probability) triples of `set`.
    pub(crate) fn raw_with(set: &[(ModelKind, &str, f32)]) -> RawTags {
        let mut r = RawTags {
            sampling: Sampling::All,
            patches_used: 1,
            patches_total: 1,
            mtt: vec![0.01; 50],
            msd: vec![0.01; 50],
            embedding: vec![0.0; 400],
            backend: crate::Backend::Tract,
            silent: false,
        };
        for &(m, label, p) in set {
            let i = m.labels().iter().position(|l| *l == label).unwrap();
            match m {
                ModelKind::Mtt => r.mtt[i] = p,
                ModelKind::Msd => r.msd[i] = p,
            }
        }
        r
    }

    #[test]
    fn every_member_names_a_real_label_and_tags_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for t in GROUPED_TAGS {
            assert!(seen.insert(t.tag), "duplicate grouped tag {}", t.tag);
            assert!((0.0..=1.0).contains(&t.threshold));
            for &(m, l) in t.members {
                assert!(m.labels().contains(&l), "{} has no label {l}", m.name());
            }
        }
        for list in [FEMALE, MALE, NO_VOCALS, VOICE] {
            for &(m, l) in list {
                assert!(m.labels().contains(&l), "{} has no label {l}", m.name());
            }
        }
    }

    #[test]
    fn synonyms_merge_into_one_tag_with_the_strongest_confidence() {
        let r = raw_with(&[
            (Msd, "rock", 0.4),
            (Mtt, "rock", 0.6),
            (Msd, "hard rock", 0.5),
        ]);
        let g = group(&r, &Thresholds::default());
        assert_eq!(
            g.genre,
            vec![TagScore {
                tag: "rock".into(),
                confidence: 0.6
            }]
        );
    }

    #[test]
    fn vocals_pick_none_female_male_or_unclear() {
        let t = Thresholds::default();
        let v = |set: &[(ModelKind, &str, f32)]| group(&raw_with(set), &t).vocals.unwrap().tag;
        assert_eq!(v(&[(Mtt, "no vocals", 0.7), (Mtt, "vocal", 0.2)]), "none");
        assert_eq!(v(&[(Mtt, "woman", 0.5), (Mtt, "male", 0.2)]), "female");
        assert_eq!(
            v(&[(Msd, "male vocalists", 0.5), (Mtt, "female", 0.2)]),
            "male"
        );
        assert_eq!(v(&[(Mtt, "singing", 0.6)]), "vocals");
    }

    #[test]
    fn thresholds_can_be_overridden_and_bad_overrides_are_refused() {
        let r = raw_with(&[(Mtt, "piano", 0.15)]);
        assert!(group(&r, &Thresholds::default()).instruments.is_empty());
        let low = Thresholds::parse(["piano=0.1"]).unwrap();
        assert_eq!(group(&r, &low).instruments[0].tag, "piano");
        assert!(Thresholds::parse(["kazoo=0.1"]).is_err());
        assert!(Thresholds::parse(["piano=2"]).is_err());
        assert!(Thresholds::parse(["piano"]).is_err());
    }

    #[test]
    fn silence_reports_nothing() {
        let mut r = raw_with(&[(Mtt, "piano", 0.9)]);
        r.silent = true;
        assert_eq!(group(&r, &Thresholds::default()), Grouped::default());
    }
}
