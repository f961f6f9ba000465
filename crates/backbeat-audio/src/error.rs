//! The one error type of the crate: every way a file can fail, with a reason a person can act on.

use std::io;

/// Why a file could not be decoded or analysed.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The file could not be opened or read.
    #[error("cannot read file: {0}")]
    Io(#[from] io::Error),
    /// The file has no bytes at all.
    #[error("empty file (0 bytes)")]
    EmptyFile,
    /// The bytes are not a container/codec we recognise as audio.
    #[error("not a recognised audio file: {0}")]
    Unrecognised(String),
    /// The container was recognised but holds no decodable audio track.
    #[error("no decodable audio track: {0}")]
    NoAudioTrack(String),
    /// A codec we know of but cannot decode.
    #[error("unsupported codec: {0}")]
    UnsupportedCodec(String),
    /// The stream is damaged beyond what skipping corrupt frames can handle.
    #[error("corrupt audio stream: {0}")]
    Corrupt(String),
    /// The file decoded to no samples at all.
    #[error("zero-length audio: the file decodes to no samples")]
    ZeroLength,
    /// The file exceeds a configured limit (size, duration, channels, sample rate).
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
    /// A bug surfaced as an error rather than a panic (for example a library rejecting buffers
    /// sized as it asked); the file is not at fault.
    #[error("internal error: {0}")]
    Internal(String),
    /// A decoder or analyser panicked on this file; the panic was contained.
    #[error("internal failure while analysing this file (contained panic: {0})")]
    Panic(String),
}

impl AudioError {
    /// The error for a panic contained with `catch_unwind`, carrying the panic's message.
    pub(crate) fn from_panic(payload: &(dyn std::any::Any + Send)) -> Self {
        let message = if let Some(s) = payload.downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "unknown panic".to_string()
        };
        AudioError::Panic(message)
    }

    /// A short stable identifier for the error kind, for machine-readable error records.
    pub fn kind(&self) -> &'static str {
        match self {
            AudioError::Io(_) => "io",
            AudioError::EmptyFile => "empty_file",
            AudioError::Unrecognised(_) => "unrecognised_format",
            AudioError::NoAudioTrack(_) => "no_audio_track",
            AudioError::UnsupportedCodec(_) => "unsupported_codec",
            AudioError::Corrupt(_) => "corrupt",
            AudioError::ZeroLength => "zero_length",
            AudioError::LimitExceeded(_) => "limit_exceeded",
            AudioError::Internal(_) => "internal",
            AudioError::Panic(_) => "panic",
        }
    }
}
