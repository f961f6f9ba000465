//! What can go wrong turning a source into a ladder.

use std::io;

/// An error of this crate.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// ffmpeg refused the source or failed on it: the same input fails again (a corrupt or
    /// unsupported file). Carries ffmpeg's own last lines.
    #[error("ffmpeg could not transcode the source: {0}")]
    BadSource(String),
    /// ffmpeg could not run or was killed (not installed, out of memory, a signal): another
    /// attempt may succeed.
    #[error("ffmpeg did not finish: {0}")]
    Ffmpeg(String),
    /// The files ffmpeg wrote are not what a ladder needs (a missing init segment, a segment
    /// that does not parse).
    #[error("the encoder's output is unusable: {0}")]
    Output(String),
    /// Reading or writing local files.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
}

impl MediaError {
    /// An I/O error with what was being done.
    pub fn io(context: impl Into<String>) -> impl FnOnce(io::Error) -> Self {
        let context = context.into();
        move |source| MediaError::Io { context, source }
    }

    /// Whether the same input fails again, whatever is retried.
    pub fn is_permanent(&self) -> bool {
        matches!(self, MediaError::BadSource(_))
    }
}
