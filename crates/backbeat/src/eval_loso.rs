//! The leave-one-source-out part of `backbeat eval`: per source, the plain figures and the
//! figures with the key and tempo decisions chosen on the other sources only.
//!
//! The decisions are re-made from what the analysis kept ([`DecisionFeatures`]: the pitch-class
//! profile, the tempo salience curve and onset strength), so trying 9 key candidates and 144
//! tempo decisions (24 priors × 6 octave-check thresholds) costs no second decode. Constants
//! outside these grids (bands per octave, peak thresholds, the beat tracker's, the form of the
//! accent measure) stay as chosen on the whole dev set: the LOSO figures are honest about the
//! profile, the harmonic weighting, the tempo prior and the halving threshold only.

use std::collections::BTreeMap;
use std::fmt::Write;

use backbeat_audio::eval::{
    evaluate_file, leave_one_source_out, mirex_relation, tempo_acc1, tempo_acc2, FileEval, Fold,
    KeyLabel, Label, Prediction, Report,
};
use backbeat_audio::key::{decide, KeyParams};
use backbeat_audio::rhythm::TempoDecision;
use backbeat_audio::DecisionFeatures;
use serde::Serialize;

/// One labelled file as the evaluation left it.
pub struct Evaluated<'a> {
    pub label: &'a Label,
    pub reference_beats: Option<&'a [f64]>,
    pub prediction: Option<&'a Prediction>,
    pub features: Option<&'a DecisionFeatures>,
    pub eval: &'a FileEval,
}

/// The figures of one source.
#[derive(Debug, Serialize)]
pub struct SourceFigures {
    pub source: String,
    pub files: usize,
    /// With the shipped parameters (chosen on the whole dev set).
    pub plain: Report,
    /// With the key and tempo decisions chosen on the other sources.
    pub loso: Report,
    /// The key candidate chosen without this source (`None`: no other source has key labels).
    pub key_params: Option<&'static str>,
    /// The tempo decision chosen without this source, as `centre BPM / width octaves, halving
    /// threshold`.
    pub tempo_decision: Option<String>,
}

/// The whole leave-one-source-out report.
#[derive(Debug, Serialize)]
pub struct LosoReport {
    pub key_candidates: usize,
    pub tempo_candidates: usize,
    /// Every file scored with its own source's fold.
    pub pooled: Report,
    pub sources: Vec<SourceFigures>,
}

/// Scores every file with the decisions chosen without its source.
pub fn evaluate(files: &[Evaluated]) -> LosoReport {
    let keys = KeyParams::candidates();
    let decisions = TempoDecision::candidates();
    let sources: Vec<&str> = files.iter().map(|f| f.label.source.as_str()).collect();
    let key_scores: Vec<Vec<Option<f64>>> = files.iter().map(|f| key_row(f, &keys)).collect();
    let tempo_scores: Vec<Vec<Option<f64>>> =
        files.iter().map(|f| tempo_row(f, &decisions)).collect();
    let key_folds = by_source(leave_one_source_out(&sources, &key_scores));
    let tempo_folds = by_source(leave_one_source_out(&sources, &tempo_scores));

    let loso_evals: Vec<FileEval> = files
        .iter()
        .map(|f| {
            let source = f.label.source.as_str();
            let key = key_folds.get(source).copied().flatten().map(|i| &keys[i]);
            let decision = tempo_folds
                .get(source)
                .copied()
                .flatten()
                .map(|i| &decisions[i]);
            loso_eval(f, key, decision)
        })
        .collect();

    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, s) in sources.iter().enumerate() {
        groups.entry(s).or_default().push(i);
    }
    let pick = |evals: &[FileEval], idx: &[usize]| -> Vec<FileEval> {
        idx.iter().map(|&i| evals[i].clone()).collect()
    };
    let plain_evals: Vec<FileEval> = files.iter().map(|f| f.eval.clone()).collect();
    let sources = groups
        .into_iter()
        .map(|(source, idx)| SourceFigures {
            source: source.to_string(),
            files: idx.len(),
            plain: Report::from_files(&pick(&plain_evals, &idx)),
            loso: Report::from_files(&pick(&loso_evals, &idx)),
            key_params: key_folds
                .get(source)
                .copied()
                .flatten()
                .map(|i| keys[i].name),
            tempo_decision: tempo_folds
                .get(source)
                .copied()
                .flatten()
                .map(|i| decision_name(&decisions[i])),
        })
        .collect();
    LosoReport {
        key_candidates: keys.len(),
        tempo_candidates: decisions.len(),
        pooled: Report::from_files(&loso_evals),
        sources,
    }
}

fn by_source(folds: Vec<Fold>) -> BTreeMap<String, Option<usize>> {
    folds.into_iter().map(|f| (f.source, f.chosen)).collect()
}

fn decision_name(d: &TempoDecision) -> String {
    let halve = if d.halve_at.is_finite() {
        format!("halve ≥ {}", d.halve_at)
    } else {
        "no halving".to_string()
    };
    format!(
        "{} BPM / {} oct, {halve}",
        d.prior.centre_bpm, d.prior.octaves
    )
}

/// The MIREX weight of each key candidate on a key-labelled file (0 for a file that failed or
/// has no tonal content: no estimate is a wrong one).
fn key_row(f: &Evaluated, keys: &[KeyParams]) -> Vec<Option<f64>> {
    let Some(reference) = f.label.key else {
        return vec![None; keys.len()];
    };
    let profile = f.features.and_then(|x| x.pitch_classes.as_ref());
    keys.iter()
        .map(|k| {
            let estimate = profile
                .and_then(|p| decide(p, k))
                .map(|k| KeyLabel::from_key(&k));
            Some(mirex_relation(reference, estimate).weight())
        })
        .collect()
}

