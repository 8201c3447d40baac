//! `/__hotdev/events`: the Server-Sent Events stream every injected page listens to, served by
//! the proxy itself. It only relays what the [`super::ProxyHandle`] was told; it never invents
//! a reload and is never forwarded to the app.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::Response;
use hyper::body::Frame;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use super::Shared;
use super::body::{ProxyBody, channel_body};

/// A comment line every so often keeps idle connections (and the proxies between) open.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// One message to the pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyEvent {
    /// Reload the page.
    Reload,
    /// Swap the stylesheets with these paths in place.
    Css(Vec<String>),
    /// Show the overlay: a title (what failed) and its output, e.g. the compiler's lines.
    BuildFailed { title: String, lines: Vec<String> },
    /// Remove the overlay.
    Clear,
}

impl ProxyEvent {
    /// The event as it goes on the wire: `event:` and one `data:` line of JSON.
    pub fn encode(&self) -> String {
        match self {
            ProxyEvent::Reload => frame("reload", "{}"),
            ProxyEvent::Css(paths) => frame("css", &json(paths)),
            ProxyEvent::BuildFailed { title, lines } => frame(
                "build_failed",
                &format!("{{\"title\":{},\"lines\":{}}}", json(title), json(lines)),
            ),
            ProxyEvent::Clear => frame("clear", "{}"),
        }
    }
}

/// The first event of every stream: the proxy instance, so a page that reconnects to another
/// instance (hotdev restarted) reloads once.
fn hello(instance: &str) -> String {
    frame("hello", &format!("{{\"id\":{}}}", json(&instance)))
}

fn frame(event: &str, data: &str) -> String {
    // `data` is JSON on one line: serde_json escapes every newline inside strings.
    format!("event: {event}\ndata: {data}\n\n")
}

fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// The response for one page: hello, the pending build error if any, then every event and a
/// heartbeat until the page goes away (the body is dropped, the send fails, the task ends).
pub(super) fn stream(shared: &Arc<Shared>) -> Response<ProxyBody> {
    let (tx, body) = channel_body(16);
    let mut events = shared.events.subscribe();
    let mut first = format!("retry: 1000\n\n{}", hello(&shared.instance));
    if let Some(overlay) = shared.last_overlay() {
        first.push_str(&overlay.encode());
    }
    tokio::spawn(async move {
        if !send(&tx, first).await {
            return;
        }
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        heartbeat.tick().await;
        loop {
            let text = tokio::select! {
                event = events.recv() => match event {
                    Ok(event) => event.encode(),
                    // Missed events: a reload brings the page up to date.
                    Err(RecvError::Lagged(_)) => ProxyEvent::Reload.encode(),
                    Err(RecvError::Closed) => return,
                },
                _ = heartbeat.tick() => ": heartbeat\n\n".to_string(),
                () = tx.closed() => return,
            };
            if !send(&tx, text).await {
                return;
            }
        }
    });
    let mut response = Response::new(body.boxed_unsync());
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn send(tx: &mpsc::Sender<Frame<Bytes>>, text: String) -> bool {
    tx.send(Frame::data(Bytes::from(text))).await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_one_json_data_line_each() {
        assert_eq!(ProxyEvent::Reload.encode(), "event: reload\ndata: {}\n\n");
        assert_eq!(
            ProxyEvent::Css(vec!["static/app.css".into()]).encode(),
            "event: css\ndata: [\"static/app.css\"]\n\n"
        );
        let failed = ProxyEvent::BuildFailed {
            title: "build 2 failed".into(),
            lines: vec!["./main.go:12:5: x\ny".into()],
        }
        .encode();
        assert_eq!(
            failed,
            "event: build_failed\ndata: {\"title\":\"build 2 failed\",\"lines\":[\"./main.go:12:5: x\\ny\"]}\n\n"
        );
        assert_eq!(ProxyEvent::Clear.encode(), "event: clear\ndata: {}\n\n");
    }

    #[test]
    fn hello_names_the_instance() {
        assert_eq!(hello("ab-1"), "event: hello\ndata: {\"id\":\"ab-1\"}\n\n");
    }
}
