//! Aggregating per-file evaluations into a [`Report`], and rendering it for people.

use std::fmt::Write;

use super::keys::KeyRelation;
use super::labels::SpeechLabel;
use super::report::{
    roc_auc, ConfidenceSeparation, Diff, FileEval, KeyFigures, Mean, Rate, Report,
};

const RELATIONS: [KeyRelation; 5] = [
    KeyRelation::Same,
    KeyRelation::Fifth,
    KeyRelation::Relative,
    KeyRelation::Parallel,
    KeyRelation::Other,
];

impl Report {
    /// Aggregate the per-file evaluations of a whole labels file.
    pub fn from_files(files: &[FileEval]) -> Self {
        let mut r = Report {
            files: files.len(),
            ..Report::default()
        };
        let mut beat_sum = 0.0;
        let mut key_sum = 0.0;
        let mut lufs = Vec::new();
        let mut peak = Vec::new();
        let (mut right, mut octave, mut wrong) = (Vec::new(), Vec::new(), Vec::new());
        for f in files {
            match (f.bpm_confidence, f.acc1, f.acc2) {
                (Some(c), Some(true), _) => right.push(c),
                (Some(c), Some(false), Some(true)) => octave.push(c),
                (Some(c), Some(false), _) => wrong.push(c),
                _ => {}
            }
            if let Some(e) = &f.error {
                r.failures.push((f.path.clone(), e.clone()));
            }
            if let (Some(a1), Some(a2)) = (f.acc1, f.acc2) {
                r.tempo.n += 1;
                r.tempo.acc1 += usize::from(a1);
                r.tempo.acc2 += usize::from(a2);
            }
            if let Some((hits, scored)) = f.curve {
                r.tempo_curve.n += scored;
                r.tempo_curve.correct += hits;
            }
            if let Some(bf) = f.beat_f {
                r.beat_f.n += 1;
                beat_sum += bf;
            }
            if let Some((_, est, rel)) = &f.key {
                r.key.n += 1;
                key_sum += rel.weight();
                r.key.missing += usize::from(est.is_none());
                if let Some(i) = RELATIONS.iter().position(|x| x == rel) {
                    if let Some(c) = r.key.counts.get_mut(i) {
                        *c += 1;
                    }
                }
            }
            if let Some(d) = f.lufs_abs_diff {
                lufs.push(d);
            }
            if let Some(d) = f.true_peak_abs_diff {
                peak.push(d);
            }
            match f.speech {
                Some((SpeechLabel::Mixed, said)) => {
                    r.speech_mixed.0 += 1;
                    r.speech_mixed.1 += usize::from(said);
                }
                Some((_, ok)) => count(&mut r.speech, ok),
                None => {}
            }
            if let Some(ok) = f.vocal_correct {
                count(&mut r.vocal, ok);
            }
        }
        let all_wrong: Vec<f64> = octave.iter().chain(&wrong).copied().collect();
        r.tempo_confidence = ConfidenceSeparation {
            right: right.len(),
            octave: octave.len(),
            wrong: wrong.len(),
            auc_vs_octave: roc_auc(&right, &octave),
            auc_vs_wrong: roc_auc(&right, &all_wrong),
        };
        r.beat_f.mean = mean_or_zero(beat_sum, r.beat_f.n);
        r.key.weighted = mean_or_zero(key_sum, r.key.n);
        r.loudness = diff(&lufs);
        r.true_peak = diff(&peak);
        r
    }

    /// A plain-text report for people.
    pub fn render_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "files       {} ({} failed)",
            self.files,
            self.failures.len()
        );
        let t = &self.tempo;
        let _ = writeln!(
            s,
            "tempo       ACC1 {}  ACC2 {}  (n={})",
            frac(t.acc1, t.n),
            frac(t.acc2, t.n),
            t.n
        );
        let c = &self.tempo_confidence;
        let auc = |a: Option<f64>| a.map_or("-".to_string(), |a| format!("{a:.2}"));
        let _ = writeln!(
            s,
            "tempo conf  ROC-AUC right vs octave-wrong {} (n={}/{}), vs any wrong {} (n={}/{})",
            auc(c.auc_vs_octave),
            c.right,
            c.octave,
            auc(c.auc_vs_wrong),
            c.right,
            c.octave + c.wrong
        );
        let Mean { n, mean } = self.beat_f;
        let _ = writeln!(s, "beats       F {}  (n={n}, ±70 ms)", opt3(n, mean));
        let Rate { n, correct } = self.tempo_curve;
        let _ = writeln!(
            s,
            "tempo curve {} of points within 4 % of the annotated local tempo (n={n} points)",
            frac(correct, n)
        );
        let KeyFigures {
            n,
            weighted,
            counts: [same, fifth, rel, par, other],
            missing,
        } = self.key;
        let _ = writeln!(
            s,
            "key         MIREX {}  (n={n}: same {same}, fifth {fifth}, relative {rel}, \
             parallel {par}, other {other} of which {missing} without estimate)",
            opt3(n, weighted)
        );
        let _ = writeln!(s, "loudness    |ΔI| {}", diff_text(&self.loudness, "LU"));
        let _ = writeln!(s, "true peak   |ΔTP| {}", diff_text(&self.true_peak, "dB"));
        let (mixed, said) = self.speech_mixed;
        let _ = writeln!(
            s,
            "speech      accuracy {}  (n={} yes/no; mixed: {said} of {mixed} called speech)",
            frac(self.speech.correct, self.speech.n),
            self.speech.n
        );
        let _ = writeln!(
            s,
            "vocal       accuracy {}  (n={})",
            frac(self.vocal.correct, self.vocal.n),
            self.vocal.n
        );
        s.push_str("            (loudness references are ffmpeg ebur128 values rounded to 0.1)\n");
        for (path, error) in &self.failures {
            let _ = writeln!(s, "failed      {path}: {error}");
        }
        s
    }
}

fn count(rate: &mut Rate, ok: bool) {
    rate.n += 1;
    rate.correct += usize::from(ok);
}

fn mean_or_zero(sum: f64, n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        sum / n as f64
    }
}

fn diff(values: &[Option<f64>]) -> Diff {
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    let n_present = present.len();
    Diff {
        n: values.len(),
        missing: values.len() - n_present,
        mean: (n_present > 0).then(|| present.iter().sum::<f64>() / n_present as f64),
        max: present.iter().copied().reduce(f64::max),
    }
}

fn frac(correct: usize, n: usize) -> String {
    if n == 0 {
        "-".to_string()
    } else {
        format!("{:.3}", correct as f64 / n as f64)
    }
}

fn opt3(n: usize, x: f64) -> String {
    if n == 0 {
        "-".to_string()
    } else {
        format!("{x:.3}")
    }
}

fn diff_text(d: &Diff, unit: &str) -> String {
    let num = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.2} {unit}"));
    format!(
        "mean {}  max {}  (n={} above -70 LUFS, {} without estimate)",
        num(d.mean),
        num(d.max),
        d.n,
        d.missing
    )
}
