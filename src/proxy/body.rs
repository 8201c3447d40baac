//! The body types the proxy streams: one boxed response body, a body fed by a channel (the
//! event stream), a buffered prefix followed by the rest of an upstream body, and a request
//! body that stays retryable until the upstream first reads it. None of them buffers a body.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use tokio::sync::mpsc;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Every response the proxy sends.
pub type ProxyBody = UnsyncBoxBody<Bytes, BoxError>;

pub fn full(bytes: impl Into<Bytes>) -> ProxyBody {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

pub fn empty() -> ProxyBody {
    Empty::new().map_err(|never| match never {}).boxed_unsync()
}

/// An upstream body, passed on frame by frame.
pub fn streamed(body: Incoming) -> ProxyBody {
    body.map_err(BoxError::from).boxed_unsync()
}

/// A body whose frames a task sends; it ends when the sender is dropped.
pub fn channel_body(capacity: usize) -> (mpsc::Sender<Frame<Bytes>>, ChannelBody) {
    let (tx, rx) = mpsc::channel(capacity);
    (tx, ChannelBody { rx })
}

pub struct ChannelBody {
    rx: mpsc::Receiver<Frame<Bytes>>,
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.rx.poll_recv(cx).map(|frame| frame.map(Ok))
    }
}

/// What was read of an upstream body while deciding whether to inject, then the rest of it.
pub fn prefixed(prefix: Bytes, rest: Incoming) -> ProxyBody {
    Prefixed {
        prefix: (!prefix.is_empty()).then_some(prefix),
        rest,
    }
    .boxed_unsync()
}

struct Prefixed {
    prefix: Option<Bytes>,
    rest: Incoming,
}

impl Body for Prefixed {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if let Some(prefix) = self.prefix.take() {
            return Poll::Ready(Some(Ok(Frame::data(prefix))));
        }
        Pin::new(&mut self.rest)
            .poll_frame(cx)
            .map(|f| f.map(|r| r.map_err(BoxError::from)))
    }

    fn is_end_stream(&self) -> bool {
        self.prefix.is_none() && self.rest.is_end_stream()
    }
}

/// A client's request body, handed to the upstream only when the upstream first reads it. A
/// request that failed before that (a refused connect, a stale pooled connection) can be sent
/// again with its body intact: [`RetryableBody::again`].
pub struct RetryableBody {
    slot: Arc<Mutex<Option<Incoming>>>,
    taken: Option<Incoming>,
    hint: SizeHint,
    end: bool,
}

impl RetryableBody {
    pub fn new(body: Incoming) -> RetryableBody {
        RetryableBody {
            hint: body.size_hint(),
            end: body.is_end_stream(),
            slot: Arc::new(Mutex::new(Some(body))),
            taken: None,
        }
    }

    /// The same body for another attempt, if no attempt has read from it yet.
    pub fn again(&self) -> Option<RetryableBody> {
        let untouched = self.end || self.slot.lock().map(|s| s.is_some()).unwrap_or(false);
        untouched.then(|| RetryableBody {
            slot: Arc::clone(&self.slot),
            taken: None,
            hint: self.hint,
            end: self.end,
        })
    }
}

impl Body for RetryableBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if self.end {
            return Poll::Ready(None);
        }
        if self.taken.is_none() {
            let taken = self.slot.lock().ok().and_then(|mut s| s.take());
            match taken {
                Some(body) => self.taken = Some(body),
                None => {
                    return Poll::Ready(Some(Err("the request body was already sent".into())));
                }
            }
        }
        match self.taken.as_mut() {
            Some(body) => Pin::new(body)
                .poll_frame(cx)
                .map(|f| f.map(|r| r.map_err(BoxError::from))),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.end
    }

    fn size_hint(&self) -> SizeHint {
        self.hint
    }
}
