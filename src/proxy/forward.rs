//! Forwarding to the target: holds requests while no generation serves, retries an idempotent
//! request once on a fresh connection, streams bodies both ways, injects the client script into
//! HTML documents and passes WebSocket upgrades through. It must never buffer a body whole
//! (save an HTML document up to `inject_cap`) nor alter a byte of anything it does not inject.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::http::request::Parts;
use hyper::{Method, Request, Response, StatusCode, Uri, Version};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::body::{ProxyBody, RetryableBody, full, prefixed, streamed};
use super::{Shared, Upstream, inject, pages};

/// How often a held request tries the target again while it refuses connections.
const CONNECT_RETRY: Duration = Duration::from_millis(25);
/// Idle pooled upstream connections are closed after this.
const POOL_IDLE: Duration = Duration::from_secs(30);

pub(super) struct Forwarder {
    shared: Arc<Shared>,
    /// Reuses upstream connections.
    pooled: Client<HttpConnector, RetryableBody>,
    /// A new connection per request: the retry after a pooled connection failed.
    fresh: Client<HttpConnector, RetryableBody>,
    target: SocketAddr,
}

/// How one attempt ended, when it did not produce a response.
enum Failure {
    /// The target refused or could not be reached: it counts as unavailable.
    Connect,
    /// The connection failed before any response byte.
    Broken(String),
}

