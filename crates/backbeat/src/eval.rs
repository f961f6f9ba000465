//! `backbeat eval LABELS.csv`: analyse every labelled file and score it with the standard MIR
//! metrics (the metrics themselves live in `backbeat_audio::eval`), over the whole set and per
//! source, plain and leave-one-source-out (`eval_loso.rs`). `backbeat eval --project ID`
//! scores against an annotation project's accepted labels instead (`eval_project.rs`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use backbeat_audio::content::SegmentFeatures;
use backbeat_audio::eval::{
    evaluate_file, parse_beats, parse_labels, FileEval, Label, Prediction, Report,
};
use backbeat_audio::key::Folded;
use backbeat_audio::{analyze_file_with_features, AnalyzeOptions, DecisionFeatures};
use clap::Args;
use rayon::prelude::*;
use serde::Serialize;

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Labels CSV (format of the dev set's labels.csv; paths relative to its folder).
    #[arg(required_unless_present = "project", conflicts_with = "project")]
    labels: Option<PathBuf>,
    /// Instead of a labels CSV: score the stored analysis and tags (through the project's
    /// built-in model annotators) against the labels people accepted in this annotation
    /// project, on the configured database.
    #[arg(long)]
    project: Option<backbeat_store::Id>,
    #[command(flatten)]
    config: crate::config::ServeArgs,
    /// Parallel files (default: all cores).
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
    /// Write one JSON record per file (labels, estimates, scores) to FILE.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// One line of `--out`: everything needed to see why a file scored as it did.
#[derive(Serialize)]
struct FileRecord<'a> {
    label: &'a Label,
    prediction: Option<&'a Prediction>,
    /// The tuning-corrected pitch-class profile the key was decided from, so key profiles can
    /// be fitted and compared offline (`bench/key_profiles.py`).
    pitch_classes: Option<&'a Folded>,
    /// The ≈1 s segments' content features, so the speech and vocal models can be fitted
    /// offline (`bench/vocal_model.py`).
    content_segments: Option<&'a [SegmentFeatures]>,
    eval: &'a FileEval,
}

/// The `--json` output.
#[derive(Serialize)]
struct JsonReport<'a> {
    labels: String,
    wall_secs: f64,
    report: &'a Report,
    leave_one_source_out: &'a crate::eval_loso::LosoReport,
}

pub fn run(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let path = match (&args.labels, args.project) {
        (_, Some(project)) => return crate::eval_project::run(project, args.json, &args.config),
        (Some(path), None) => path.clone(),
        (None, None) => anyhow::bail!("give a labels CSV or --project"),
    };
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let labels =
        parse_labels(&bytes).with_context(|| format!("invalid labels file {}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    // Reference beats are read up front: a broken annotation makes the whole evaluation wrong.
    let beats = labels
        .iter()
        .map(|l| {
            l.beats
                .as_ref()
                .map(|b| load_beats(&base.join(b)))
                .transpose()
        })
        .collect::<anyhow::Result<Vec<_>>>()?;

    let (pool, jobs) = crate::pool::worker_pool(args.jobs)?;
    let opts = AnalyzeOptions::default();
    let started = Instant::now();
    type Scored = (Option<Prediction>, Option<DecisionFeatures>, FileEval);
    let results: Vec<Scored> = pool.install(|| {
        labels
            .par_iter()
            .zip(beats.par_iter())
            .map(|(label, reference)| {
                let result = analyze_file_with_features(&base.join(&label.path), &opts);
                let prediction = result
                    .as_ref()
                    .ok()
                    .map(|(a, _)| Prediction::from_analysis(a));
                let error = result.as_ref().err().map(|e| e.to_string());
                let outcome = match (&prediction, &error) {
                    (Some(p), _) => Ok(p),
                    (None, e) => Err(e.as_deref().unwrap_or("unknown error")),
                };
                let eval = evaluate_file(label, reference.as_deref(), outcome);
                let features = result.ok().map(|(_, f)| f);
                (prediction, features, eval)
            })
            .collect()
    });
    let wall_secs = started.elapsed().as_secs_f64();

    if let Some(out) = &args.out {
        write_records(out, &labels, &results)?;
    }
    let evaluated: Vec<crate::eval_loso::Evaluated> = labels
        .iter()
        .zip(&beats)
        .zip(&results)
        .map(
            |((label, reference), (prediction, features, eval))| crate::eval_loso::Evaluated {
                label,
                reference_beats: reference.as_deref(),
                prediction: prediction.as_ref(),
                features: features.as_ref(),
                eval,
            },
        )
        .collect();
    let loso = crate::eval_loso::evaluate(&evaluated);
    let evals: Vec<FileEval> = results.iter().map(|(_, _, e)| e.clone()).collect();
    let report = Report::from_files(&evals);
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let json = JsonReport {
            labels: path.display().to_string(),
            wall_secs,
            report: &report,
            leave_one_source_out: &loso,
        };
        writeln!(stdout, "{}", serde_json::to_string_pretty(&json)?)?;
    } else {
        writeln!(stdout, "backbeat eval {}", path.display())?;
        write!(stdout, "{}", report.render_text())?;
        write!(stdout, "{}", crate::eval_loso::render_text(&loso))?;
        writeln!(
            stdout,
            "wall time   {wall_secs:.1} s ({} jobs)",
            jobs.max(1)
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn load_beats(path: &Path) -> anyhow::Result<Vec<f64>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read beat annotations {}", path.display()))?;
    parse_beats(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

fn write_records(
    out: &Path,
    labels: &[Label],
    results: &[(Option<Prediction>, Option<DecisionFeatures>, FileEval)],
) -> anyhow::Result<()> {
    let file =
        std::fs::File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut w = std::io::BufWriter::new(file);
    for (label, (prediction, features, eval)) in labels.iter().zip(results) {
        let record = FileRecord {
            label,
            prediction: prediction.as_ref(),
            pitch_classes: features.as_ref().and_then(|f| f.pitch_classes.as_ref()),
            content_segments: features.as_ref().map(|f| f.content_segments.as_slice()),
            eval,
        };
        writeln!(w, "{}", serde_json::to_string(&record)?)?;
    }
    w.flush()?;
    Ok(())
}
