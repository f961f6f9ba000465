//! Where the blobs live, as configured: `blobs = "file:///srv/backbeat/blobs"` or
//! `blobs = "s3://bucket/prefix"` in the `[storage]` section. Parsing is here so every command
//! reads the setting the same way; opening is the binary's wiring (one place).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// A blob store's location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobLocation {
    /// A folder on this machine.
    Local(PathBuf),
    /// A bucket (and key prefix) of an S3-compatible object store.
    S3 { bucket: String, prefix: String },
}

/// Why a blob location could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("blob location `{text}`: {reason} (expected `file:///absolute/folder` or `s3://bucket[/prefix]`)")]
pub struct BadBlobLocation {
    text: String,
    reason: &'static str,
}

impl FromStr for BlobLocation {
    type Err = BadBlobLocation;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |reason| BadBlobLocation {
            text: text.to_string(),
            reason,
        };
        if let Some(path) = text.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(bad("a file location must be an absolute path"));
            }
            return Ok(BlobLocation::Local(PathBuf::from(path)));
        }
        if let Some(rest) = text.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            let valid_bucket = (3..=63).contains(&bucket.len())
                && bucket.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
                });
            if !valid_bucket {
                return Err(bad(
                    "the bucket name must be 3-63 lowercase letters, digits, `-`, `.`",
                ));
            }
            return Ok(BlobLocation::S3 {
                bucket: bucket.to_string(),
                prefix: prefix.trim_end_matches('/').to_string(),
            });
        }
        Err(bad("unknown scheme"))
    }
}

impl fmt::Display for BlobLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlobLocation::Local(path) => write!(f, "file://{}", path.display()),
            BlobLocation::S3 { bucket, prefix } if prefix.is_empty() => write!(f, "s3://{bucket}"),
            BlobLocation::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}
