//! The browser dev proxy (DESIGN.md §8): listens where the browser connects, forwards to the
//! app, injects the live-reload client into full HTML documents and serves its event stream.
//! It carries out what its caller decides (reload, CSS swap, build error); it never decides
//! itself when a page reloads, and it knows nothing of hotdev's config, engine or shell.
//!
//! The server runs on a current-thread tokio runtime in a thread of its own. [`Proxy`] owns that
//! thread (dropping it stops the server); [`ProxyHandle`] is the cheap, cloneable remote the
//! shell keeps.

mod body;
mod events;
mod forward;
mod inject;
mod pages;
mod server;
mod websocket;

use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::{broadcast, watch};

pub use events::ProxyEvent;

/// What the proxy needs to run. Its caller (config) assembles it; nothing here reads a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyConfig {
    /// Where the browser connects. Bound as given: the caller picks loopback by default.
    pub address: SocketAddr,
    /// The app. The proxy forwards to this address and to no other.
    pub target: SocketAddr,
    /// How long a request waits for the app while no generation can serve it, before a 502.
    pub hold_timeout: Duration,
    /// The largest HTML document buffered to inject the client script; above it, passed through.
    pub inject_cap: usize,
}

impl ProxyConfig {
    /// The default `hold_timeout` (issue 13: 10s).
    pub const DEFAULT_HOLD_TIMEOUT: Duration = Duration::from_secs(10);
    /// The default `inject_cap`: 8 MiB.
    pub const DEFAULT_INJECT_CAP: usize = 8 << 20;

    /// A config with the default hold timeout and injection cap.
    pub fn new(address: SocketAddr, target: SocketAddr) -> ProxyConfig {
        ProxyConfig {
            address,
            target,
            hold_timeout: Self::DEFAULT_HOLD_TIMEOUT,
            inject_cap: Self::DEFAULT_INJECT_CAP,
        }
    }
}

/// Whether a generation can take requests now. The shell says so; the proxy holds requests
/// while it is `Unavailable`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upstream {
    /// A generation is ready: forward at once.
    Serving,
    /// No generation can serve (the restart gap, a crash, not yet started): requests wait up to
    /// `hold_timeout`, then get a 502.
    Unavailable,
}

/// Why the proxy could not start.
#[derive(Debug)]
pub enum ProxyError {
    /// The proxy address cannot be bound (e.g. in use).
    Bind {
        address: SocketAddr,
        source: io::Error,
    },
    /// The runtime or its thread could not be created.
    Start(io::Error),
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyError::Bind { address, source } if source.kind() == io::ErrorKind::AddrInUse => {
                write!(
                    f,
                    "cannot listen on {address} for the proxy: the address is already in use \
                     (another hotdev or server?); pick another [proxy] address"
                )
            }
            ProxyError::Bind { address, source } => {
                write!(f, "cannot listen on {address} for the proxy: {source}")
            }
            ProxyError::Start(e) => write!(f, "cannot start the proxy: {e}"),
        }
    }
}

impl std::error::Error for ProxyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ProxyError::Bind { source, .. } | ProxyError::Start(source) => Some(source),
        }
    }
}

/// State shared by the server and every [`ProxyHandle`].
struct Shared {
    config: ProxyConfig,
    /// This proxy instance's id: a page that reconnects and sees another one reloads once.
    instance: String,
    upstream: watch::Sender<Upstream>,
    events: broadcast::Sender<ProxyEvent>,
    /// The overlay being shown ([`ProxyEvent::BuildFailed`]), for pages that connect (or get
    /// a 502) later.
    last_error: Mutex<Option<ProxyEvent>>,
}

impl Shared {
    fn last_overlay(&self) -> Option<ProxyEvent> {
        self.last_error.lock().map(|e| e.clone()).unwrap_or(None)
    }

    /// The lines of the overlay being shown, for the 502 page.
    fn last_error(&self) -> Option<Vec<String>> {
        match self.last_overlay() {
            Some(ProxyEvent::BuildFailed { title, lines }) => {
                Some(std::iter::once(title).chain(lines).collect())
            }
            _ => None,
        }
    }

    fn set_last_error(&self, overlay: Option<ProxyEvent>) {
        if let Ok(mut slot) = self.last_error.lock() {
            *slot = overlay;
        }
    }
}

