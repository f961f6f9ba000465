//! Request bodies that stall. A body that goes `body_idle_timeout_s` without a byte while the
//! server waits for one, or that is still arriving `max_upload_duration_s` after the request
//! came in, fails to read; the request is then answered `408` (and the connection closed),
//! whatever the handler made of the failed read. A failed read is what makes the upload
//! discard its staging (the blob store throws a staged put away on a body error), so nothing
//! of a stalled upload is left behind.
//!
//! hyper has a timeout for request heads only (see `serve.rs`); bodies are timed here, by
//! wrapping them, so the clock runs only while a handler is actually reading.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};
use tokio::time::{Instant, Sleep};

use crate::error::ApiError;
use crate::state::AppState;

/// Why a body was cut off; stored in an `AtomicU8` shared with the middleware.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Cut {
    None = 0,
    Idle = 1,
    TooLong = 2,
}

/// The error a timed-out body read returns (the handler only sees it as a failed read).
#[derive(Debug, thiserror::Error)]
#[error("request body timed out")]
pub struct BodyTimedOut;

/// The middleware: times the body of every request that has one and turns a timed-out read
/// into `408`.
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Requests without a body (most of them) pay nothing.
    if req.body().is_end_stream() {
        return next.run(req).await;
    }
    let limits = state.http.client_limits;
    let cut = Arc::new(AtomicU8::new(Cut::None as u8));
    let req = req.map(|inner| {
        Body::new(TimedBody {
            inner,
            idle: Duration::from_secs(limits.body_idle_timeout_s),
            deadline: Instant::now() + Duration::from_secs(limits.max_upload_duration_s),
            idle_timer: None,
            idle_armed: false,
            deadline_timer: None,
            cut: cut.clone(),
        })
    });
    let res = next.run(req).await;
    match cut.load(Ordering::Acquire) {
        x if x == Cut::Idle as u8 => ApiError::RequestTimeout(format!(
            "no byte of the body arrived for {} s",
            limits.body_idle_timeout_s
        ))
        .into_response(),
        x if x == Cut::TooLong as u8 => ApiError::RequestTimeout(format!(
            "the body took longer than {} s to arrive",
            limits.max_upload_duration_s
        ))
        .into_response(),
        _ => res,
    }
}

/// A request body with an idle clock and a deadline.
struct TimedBody {
    inner: Body,
    idle: Duration,
    deadline: Instant,
    /// Made on the first wait (no allocation for bodies that are already there).
    idle_timer: Option<Pin<Box<Sleep>>>,
    /// Whether `idle_timer` counts the current wait (rather than an earlier one).
    idle_armed: bool,
    deadline_timer: Option<Pin<Box<Sleep>>>,
    cut: Arc<AtomicU8>,
}

impl TimedBody {
    /// Polls both clocks for the current wait; the limit that ran out, if any.
    fn expired(&mut self, cx: &mut Context<'_>) -> Option<Cut> {
        let idle = self.idle;
        let timer = self
            .idle_timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
        if !self.idle_armed {
            timer.as_mut().reset(Instant::now() + idle);
            self.idle_armed = true;
        }
        if timer.as_mut().poll(cx).is_ready() {
            return Some(Cut::Idle);
        }
        let deadline = self.deadline;
        let timer = self
            .deadline_timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        timer.as_mut().poll(cx).is_ready().then_some(Cut::TooLong)
    }

    fn is_cut(&self) -> bool {
        self.cut.load(Ordering::Acquire) != Cut::None as u8
    }
}

impl HttpBody for TimedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if this.is_cut() {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                // A byte arrived: the next wait starts a new idle period.
                this.idle_armed = false;
                Poll::Ready(frame)
            }
            Poll::Pending => match this.expired(cx) {
                None => Poll::Pending,
                Some(cut) => {
                    this.cut.store(cut as u8, Ordering::Release);
                    Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut))))
                }
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.is_cut() || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
