//! Helpers for tests/proxy.rs: a tiny HTTP/1.1 upstream on a std `TcpListener` that can be
//! stopped and started again on the same port (as a swap does), a keep-alive client over a
//! plain `TcpStream`, and an SSE reader. Everything stops on drop, so a failing
//! test leaves no thread serving; every read has a timeout, so a hang becomes a failure.

#![allow(dead_code)]

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long any single read may block before the test fails.
pub const READ_TIMEOUT: Duration = Duration::from_secs(20);

// Free ports and waits: the shared harness's (`tests/support`).
#[allow(unused_imports)] // tests/proxied.rs takes them from support directly
pub use crate::support::{free_addr, wait_until};

/// A request head as the upstream read it.
#[derive(Debug, Clone)]
pub struct Head {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// The request body (the tests send small ones, by length).
    pub body: Vec<u8>,
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Answers one request on the connection; `Ok(true)` keeps the connection for the next one.
pub type Handler = Arc<dyn Fn(&Head, &mut BufReader<TcpStream>) -> io::Result<bool> + Send + Sync>;

/// The upstream app.
pub struct Upstream {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<TcpStream>>>,
    accept: Option<JoinHandle<()>>,
}

impl Upstream {
    /// Serves on `addr` (port 0: any free port) with `handler`.
    pub fn start(addr: SocketAddr, handler: Handler) -> Upstream {
        let listener = TcpListener::bind(addr).expect("bind the upstream");
        let addr = listener.local_addr().expect("local addr");
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let accept = {
            let (stop, connections) = (Arc::clone(&stop), Arc::clone(&connections));
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    if let Ok(clone) = stream.try_clone() {
                        connections.lock().expect("lock").push(clone);
                    }
                    let handler = Arc::clone(&handler);
                    std::thread::spawn(move || serve(stream, &handler));
                }
            })
        };
        Upstream {
            addr,
            stop,
            connections,
            accept: Some(accept),
        }
    }

    /// Stops accepting and closes every connection, idle or not, as a stopped generation does;
    /// the port is free when this returns.
    pub fn stop(&mut self) {
        let Some(accept) = self.accept.take() else {
            return;
        };
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the blocking accept.
        let _ = TcpStream::connect(self.addr);
        let _ = accept.join();
        for stream in self.connections.lock().expect("lock").drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.stop();
    }
}

fn serve(stream: TcpStream, handler: &Handler) {
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let mut reader = BufReader::new(stream);
    while let Ok(Some(head)) = read_request(&mut reader) {
        match handler(&head, &mut reader) {
            Ok(true) => {}
            _ => return,
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> io::Result<Option<Head>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let headers = read_headers(reader)?;
    let mut body = Vec::new();
    // `X-Stream-Body`: the handler reads the body itself, as it arrives.
    let streamed = header(&headers, "x-stream-body").is_some();
    if !streamed && let Some(n) = header(&headers, "content-length").and_then(|v| v.parse().ok()) {
        reader.by_ref().take(n).read_to_end(&mut body)?;
    }
    Ok(Some(Head {
        method,
        path,
        headers,
        body,
    }))
}

fn read_headers(reader: &mut impl BufRead) -> io::Result<Vec<(String, String)>> {
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "eof in headers",
            ));
        }
        let line = line.trim_end();
        if line.is_empty() {
            return Ok(headers);
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
}

/// Writes a whole response with a Content-Length.
pub fn respond(
    reader: &mut BufReader<TcpStream>,
    status: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<bool> {
    let mut out = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    reader.get_mut().write_all(&bytes)?;
    Ok(true)
}

/// Writes one chunk of a chunked body (an empty one ends it).
pub fn chunk(stream: &mut TcpStream, data: &[u8]) -> io::Result<()> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    stream.write_all(&out)?;
    stream.flush()
}

