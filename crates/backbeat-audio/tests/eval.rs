//! Integration tests: eval (labels parsing against hostile input, per-file scoring, report).

use backbeat_audio::eval::{
    evaluate_file, max_matching, parse_beats, parse_labels, EvalError, KeyRelation, Label,
    Prediction, Report, SpeechLabel, BEAT_WINDOW_SECS,
};
use backbeat_audio::key::Mode;
use proptest::prelude::*;

const HEADER: &str = "path,source,duration_s,bpm,beats,key,genre,mood,instruments,vocal,speech,\
lufs,true_peak_db,notes\n";

fn labels(text: &str) -> Result<Vec<Label>, EvalError> {
    parse_labels(text.as_bytes())
}

#[test]
fn dev_set_format_parses() {
    let text = format!(
        "{HEADER}a/x.flac,a,43.5,,,,,,,,mixed,-19.8,-0.9,\"music + \"\"elvish\"\", speech\"\n\
         g/s.mp3,g,30,74.0,g/s.beats,C# major,x,,piano;drums,no,no,,,\n\
         e/v.wav,e,3,,,,,,,vocal,no,-20.0,-3.1,\n\
         l/t.ogg,l,3,90,,Bbm,,,,instrumental,yes,-70.0,-78.1,\n"
    );
    let rows = labels(&text).unwrap_or_default();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].speech, Some(SpeechLabel::Mixed));
    assert_eq!(rows[0].lufs, Some(-19.8));
    assert_eq!(rows[1].bpm, Some(74.0));
    assert_eq!(rows[1].beats.as_deref(), Some("g/s.beats"));
    assert_eq!(
        rows[1].key.map(|k| (k.tonic_pc, k.mode)),
        Some((1, Mode::Major))
    );
    assert_eq!(rows[1].lufs, None);
    assert_eq!(rows[2].vocal, Some(true));
    assert_eq!(rows[3].vocal, Some(false));
    assert_eq!(
        rows[3].key.map(|k| (k.tonic_pc, k.mode)),
        Some((10, Mode::Minor))
    );
    assert_eq!(rows[3].line, 5);
}

#[test]
fn hostile_labels_files_give_clear_errors() {
    assert_eq!(labels(""), Err(EvalError::Empty));
    assert_eq!(labels(" \n\n"), Err(EvalError::Empty));
    assert_eq!(labels(HEADER), Err(EvalError::NoRows));
    assert_eq!(
        labels("source,bpm\nx,120\n"),
        Err(EvalError::MissingColumn("path"))
    );
    assert_eq!(
        labels("path,bpm,path\nx,1,y\n"),
        Err(EvalError::DuplicateColumn("path".into()))
    );
    assert_eq!(
        labels("path,bpm\n\"x.wav,120\n"),
        Err(EvalError::UnterminatedQuote { line: 2 })
    );
    assert_eq!(
        labels("path,bpm\nx.wav,120,extra\n"),
        Err(EvalError::FieldCount {
            line: 2,
            found: 3,
            expected: 2
        })
    );
    assert_eq!(
        parse_labels(b"path,bpm\nx\xff.wav,120\n"),
        Err(EvalError::NotUtf8 { offset: 10 })
    );
    let bad = |t: &str, col: &str| match labels(t) {
        Err(EvalError::BadValue { column, line, .. }) => column == col && line == 2,
        _ => false,
    };
    assert!(bad("path,bpm\nx,fast\n", "bpm"));
    assert!(bad("path,bpm\nx,NaN\n", "bpm"));
    assert!(bad("path,bpm\nx,-3\n", "bpm"));
    assert!(bad("path,key\nx,H minor\n", "key"));
    assert!(bad("path,vocal\nx,maybe\n", "vocal"));
    assert!(bad("path,speech\nx,sometimes\n", "speech"));
    assert!(bad("path,lufs\nx,inf\n", "lufs"));
    assert!(bad("path,bpm\n,120\n", "path"));
    // Errors read well.
    let msg = labels("path,bpm\n\"x.wav,120\n")
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        msg.as_deref(),
        Some("line 2: quoted field opened here is never closed")
    );
}