/// The running proxy. Dropping it (or [`Proxy::shutdown`]) stops the server and joins its
/// thread; open connections are closed.
pub struct Proxy {
    handle: ProxyHandle,
    local_addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Proxy {
    /// Binds `config.address` and serves on a thread of its own. The upstream starts as
    /// [`Upstream::Serving`]: a refused connection to the target is held all the same.
    pub fn start(config: ProxyConfig) -> Result<Proxy, ProxyError> {
        let address = config.address;
        let listener =
            TcpListener::bind(address).map_err(|source| ProxyError::Bind { address, source })?;
        let local_addr = listener
            .local_addr()
            .and_then(|a| listener.set_nonblocking(true).map(|()| a))
            .map_err(|source| ProxyError::Bind { address, source })?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(ProxyError::Start)?;
        let (events, _) = broadcast::channel(64);
        let shared = Arc::new(Shared {
            config,
            instance: instance_id(),
            upstream: watch::Sender::new(Upstream::Serving),
            events,
            last_error: Mutex::new(None),
        });
        let listener = {
            let _context = runtime.enter();
            tokio::net::TcpListener::from_std(listener).map_err(ProxyError::Start)?
        };
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let server = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("hotdev-proxy".into())
            .spawn(move || runtime.block_on(server::run(server, listener, local_addr, stopped)))
            .map_err(ProxyError::Start)?;
        Ok(Proxy {
            handle: ProxyHandle { shared },
            local_addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address the proxy listens on (the real port when the config said port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A handle for the shell: upstream state and page events.
    pub fn handle(&self) -> ProxyHandle {
        self.handle.clone()
    }

    /// Stops the server and waits for its thread.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// The shell's remote for the proxy: cheap to clone, callable from any thread, never blocks.
/// Calls after the proxy stopped do nothing.
#[derive(Clone)]
pub struct ProxyHandle {
    shared: Arc<Shared>,
}

impl ProxyHandle {
    /// Whether a generation can take requests; `Serving` releases the requests being held.
    pub fn set_upstream(&self, upstream: Upstream) {
        self.shared.upstream.send_replace(upstream);
    }

    /// Reloads every connected page.
    pub fn reload(&self) {
        self.send(ProxyEvent::Reload);
    }

    /// Swaps, in every connected page, the stylesheets whose `href` path matches one of `paths`
    /// (e.g. `static/app.css`), with no navigation.
    pub fn css(&self, paths: Vec<String>) {
        self.send(ProxyEvent::Css(paths));
    }

    /// Shows the overlay with a failed build's output in every connected page (and in pages
    /// that connect later, and on the 502 page, until [`ProxyHandle::clear_error`]).
    pub fn build_failed(&self, lines: Vec<String>) {
        self.send(ProxyEvent::BuildFailed {
            title: "build failed".into(),
            lines,
        });
    }

    /// How many pages are connected to the event stream now.
    pub fn pages(&self) -> usize {
        self.shared.events.receiver_count()
    }

    /// Removes the overlay.
    pub fn clear_error(&self) {
        self.send(ProxyEvent::Clear);
    }

    /// Any of the above as a value, for a shell that maps an action to an event.
    pub fn send(&self, event: ProxyEvent) {
        match &event {
            ProxyEvent::BuildFailed { .. } => self.shared.set_last_error(Some(event.clone())),
            ProxyEvent::Clear => self.shared.set_last_error(None),
            ProxyEvent::Reload | ProxyEvent::Css(_) => {}
        }
        // No receiver means no page is connected: nothing to tell.
        let _ = self.shared.events.send(event);
    }
}

/// A per-process, per-start id: the time and pid are enough to tell two proxies apart.
fn instance_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{:x}-{:x}", std::process::id(), nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_in_use_is_one_clear_line() {
        let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = taken.local_addr().expect("addr");
        let error = Proxy::start(ProxyConfig::new(address, address))
            .err()
            .expect("a second bind fails");
        let message = error.to_string();
        assert!(message.contains(&address.to_string()), "{message}");
        assert!(message.contains("already in use"), "{message}");
        assert!(!message.contains('\n'), "{message}");
    }

    #[test]
    fn the_handle_can_go_to_any_thread() {
        fn shareable<T: Clone + Send + Sync + 'static>() {}
        shareable::<ProxyHandle>();
    }

    #[test]
    fn dropping_the_proxy_frees_its_port() {
        let target: SocketAddr = "127.0.0.1:9".parse().expect("addr");
        let proxy = Proxy::start(ProxyConfig::new(
            "127.0.0.1:0".parse().expect("addr"),
            target,
        ))
        .expect("start");
        let address = proxy.local_addr();
        drop(proxy);
        TcpListener::bind(address).expect("the port is free again");
    }
}