/// A response as the client read it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One client connection to the proxy, kept alive across requests.
pub struct Client {
    reader: BufReader<TcpStream>,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connect to the proxy");
        stream
            .set_read_timeout(Some(READ_TIMEOUT))
            .expect("read timeout");
        Client {
            reader: BufReader::new(stream),
        }
    }

    pub fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.reader.get_mut().write_all(bytes)
    }

    pub fn set_read_timeout(&mut self, timeout: Duration) {
        self.reader
            .get_ref()
            .set_read_timeout(Some(timeout))
            .expect("read timeout");
    }

    /// A request with a body sent by length.
    pub fn send(&mut self, method: &str, path: &str, body: &[u8]) -> io::Result<Reply> {
        let length = body.len().to_string();
        self.send_head(method, path, &[("Content-Length", &length)])?;
        self.write_raw(body)?;
        self.read_reply(false)
    }

    /// The connection's reader, for a handler-like test that streams.
    pub fn reader(&mut self) -> &mut BufReader<TcpStream> {
        &mut self.reader
    }

    /// A request with no body; `headers` come after Host.
    pub fn get(&mut self, method: &str, path: &str, headers: &[(&str, &str)]) -> io::Result<Reply> {
        self.send_head(method, path, headers)?;
        self.read_reply(method == "HEAD")
    }

    pub fn send_head(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
    ) -> io::Result<()> {
        let mut out = format!("{method} {path} HTTP/1.1\r\nHost: test.local\r\n");
        for (k, v) in headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str("\r\n");
        self.write_raw(out.as_bytes())
    }

    pub fn read_head(&mut self) -> io::Result<(u16, Vec<(String, String)>)> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "closed before a response",
            ));
        }
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidData, format!("status line {line:?}"))
            })?;
        Ok((status, read_headers(&mut self.reader)?))
    }

    pub fn read_reply(&mut self, head_only: bool) -> io::Result<Reply> {
        let (status, headers) = self.read_head()?;
        let mut body = Vec::new();
        if !head_only && status != 304 && status != 204 {
            if header(&headers, "transfer-encoding").is_some_and(|v| v.contains("chunked")) {
                while let Some(data) = self.read_chunk()? {
                    body.extend_from_slice(&data);
                }
            } else if let Some(n) = header(&headers, "content-length").and_then(|v| v.parse().ok())
            {
                body.resize(n, 0);
                self.reader.read_exact(&mut body)?;
            } else {
                self.reader.read_to_end(&mut body)?;
            }
        }
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    /// The next chunk of a chunked body; `None` at its end.
    pub fn read_chunk(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16).map_err(
            |_| io::Error::new(io::ErrorKind::InvalidData, format!("chunk size {line:?}")),
        )?;
        if size == 0 {
            let mut end = String::new();
            self.reader.read_line(&mut end)?;
            return Ok(None);
        }
        let mut data = vec![0; size + 2];
        self.reader.read_exact(&mut data)?;
        data.truncate(size);
        Ok(Some(data))
    }
}

/// A page's view of `/__hotdev/events` (or an upstream SSE stream): events one by one.
pub struct Sse {
    client: Client,
    pending: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
}

impl Sse {
    pub fn open(addr: SocketAddr, path: &str) -> Sse {
        let mut client = Client::connect(addr);
        client
            .send_head("GET", path, &[("Accept", "text/event-stream")])
            .expect("send");
        let (status, headers) = client.read_head().expect("SSE response head");
        assert_eq!(status, 200, "{headers:?}");
        assert!(
            header(&headers, "transfer-encoding").is_some_and(|v| v.contains("chunked")),
            "{headers:?}"
        );
        Sse {
            client,
            pending: String::new(),
        }
    }

    /// Bounds each read of the stream.
    pub fn client_timeout(&mut self, timeout: Duration) {
        self.client.set_read_timeout(timeout);
    }

    /// The next event (comments skipped).
    pub fn next(&mut self) -> io::Result<SseEvent> {
        loop {
            if let Some(end) = self.pending.find("\n\n") {
                let block: String = self.pending.drain(..end + 2).collect();
                let mut event = SseEvent {
                    event: "message".into(),
                    data: String::new(),
                };
                let mut any = false;
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event.event = v.trim().into();
                        any = true;
                    } else if let Some(v) = line.strip_prefix("data:") {
                        event.data.push_str(v.trim_start());
                        any = true;
                    }
                }
                if any {
                    return Ok(event);
                }
                continue;
            }
            match self.client.read_chunk()? {
                Some(data) => self.pending.push_str(&String::from_utf8_lossy(&data)),
                None => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "stream ended")),
            }
        }
    }

    /// Skips events until one named `name`.
    pub fn until(&mut self, name: &str) -> io::Result<SseEvent> {
        loop {
            let event = self.next()?;
            if event.event == name {
                return Ok(event);
            }
        }
    }
}