/// ACC1 of each tempo decision on a tempo-labelled file, ACC2 breaking ties (a thousandth: less
/// than one file's ACC1 on any set this size).
fn tempo_row(f: &Evaluated, decisions: &[TempoDecision]) -> Vec<Option<f64>> {
    let Some(reference) = f.label.bpm else {
        return vec![None; decisions.len()];
    };
    decisions
        .iter()
        .map(|p| {
            let bpm = f.features.and_then(|x| x.rhythm.bpm(p));
            let hit = |ok: fn(f64, f64) -> bool| bpm.is_some_and(|b| ok(reference, b));
            Some(f64::from(u8::from(hit(tempo_acc1))) + 1e-3 * f64::from(u8::from(hit(tempo_acc2))))
        })
        .collect()
}

/// The file scored with the fold's key candidate and tempo decision (the shipped ones where the
/// fold chose them, or had nothing to choose on).
fn loso_eval(f: &Evaluated, key: Option<&KeyParams>, decision: Option<&TempoDecision>) -> FileEval {
    let (Some(prediction), Some(features)) = (f.prediction, f.features) else {
        return f.eval.clone();
    };
    let mut p = prediction.clone();
    if let Some(k) = key.filter(|k| **k != KeyParams::default()) {
        p.key = features
            .pitch_classes
            .as_ref()
            .and_then(|pc| decide(pc, k))
            .map(|k| KeyLabel::from_key(&k));
    }
    if let Some(decision) = decision.filter(|d| **d != TempoDecision::default()) {
        let rhythm = features.rhythm.rhythm(decision);
        p.bpm = rhythm.bpm;
        p.beats = rhythm.beats;
        p.tempo_curve = Prediction::curve_pairs(&rhythm.tempo_curve);
    }
    evaluate_file(f.label, f.reference_beats, Ok(&p))
}

/// The report as text: one row per source, plain → leave-one-source-out.
pub fn render_text(r: &LosoReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nleave one source out: each source scored with the key candidate ({}) and tempo decision ({}) that did best on the other sources",
        r.key_candidates, r.tempo_candidates
    );
    let _ = writeln!(
        s,
        "{:<26} {:>4} {:>15} {:>4} {:>15} {:>15} {:>4} {:>15}  chosen without it",
        "source", "key", "MIREX", "bpm", "ACC1", "ACC2", "beat", "F"
    );
    let row = |s: &mut String, name: &str, plain: &Report, loso: &Report, chosen: &str| {
        let pair = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => format!("{a:.3} → {b:.3}"),
            _ => "-".into(),
        };
        let rate = |n: usize, k: usize| (n > 0).then(|| k as f64 / n as f64);
        let key = |r: &Report| (r.key.n > 0).then_some(r.key.weighted);
        let beat = |r: &Report| (r.beat_f.n > 0).then_some(r.beat_f.mean);
        let _ = writeln!(
            s,
            "{:<26} {:>4} {:>15} {:>4} {:>15} {:>15} {:>4} {:>15}  {}",
            name,
            plain.key.n,
            pair(key(plain), key(loso)),
            plain.tempo.n,
            pair(
                rate(plain.tempo.n, plain.tempo.acc1),
                rate(loso.tempo.n, loso.tempo.acc1)
            ),
            pair(
                rate(plain.tempo.n, plain.tempo.acc2),
                rate(loso.tempo.n, loso.tempo.acc2)
            ),
            plain.beat_f.n,
            pair(beat(plain), beat(loso)),
            chosen
        );
    };
    let mut plain_all = Vec::new();
    for src in &r.sources {
        if src.plain.key.n + src.plain.tempo.n + src.plain.beat_f.n == 0 {
            continue;
        }
        let chosen = format!(
            "key {} · tempo {}",
            src.key_params.unwrap_or("-"),
            src.tempo_decision.as_deref().unwrap_or("-")
        );
        row(&mut s, &src.source, &src.plain, &src.loso, &chosen);
        plain_all.push(src);
    }
    let _ = writeln!(
        s,
        "pooled: key MIREX {:.3} · ACC1 {:.3} · ACC2 {:.3} · beat F {:.3} (every file scored by its own fold)",
        r.pooled.key.weighted,
        r.pooled.tempo.acc1 as f64 / r.pooled.tempo.n.max(1) as f64,
        r.pooled.tempo.acc2 as f64 / r.pooled.tempo.n.max(1) as f64,
        r.pooled.beat_f.mean
    );
    let spread = |f: &dyn Fn(&Report) -> Option<f64>| {
        let v: Vec<f64> = plain_all.iter().filter_map(|src| f(&src.loso)).collect();
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if v.is_empty() {
            "-".to_string()
        } else {
            format!("{lo:.3}–{hi:.3}")
        }
    };
    let at_least_5 = |n: usize, x: f64| (n >= 5).then_some(x);
    let _ = writeln!(
        s,
        "spread over sources with ≥ 5 labelled files: key {} · ACC1 {} · beat F {}",
        spread(&|r| at_least_5(r.key.n, r.key.weighted)),
        spread(&|r| at_least_5(r.tempo.n, r.tempo.acc1 as f64 / r.tempo.n.max(1) as f64)),
        spread(&|r| at_least_5(r.beat_f.n, r.beat_f.mean)),
    );
    s
}