#[test]
fn bom_crlf_and_reordered_columns_are_accepted() {
    let rows = parse_labels("\u{feff}bpm,path\r\n120,a.wav\r\n".as_bytes()).unwrap_or_default();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].path.as_str(), rows[0].bpm), ("a.wav", Some(120.0)));
}

#[test]
fn beat_files() {
    let beats = parse_beats("0.217\t3\n0.695\t4\n\n# comment\n1.173 1\n0.1,2\n");
    assert_eq!(beats, Ok(vec![0.1, 0.217, 0.695, 1.173]));
    assert!(parse_beats("0.5\nabc\n").is_err_and(|e| e.starts_with("line 2")));
    assert!(parse_beats("-1\n").is_err());
    assert_eq!(parse_beats(""), Ok(vec![]));
}

fn label(path: &str) -> Label {
    Label {
        line: 2,
        path: path.into(),
        source: "set".into(),
        bpm: None,
        beats: None,
        key: None,
        vocal: None,
        speech: None,
        lufs: None,
        true_peak_db: None,
    }
}

#[test]
fn report_on_synthetic_values() {
    let key = |s| backbeat_audio::eval::parse_key(s);
    // File a: tempo doubled (ACC2 only), beats perfect, key a fifth off, loudness 0.3 off.
    let mut a = label("a");
    a.bpm = Some(100.0);
    a.key = key("A minor");
    a.lufs = Some(-14.0);
    a.true_peak_db = Some(-1.0);
    a.speech = Some(SpeechLabel::No);
    let pa = Prediction {
        bpm: Some(201.0),
        bpm_confidence: Some(0.4),
        beats: vec![1.0, 2.0],
        // Two annotated beats are one interval: too few to score a curve point on.
        tempo_curve: vec![(1.5, 60.0)],
        key: key("E minor"),
        lufs: Some(-14.3),
        true_peak_db: Some(-0.5),
        speech_probability: Some(0.2),
        vocal_probability: None,
    };
    // File b: right tempo, half the beats, relative key, speech said on a speech file.
    let mut b = label("b");
    b.bpm = Some(120.0);
    b.key = key("C major");
    b.lufs = Some(-70.0); // at the gate: excluded from loudness
    b.speech = Some(SpeechLabel::Yes);
    b.vocal = Some(false);
    let pb = Prediction {
        bpm: Some(121.0),
        bpm_confidence: Some(0.6),
        beats: vec![1.0],
        key: key("A minor"),
        speech_probability: Some(0.5),
        vocal_probability: Some(0.7),
        ..Prediction::default()
    };
    // File c: analysis failed; labelled tempo, key, loudness and mixed speech.
    let mut c = label("c");
    c.bpm = Some(90.0);
    c.key = key("D major");
    c.lufs = Some(-20.0);
    c.speech = Some(SpeechLabel::Mixed);
    let evals = vec![
        evaluate_file(&a, Some(&[1.0, 2.0]), Ok(&pa)),
        evaluate_file(&b, Some(&[1.0, 2.0]), Ok(&pb)),
        evaluate_file(&c, None, Err("corrupt")),
    ];
    assert_eq!(
        evals[1].key.as_ref().map(|k| k.2),
        Some(KeyRelation::Relative)
    );
    let r = Report::from_files(&evals);
    assert_eq!(r.files, 3);
    assert_eq!(r.failures, vec![("c".to_string(), "corrupt".to_string())]);
    assert_eq!((r.tempo.n, r.tempo.acc1, r.tempo.acc2), (3, 1, 2));
    // b (right, 0.6) is more confident than a (octave-wrong, 0.4); c has no estimate.
    let c = r.tempo_confidence;
    assert_eq!((c.right, c.octave, c.wrong), (1, 1, 0));
    assert_eq!((c.auc_vs_octave, c.auc_vs_wrong), (Some(1.0), Some(1.0)));
    // F: file a = 1, file b: P = 1, R = 1/2, F = 2/3; mean 5/6.
    assert_eq!(r.beat_f.n, 2);
    assert!((r.beat_f.mean - 5.0 / 6.0).abs() < 1e-12);
    assert_eq!((r.tempo_curve.n, r.tempo_curve.correct), (0, 0));
    // Key: 0.5 + 0.3 + 0 over 3.
    assert!((r.key.weighted - 0.8 / 3.0).abs() < 1e-12);
    assert_eq!((r.key.counts, r.key.missing), ([0, 1, 1, 0, 1], 1));
    // Loudness: a (0.3) and c (no estimate); b is at the gate.
    assert_eq!((r.loudness.n, r.loudness.missing), (2, 1));
    assert!(r.loudness.mean.is_some_and(|m| (m - 0.3).abs() < 1e-9));
    assert!(r.true_peak.max.is_some_and(|m| (m - 0.5).abs() < 1e-9));
    assert_eq!((r.speech.n, r.speech.correct), (2, 2));
    assert_eq!(r.speech_mixed, (1, 0));
    assert_eq!((r.vocal.n, r.vocal.correct), (1, 0));
    let text = r.render_text();
    assert!(text.contains("ACC1 0.333  ACC2 0.667  (n=3)"), "{text}");
    assert!(
        text.contains("ROC-AUC right vs octave-wrong 1.00 (n=1/1)"),
        "{text}"
    );
    assert!(text.contains("failed      c: corrupt"), "{text}");
    assert!(
        text.contains("|ΔI| mean 0.30 LU  max 0.30 LU  (n=2"),
        "{text}"
    );
}

