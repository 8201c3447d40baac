//! One DevTools protocol (CDP) connection: a blocking WebSocket (tungstenite) to a browser or a
//! page target. Commands are JSON `{id, method, params}`, answered by the message with the same
//! `id`; everything else is an event (`{method, params}`), kept in arrival order for the caller
//! to read. Every read is bounded by a deadline: a silent browser is a failure, never a hang.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

/// How long one socket read may block before the deadline is checked again.
const READ_SLICE: Duration = Duration::from_millis(50);

pub struct Connection {
    socket: WebSocket<TcpStream>,
    url: String,
    next_id: u64,
    /// Every event received so far, in order: the caller keeps its own cursor into it.
    events: Vec<Value>,
}

impl Connection {
    /// Connects to a target's `webSocketDebuggerUrl` (`ws://127.0.0.1:PORT/devtools/...`).
    pub fn open(url: &str, timeout: Duration) -> Result<Connection, String> {
        let deadline = Instant::now() + timeout;
        let addr: SocketAddr = url
            .strip_prefix("ws://")
            .and_then(|rest| rest.split('/').next())
            .and_then(|host| host.parse().ok())
            .ok_or_else(|| format!("not a ws://IP:PORT/… DevTools URL: {url:?}"))?;
        let stream = TcpStream::connect_timeout(&addr, timeout)
            .map_err(|e| format!("connect to DevTools at {addr}: {e}"))?;
        stream
            .set_read_timeout(Some(READ_SLICE))
            .and_then(|()| stream.set_write_timeout(Some(timeout)))
            .and_then(|()| stream.set_nodelay(true))
            .map_err(|e| format!("set up the DevTools socket: {e}"))?;
        let mut handshake = tungstenite::client::client(url, stream);
        let socket = loop {
            match handshake {
                Ok((socket, _response)) => break socket,
                Err(tungstenite::HandshakeError::Interrupted(mid)) => {
                    if Instant::now() >= deadline {
                        return Err(format!("WebSocket handshake with {url}: timed out"));
                    }
                    handshake = mid.handshake();
                }
                Err(tungstenite::HandshakeError::Failure(e)) => {
                    return Err(format!("WebSocket handshake with {url}: {e}"));
                }
            }
        };
        Ok(Connection {
            socket,
            url: url.to_string(),
            next_id: 1,
            events: Vec::new(),
        })
    }

    /// Sends `method` with `params` and waits (at most `timeout`) for its answer: Ok(result),
    /// or Err with the protocol's error. Events that arrive meanwhile are kept.
    pub fn call(
        &mut self,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, String> {
        let answer = self.round_trip(method, params, timeout)?;
        if let Some(error) = answer.get("error") {
            return Err(format!("{method} failed: {error}"));
        }
        Ok(answer.get("result").cloned().unwrap_or(Value::Null))
    }

    /// Sends `method` and waits for its answer, an error answer included: when this returns,
    /// every event the target sent before answering has been read. Err only when the
    /// connection fails or no answer comes within `timeout`.
    pub fn round_trip(
        &mut self,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, String> {
        let id = self.next_id;
        self.next_id += 1;
        let command = json!({ "id": id, "method": method, "params": params });
        self.socket
            .send(Message::text(command.to_string()))
            .map_err(|e| format!("send {method} to {}: {e}", self.url))?;
        let deadline = Instant::now() + timeout;
        loop {
            let Some(message) = self.read(deadline)? else {
                return Err(format!(
                    "no answer to {method} within {timeout:?} from {}",
                    self.url
                ));
            };
            if message.get("id").and_then(Value::as_u64) == Some(id) {
                return Ok(message);
            }
            if message.get("method").is_some() {
                self.events.push(message);
            }
        }
    }

    /// Reads events until `until(events)` holds, at most `timeout`. Ok once it holds (at once if
    /// it already does), Err when the deadline passes.
    pub fn wait_event(
        &mut self,
        timeout: Duration,
        what: &str,
        mut until: impl FnMut(&[Value]) -> bool,
    ) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if until(&self.events) {
                return Ok(());
            }
            match self.read(deadline)? {
                Some(message) if message.get("method").is_some() => self.events.push(message),
                Some(_) => {}
                None => return Err(format!("timed out after {timeout:?} waiting for {what}")),
            }
        }
    }

    /// Every event received so far.
    pub fn events(&self) -> &[Value] {
        &self.events
    }

    /// The next message, or None once `deadline` has passed.
    fn read(&mut self, deadline: Instant) -> Result<Option<Value>, String> {
        loop {
            match self.socket.read() {
                Ok(Message::Text(text)) => {
                    return serde_json::from_str(text.as_str())
                        .map(Some)
                        .map_err(|e| format!("DevTools sent non-JSON ({e}): {text}"));
                }
                // Pings are answered by tungstenite itself; CDP sends no binary messages.
                Ok(Message::Close(frame)) => {
                    return Err(format!(
                        "{} closed the DevTools connection: {frame:?}",
                        self.url
                    ));
                }
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if Instant::now() >= deadline {
                        return Ok(None);
                    }
                }
                Err(e) => return Err(format!("reading from {}: {e}", self.url)),
            }
        }
    }
}
