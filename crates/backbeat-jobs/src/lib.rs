//! The built-in jobs and the default graph:
//!
//! ```text
//! upload ─► probe (probe.json)
//! upload ─► downsample (audio.wav: mono 22,050 Hz 32-bit float; source.json: file facts,
//!           │            loudness at the source rate, decoding warnings)
//!           ├─► analyze (analysis.json: every descriptor) ─┬─► summary (catalog database)
//!           ├─► tag (tags.json: musicnn tags, embedding) ──┘
//!           └─► peaks (peaks.dat: the waveform, BBC audiowaveform format)
//! upload ─┬─► transcode (stream.json, ladder/: HLS + DASH over CMAF, AAC and Opus rungs,
//!         │              loudness gain; one ffmpeg process)
//! downsample.source.json ┘
//! ```
//!
//! `downsample` decodes the upload once; `analyze`, `tag` and `peaks` read its mono signal from the
//! chain's [`Memo`](backbeat_pipeline::Memo) when the same worker just computed it (decode
//! once), else stream `audio.wav`.
//! The signal is stored as 32-bit float WAV: exactly the samples the analysers saw, so
//! re-analysing it later (a new `analyze` version) gives what analysing the upload would.
//!
//! One module per job; the engine (`backbeat-pipeline`) knows none of them, only the
//! [`Registry`] they are registered in.

mod analyze;
mod downsample;
mod peaks;
mod probe;
mod redecode;
mod signal;
mod summary;
mod support;
mod tag;
mod transcode;
mod wav;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use backbeat_pipeline::{Graph, GraphError, JobClass, JobSpec, Registry};

pub use downsample::MEMO_MAX_SAMPLES;
pub use transcode::MediaSettings;

/// How long a replaced streaming ladder stays readable by default: a day, the default life of
/// a stream URL (the wiring passes the configured one to [`builtin_specs_with`]).
pub const DEFAULT_KEEP_REPLACED: Duration = Duration::from_secs(24 * 3600);

/// The built-in jobs' declarations.
pub fn builtin_specs() -> Vec<JobSpec> {
    builtin_specs_with(DEFAULT_KEEP_REPLACED)
}

/// The built-in jobs' declarations, a replaced streaming ladder kept readable for
/// `keep_replaced` (the longest a stream URL handed out before the switch may be used).
pub fn builtin_specs_with(keep_replaced: Duration) -> Vec<JobSpec> {
    vec![
        JobSpec::builtin("probe", 1, &["upload"], &["probe.json"]).timeout(Duration::from_secs(60)),
        JobSpec::builtin("downsample", 1, &["upload"], &["audio.wav", "source.json"]),
        // v2: the tempo curve, and beats tracked along it where the tempo moves.
        // v3: the key from corpus-fitted profiles and the bass.
        JobSpec::builtin(
            "analyze",
            3,
            &["downsample.audio.wav", "downsample.source.json"],
            &["analysis.json"],
        ),
        JobSpec::builtin(
            "tag",
            1,
            &["downsample.audio.wav", "downsample.source.json"],
            &["tags.json"],
        ),
        JobSpec::builtin("peaks", 1, &["downsample.audio.wav"], &["peaks.dat"]),
        // v2: also stores the tagger's results.
        JobSpec::builtin(
            "summary",
            2,
            &["analyze.analysis.json", "tag.tags.json"],
            &[],
        )
        .class(JobClass::Io)
        .timeout(Duration::from_secs(60)),
        JobSpec::builtin(
            "transcode",
            1,
            &["upload", "downsample.source.json"],
            &["stream.json", "ladder/"],
        )
        .timeout(transcode::FFMPEG_LIMIT + Duration::from_secs(5 * 60))
        .keep_replaced(keep_replaced),
    ]
}

/// The default graph: the built-in jobs plus `extra` (external jobs from a file).
pub fn default_graph(extra: Vec<JobSpec>) -> Result<Graph, GraphError> {
    graph_with(builtin_specs(), extra)
}

/// A graph of `builtin` (from [`builtin_specs_with`]) plus `extra`.
pub fn graph_with(builtin: Vec<JobSpec>, extra: Vec<JobSpec>) -> Result<Graph, GraphError> {
    let mut jobs = builtin;
    jobs.extend(extra);
    Graph::new(jobs)
}

/// What the built-in jobs need from the deployment.
#[derive(Debug, Clone)]
pub struct BuiltinSettings {
    /// Where the tagger's models are.
    pub models_dir: PathBuf,
    /// The streaming ladder and the ffmpeg that makes it.
    pub media: MediaSettings,
}

impl Default for BuiltinSettings {
    fn default() -> Self {
        Self {
            models_dir: backbeat_tagger::default_models_dir(),
            media: MediaSettings::default(),
        }
    }
}

/// Registers the built-in jobs' code in `registry`; a job that cannot work here (`tag` without
/// its models, `transcode` without ffmpeg) is marked unavailable with the reason.
pub fn register_builtin_jobs(registry: &mut Registry, settings: &BuiltinSettings) {
    let models_dir = settings.models_dir.as_path();
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
        .register("peaks", peaks::PeaksJob)
        .register("summary", summary::Summary)
        .register(
            "transcode",
            transcode::Transcode {
                settings: Arc::new(settings.media.clone()),
            },
        );
    if let Some(why) = tag::models_missing(models_dir) {
        registry.mark_unavailable("tag", why);
    }
    if let Some(why) = transcode::ffmpeg_missing(&settings.media) {
        registry.mark_unavailable("transcode", why);
    }
}

/// A registry holding the built-in jobs' code with the default settings.
pub fn builtin_registry() -> Registry {
    builtin_registry_with(&BuiltinSettings::default())
}

/// A registry holding the built-in jobs' code, with the tagger's models in `models_dir`.
pub fn builtin_registry_with_models(models_dir: &Path) -> Registry {
    builtin_registry_with(&BuiltinSettings {
        models_dir: models_dir.to_path_buf(),
        ..BuiltinSettings::default()
    })
}

/// A registry holding the built-in jobs' code with `settings`.
pub fn builtin_registry_with(settings: &BuiltinSettings) -> Registry {
    let mut r = Registry::new();
    register_builtin_jobs(&mut r, settings);
    r
}
