//! The built-in jobs and the default graph:
//!
//! ```text
//! upload ─► probe (probe.json)
//! upload ─► downsample (audio.wav: mono 22,050 Hz 32-bit float; source.json: file facts,
//!           │            loudness at the source rate, decoding warnings)
//!           ├─► analyze (analysis.json: every descriptor) ─┬─► summary (catalog database)
//!           └─► tag (tags.json: musicnn tags, embedding) ──┘
//! ```
//!
//! `downsample` decodes the upload once; `analyze` and `tag` read its mono signal from the
//! chain's [`Memo`](backbeat_pipeline::Memo) when the same worker just computed it (decode
//! once), else stream `audio.wav`.
//! The signal is stored as 32-bit float WAV: exactly the samples the analysers saw, so
//! re-analysing it later (a new `analyze` version) gives what analysing the upload would.
//!
//! One module per job; the engine (`backbeat-pipeline`) knows none of them, only the
//! [`Registry`] they are registered in.

mod analyze;
mod downsample;
mod probe;
mod signal;
mod summary;
mod support;
mod tag;
mod wav;

use std::path::Path;
use std::time::Duration;

use backbeat_pipeline::{Graph, GraphError, JobClass, JobSpec, Registry};

pub use downsample::MEMO_MAX_SAMPLES;

/// The built-in jobs' declarations.
pub fn builtin_specs() -> Vec<JobSpec> {
    vec![
        JobSpec::builtin("probe", 1, &["upload"], &["probe.json"]).timeout(Duration::from_secs(60)),
        JobSpec::builtin("downsample", 1, &["upload"], &["audio.wav", "source.json"]),
        JobSpec::builtin(
            "analyze",
            1,
            &["downsample.audio.wav", "downsample.source.json"],
            &["analysis.json"],
        ),
        JobSpec::builtin(
            "tag",
            1,
            &["downsample.audio.wav", "downsample.source.json"],
            &["tags.json"],
        ),
        // v2: also stores the tagger's results.
        JobSpec::builtin(
            "summary",
            2,
            &["analyze.analysis.json", "tag.tags.json"],
            &[],
        )
        .class(JobClass::Io)
        .timeout(Duration::from_secs(60)),
    ]
}

/// The default graph: the built-in jobs plus `extra` (external jobs from a file).
pub fn default_graph(extra: Vec<JobSpec>) -> Result<Graph, GraphError> {
    let mut jobs = builtin_specs();
    jobs.extend(extra);
    Graph::new(jobs)
}

/// Registers the built-in jobs' code in `registry`, the tagger's models taken from
/// `models_dir`; a job that cannot work here (`tag` without its models) is marked
/// unavailable with the reason.
pub fn register_builtin_jobs(registry: &mut Registry, models_dir: &Path) {
    registry
        .register("probe", probe::Probe)
        .register("downsample", downsample::Downsample)
        .register("analyze", analyze::Analyze)
        .register(
            "tag",
            tag::Tag {
                models_dir: models_dir.to_path_buf(),
            },
        )
        .register("summary", summary::Summary);
    if let Some(why) = tag::models_missing(models_dir) {
        registry.mark_unavailable("tag", why);
    }
}

/// A registry holding the built-in jobs' code, with the tagger's models in
/// [`backbeat_tagger::default_models_dir`].
pub fn builtin_registry() -> Registry {
    builtin_registry_with_models(&backbeat_tagger::default_models_dir())
}

/// A registry holding the built-in jobs' code, with the tagger's models in `models_dir`.
pub fn builtin_registry_with_models(models_dir: &Path) -> Registry {
    let mut r = Registry::new();
    register_builtin_jobs(&mut r, models_dir);
    r
}