#[test]
fn empty_report_renders_dashes() {
    let text = Report::from_files(&[]).render_text();
    assert!(text.contains("ACC1 -  ACC2 -  (n=0)"), "{text}");
    assert!(text.contains("mean -  max -"), "{text}");
}

/// Exhaustive maximum matching for tiny inputs: the oracle for Hopcroft–Karp.
fn brute_force(reference: &[f64], estimate: &[f64], used: u32) -> usize {
    let Some((r, rest)) = reference.split_first() else {
        return 0;
    };
    let mut best = brute_force(rest, estimate, used);
    for (j, e) in estimate.iter().enumerate() {
        let free = used & (1 << j) == 0;
        if free && *e >= r - BEAT_WINDOW_SECS && *e <= r + BEAT_WINDOW_SECS {
            best = best.max(1 + brute_force(rest, estimate, used | (1 << j)));
        }
    }
    best
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

proptest! {
    #[test]
    fn matching_is_maximum(
        r in prop::collection::vec(0.0f64..0.5, 0..7),
        e in prop::collection::vec(0.0f64..0.5, 0..7),
    ) {
        let (r, e) = (sorted(r), sorted(e));
        prop_assert_eq!(max_matching(&r, &e, BEAT_WINDOW_SECS), brute_force(&r, &e, 0));
    }

    #[test]
    fn labels_parser_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_labels(&bytes);
    }

    #[test]
    fn labels_parser_never_panics_on_csv_like_text(
        s in "[a-z\",\r\n ]{0,80}",
    ) {
        let _ = parse_labels(format!("path,bpm,key\n{s}").as_bytes());
    }
}

#[test]
fn roc_auc_counts_ties_half_and_needs_both_classes() {
    use backbeat_audio::eval::report::roc_auc;
    assert_eq!(roc_auc(&[0.9, 0.8], &[0.1, 0.8]), Some(0.875));
    assert_eq!(roc_auc(&[0.1], &[0.9]), Some(0.0));
    assert_eq!(roc_auc(&[], &[0.5]), None);
    assert_eq!(roc_auc(&[0.5], &[]), None);
}
