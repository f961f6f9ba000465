//! `probe`: validates the container and codec and records the stream's facts (headers only;
//! `downsample` decodes everything).

use async_trait::async_trait;
use backbeat_audio::decode::{DecodeLimits, DecodedStream};
use backbeat_pipeline::{Job, JobContext, JobError};

use crate::support::{audio_err, blocking, write_json};

/// The `probe` job.
pub(crate) struct Probe;

#[async_trait]
impl Job for Probe {
    async fn run(&self, ctx: JobContext) -> Result<(), JobError> {
        let input = ctx.input("upload")?.clone();
        let out = ctx.output("probe.json")?.clone();
        blocking(move || {
            let stream = DecodedStream::open(&input, DecodeLimits::default()).map_err(audio_err)?;
            write_json(&out, stream.info())
        })
        .await
    }
}
