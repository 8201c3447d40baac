//! The accept loop and the router: a bounded number of HTTP/1.1 client connections with a
//! header read timeout, `/__hotdev/*` answered here, everything else forwarded to the target.
//! It never forwards anywhere but the target: CONNECT and absolute-form URLs to another host
//! are refused.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};

use super::Shared;
use super::body::ProxyBody;
use super::forward::Forwarder;
use super::{events, pages};

/// Client connections served at once; more wait in the kernel's accept queue.
pub const MAX_CONNECTIONS: usize = 1024;
/// A client must send a whole request head within this time (idle keep-alive connections
/// included), so idle or half-open clients cannot pin a connection slot.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The pause after a failed `accept` (e.g. out of file descriptors), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves until `stop` fires (or its sender is dropped).
pub(super) async fn run(
    shared: Arc<Shared>,
    listener: TcpListener,
    local: SocketAddr,
    mut stop: oneshot::Receiver<()>,
) {
    let limit = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let router = Arc::new(Router {
        forwarder: Forwarder::new(Arc::clone(&shared)),
        shared,
        local,
    });
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&limit).acquire_owned() => permit,
            _ = &mut stop => return,
        };
        let Ok(permit) = permit else { return };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            _ = &mut stop => return,
        };
        let _ = stream.set_nodelay(true);
        let router = Arc::clone(&router);
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let router = Arc::clone(&router);
                async move { Ok::<_, Infallible>(router.route(request).await) }
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            // A client that goes away or sends garbage ends its own connection only.
            let _ = connection.await;
            drop(permit);
        });
    }
}

struct Router {
    shared: Arc<Shared>,
    forwarder: Forwarder,
    local: SocketAddr,
}

impl Router {
    async fn route(&self, request: Request<Incoming>) -> Response<ProxyBody> {
        if request.method() == Method::CONNECT {
            return pages::text(
                StatusCode::METHOD_NOT_ALLOWED,
                "hotdev: CONNECT is refused: this proxy forwards only to the app",
            );
        }
        if let Some(authority) = request.uri().authority()
            && !self.is_ours(authority.as_str())
        {
            return pages::text(
                StatusCode::BAD_REQUEST,
                "hotdev: refused: this proxy forwards only to the app, not to other hosts",
            );
        }
        if request
            .uri()
            .path_and_query()
            .is_none_or(|p| !p.as_str().starts_with('/'))
        {
            return pages::text(StatusCode::BAD_REQUEST, "hotdev: bad request target");
        }
        match request.uri().path() {
            "/__hotdev/events" if request.method() == Method::GET => events::stream(&self.shared),
            "/__hotdev/client.js" if request.method() == Method::GET => pages::client_js(),
            path if path.starts_with("/__hotdev/") => {
                pages::text(StatusCode::NOT_FOUND, "hotdev: no such proxy endpoint")
            }
            _ => self.forwarder.forward(request).await,
        }
    }

    /// An absolute-form request may name the target or the proxy itself, nothing else.
    fn is_ours(&self, authority: &str) -> bool {
        let ours = [self.shared.config.target, self.local];
        ours.iter().any(|addr| {
            authority == addr.to_string()
                || authority.eq_ignore_ascii_case(&format!("localhost:{}", addr.port()))
        })
    }
}
