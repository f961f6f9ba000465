//! What a request gets: the content type, the length when the file is complete, and a body
//! that reads the file by offset — up to the published length of a transcode in flight,
//! waiting for more until ffmpeg is done, or a range of a complete cache file.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};
use tokio::sync::watch;

use super::flight::{Phase, Progress, ReaderGuard};
use super::OnDemandError;
use super::UserGuard;

/// Read size per body chunk.
const CHUNK: u64 = 64 * 1024;

/// A response body: the transcode's bytes, in order.
pub type Body = BoxStream<'static, io::Result<Bytes>>;

/// A transcode ready to be streamed to one client. Holding it counts as one of the user's
/// open streams and, while the transcode runs, as one of its readers: dropping it (or its
/// body) on a client disconnect is what lets the engine stop ffmpeg.
#[derive(Debug)]
pub struct Transcode {
    /// The HTTP content type.
    pub content_type: &'static str,
    /// The full length, known when the output was already complete (a cache hit): the
    /// server can answer with `Content-Length` and serve `Range` requests.
    pub total_len: Option<u64>,
    pub(crate) source: Source,
    pub(crate) user: UserGuard,
}

#[derive(Debug)]
pub(crate) enum Source {
    Complete(Arc<File>),
    Growing(ReaderGuard),
}

impl Transcode {
    /// The whole output, following it while it is written.
    pub fn into_body(self) -> Body {
        let end = self.total_len;
        let (file, progress, guard) = match self.source {
            Source::Complete(f) => (f, None, None),
            Source::Growing(g) => {
                let flight = g.flight();
                (
                    Arc::clone(&flight.file),
                    Some(flight.progress.subscribe()),
                    Some(g),
                )
            }
        };
        reader(Reader {
            file,
            pos: 0,
            end,
            progress,
            _holds: (guard, self.user),
        })
    }

    /// Bytes `range` of a complete output (a cache hit). A request for a range of a
    /// transcode in flight, or past the end, is a `BadRequest`.
    pub fn range(self, range: Range<u64>) -> Result<Body, OnDemandError> {
        let (Source::Complete(file), Some(len)) = (&self.source, self.total_len) else {
            return Err(OnDemandError::BadRequest(
                "ranges are served only from complete transcodes".into(),
            ));
        };
        if range.start > range.end || range.end > len {
            return Err(OnDemandError::BadRequest(format!(
                "range {}..{} is outside 0..{len}",
                range.start, range.end
            )));
        }
        Ok(reader(Reader {
            file: Arc::clone(file),
            pos: range.start,
            end: Some(range.end),
            progress: None,
            _holds: (None, self.user),
        }))
    }
}

struct Reader {
    file: Arc<File>,
    pos: u64,
    /// Where to stop, when known up front.
    end: Option<u64>,
    /// The flight's progress, for a growing file.
    progress: Option<watch::Receiver<Progress>>,
    /// Released when the body is dropped or ends.
    _holds: (Option<ReaderGuard>, UserGuard),
}

fn reader(r: Reader) -> Body {
    stream::unfold(Some(r), |r| async move {
        let mut r = r?;
        match next(&mut r).await {
            Ok(Some(b)) => Some((Ok(b), Some(r))),
            Ok(None) => None,
            // An error ends the body; the reader's holds go with it.
            Err(e) => Some((Err(e), None)),
        }
    })
    .boxed()
}

/// The next chunk, `None` at the end.
async fn next(r: &mut Reader) -> io::Result<Option<Bytes>> {
    let limit = loop {
        let Some(progress) = r.progress.as_mut() else {
            break r.end.unwrap_or(0);
        };
        let p = progress.borrow_and_update().clone();
        if let Phase::Failed(f) = &p.phase {
            return Err(f.to_io());
        }
        if r.pos < p.written || p.phase == Phase::Done {
            break p.written;
        }
        if progress.changed().await.is_err() {
            return Err(io::Error::other("transcode vanished"));
        }
    };
    if r.pos >= limit {
        return Ok(None);
    }
    let want = (limit - r.pos).min(CHUNK) as usize;
    let file = Arc::clone(&r.file);
    let at = r.pos;
    let buf = tokio::task::spawn_blocking(move || -> io::Result<Vec<u8>> {
        let mut buf = vec![0u8; want];
        file.read_exact_at(&mut buf, at)?;
        Ok(buf)
    })
    .await
    .map_err(io::Error::other)??;
    r.pos += buf.len() as u64;
    Ok(Some(Bytes::from(buf)))
}