impl Forwarder {
    pub(super) fn new(shared: Arc<Shared>) -> Forwarder {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let pooled = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE)
            .pool_timer(TokioTimer::new())
            .build(connector.clone());
        let fresh = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .build(connector);
        Forwarder {
            target: shared.config.target,
            shared,
            pooled,
            fresh,
        }
    }

    pub(super) async fn forward(&self, request: Request<Incoming>) -> Response<ProxyBody> {
        if is_websocket(request.headers()) {
            return self.upgrade(request).await;
        }
        let deadline = Instant::now() + self.shared.config.hold_timeout;
        let (parts, body) = request.into_parts();
        let document = inject::is_document_request(&parts.headers);
        let mut headers = parts.headers.clone();
        strip_hop_by_hop(&mut headers, false);
        if document {
            // Compressed HTML cannot be injected: ask for it plain.
            headers.insert(
                header::ACCEPT_ENCODING,
                HeaderValue::from_static("identity"),
            );
        }
        let uri = self.upstream_uri(&parts.uri);
        let body = RetryableBody::new(body);
        let mut retried = false;
        loop {
            if !self.wait_serving(deadline).await {
                return self.unavailable(&parts.headers, "no generation became ready in time");
            }
            let Some(attempt) = body.again() else {
                return self.unavailable(
                    &parts.headers,
                    "the app closed the connection while reading the request",
                );
            };
            let mut upstream = Request::new(attempt);
            *upstream.method_mut() = parts.method.clone();
            *upstream.uri_mut() = uri.clone();
            *upstream.version_mut() = Version::HTTP_11;
            *upstream.headers_mut() = headers.clone();
            let client = if retried { &self.fresh } else { &self.pooled };
            let failure = match client.request(upstream).await {
                Ok(response) => return self.respond(&parts, response).await,
                Err(e) if e.is_connect() => Failure::Connect,
                Err(e) => Failure::Broken(error_chain(&e)),
            };
            match failure {
                Failure::Connect => {
                    if !self.pause(deadline).await {
                        return self.unavailable(
                            &parts.headers,
                            &format!("the app at {} refused connections", self.target),
                        );
                    }
                }
                Failure::Broken(_) if is_idempotent(&parts.method) && !retried => retried = true,
                Failure::Broken(why) => {
                    return self.unavailable(
                        &parts.headers,
                        &format!("the app closed the connection before answering: {why}"),
                    );
                }
            }
        }
    }

    /// Passes the response on; buffers and injects an HTML document.
    async fn respond(&self, request: &Parts, response: Response<Incoming>) -> Response<ProxyBody> {
        let (mut parts, body) = response.into_parts();
        strip_hop_by_hop(&mut parts.headers, false);
        let cap = self.shared.config.inject_cap;
        let too_big = body.size_hint().exact().is_some_and(|n| n > cap as u64);
        if too_big
            || !inject::wants_injection(
                &request.method,
                &request.headers,
                parts.status,
                &parts.headers,
            )
        {
            return Response::from_parts(parts, streamed(body));
        }
        let mut buffer = BytesMut::new();
        let mut body = body;
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(frame) => {
                    if let Ok(data) = frame.into_data() {
                        buffer.extend_from_slice(&data);
                        if buffer.len() > cap {
                            return Response::from_parts(parts, prefixed(buffer.freeze(), body));
                        }
                    }
                }
                Err(e) => {
                    return self.unavailable(
                        &request.headers,
                        &format!("the app broke off the page: {}", error_chain(&e)),
                    );
                }
            }
        }
        let document = inject::insert(&buffer).unwrap_or_else(|| buffer.to_vec());
        parts.headers.remove(header::TRANSFER_ENCODING);
        parts
            .headers
            .insert(header::CONTENT_LENGTH, HeaderValue::from(document.len()));
        Response::from_parts(parts, full(document))
    }

    /// A WebSocket (or other `Upgrade`) on a connection of its own, then bytes both ways.
    async fn upgrade(&self, mut request: Request<Incoming>) -> Response<ProxyBody> {
        let deadline = Instant::now() + self.shared.config.hold_timeout;
        let client_side = hyper::upgrade::on(&mut request);
        let (mut parts, body) = request.into_parts();
        let stream = loop {
            if !self.wait_serving(deadline).await {
                return self.unavailable(&parts.headers, "no generation became ready in time");
            }
            match TcpStream::connect(self.target).await {
                Ok(stream) => break stream,
                Err(_) if self.pause(deadline).await => {}
                Err(e) => {
                    return self.unavailable(
                        &parts.headers,
                        &format!("the app at {} refused connections: {e}", self.target),
                    );
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let (mut sender, connection) =
            match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await {
                Ok(pair) => pair,
                Err(e) => return self.unavailable(&parts.headers, &error_chain(&e)),
            };
        tokio::spawn(connection.with_upgrades());
        let request_headers = parts.headers.clone();
        let websocket = parts
            .headers
            .get(header::UPGRADE)
            .is_some_and(|u| u.as_bytes().eq_ignore_ascii_case(b"websocket"));
        strip_hop_by_hop(&mut parts.headers, true);
        parts.uri = origin_form(&parts.uri);
        parts.version = Version::HTTP_11;
        let mut response = match sender.send_request(Request::from_parts(parts, body)).await {
            Ok(response) => response,
            Err(e) => {
                let why = format!("the app closed the connection: {}", error_chain(&e));
                return self.unavailable(&request_headers, &why);
            }
        };
        if response.status() != StatusCode::SWITCHING_PROTOCOLS {
            let (mut parts, body) = response.into_parts();
            strip_hop_by_hop(&mut parts.headers, false);
            return Response::from_parts(parts, streamed(body));
        }
        let upstream_side = hyper::upgrade::on(&mut response);
        tokio::spawn(async move {
            if let (Ok(client), Ok(upstream)) = (client_side.await, upstream_side.await) {
                let (mut client, mut upstream) = (TokioIo::new(client), TokioIo::new(upstream));
                if websocket {
                    super::websocket::relay(client, upstream).await;
                } else {
                    // Ends when either side closes; dropping both closes the other.
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                }
            }
        });
        let (mut parts, _) = response.into_parts();
        strip_hop_by_hop(&mut parts.headers, true);
        Response::from_parts(parts, super::body::empty())
    }

    /// Waits, up to the deadline, until a generation is serving.
    async fn wait_serving(&self, deadline: Instant) -> bool {
        let mut upstream = self.shared.upstream.subscribe();
        let serving = upstream.wait_for(|u| *u == Upstream::Serving);
        matches!(tokio::time::timeout_at(deadline, serving).await, Ok(Ok(_)))
    }

    /// A short pause before the next try at a refusing target; false once the deadline passed.
    async fn pause(&self, deadline: Instant) -> bool {
        let mut upstream = self.shared.upstream.subscribe();
        upstream.mark_unchanged();
        let until = (Instant::now() + CONNECT_RETRY).min(deadline);
        tokio::select! {
            () = tokio::time::sleep_until(until) => {}
            _ = upstream.changed() => {}
        }
        Instant::now() < deadline
    }

    fn unavailable(&self, request: &HeaderMap, reason: &str) -> Response<ProxyBody> {
        let last = self.shared.last_error();
        pages::unavailable(request, reason, last.as_deref())
    }

    fn upstream_uri(&self, uri: &Uri) -> Uri {
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        format!("http://{}{}", self.target, path)
            .parse()
            .unwrap_or_else(|_| Uri::from_static("/"))
    }
}

/// The request line's target without scheme and host.
fn origin_form(uri: &Uri) -> Uri {
    uri.path_and_query()
        .and_then(|p| p.as_str().parse().ok())
        .unwrap_or_else(|| Uri::from_static("/"))
}

fn is_websocket(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("websocket"))
}

fn is_idempotent(method: &Method) -> bool {
    [
        Method::GET,
        Method::HEAD,
        Method::OPTIONS,
        Method::PUT,
        Method::DELETE,
        Method::TRACE,
    ]
    .contains(method)
}

/// Removes the headers that describe one connection, not the message (RFC 9110 §7.6.1), so
/// an upstream's `Connection: close` never closes the client's connection. With `upgrade`,
/// `Connection: upgrade` and `Upgrade` stay: they are the message.
fn strip_hop_by_hop(headers: &mut HeaderMap, upgrade: bool) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .filter(|name| !(upgrade && *name == header::UPGRADE))
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in [
        header::TE,
        header::TRAILER,
        header::TRANSFER_ENCODING,
        HeaderName::from_static("keep-alive"),
        HeaderName::from_static("proxy-connection"),
    ] {
        headers.remove(name);
    }
    if upgrade {
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    } else {
        headers.remove(header::CONNECTION);
        headers.remove(header::UPGRADE);
    }
}

/// An error and its causes on one line (hyper's own message is often just "connection error").
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_do_not_cross_the_proxy() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("close, x-trace"),
        );
        headers.insert("x-trace", HeaderValue::from_static("1"));
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        strip_hop_by_hop(&mut headers, false);
        assert_eq!(headers.len(), 1, "{headers:?}");
        assert!(headers.contains_key(header::CONTENT_TYPE));
    }

    #[test]
    fn an_upgrade_keeps_its_upgrade_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        strip_hop_by_hop(&mut headers, true);
        assert_eq!(headers[header::UPGRADE], "websocket");
        assert_eq!(headers[header::CONNECTION], "upgrade");
    }

    #[test]
    fn only_safe_to_repeat_methods_are_retried() {
        assert!(is_idempotent(&Method::GET));
        assert!(is_idempotent(&Method::PUT));
        assert!(!is_idempotent(&Method::POST));
        assert!(!is_idempotent(&Method::PATCH));
    }
}
