//! A WebSocket passed through the proxy, and its clean end when the app goes away.
//!
//! Bytes go both ways unchanged. The app's side is read through [`Frames`], which follows the
//! frame boundaries (RFC 6455 §5.2) without decoding anything: when the app's connection ends
//! without the app having sent a close frame (it was stopped, or crashed), and the stream is
//! between two frames, the proxy sends the page a close frame of its own, 1012 "service
//! restart", so the page's `onclose` sees a clean close it can reconnect on, instead of 1006.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// How long the page may take to answer hotdev's close frame before the connection is dropped.
const CLOSE_LINGER: Duration = Duration::from_secs(2);

/// The close status hotdev sends when the app's side ended without one: "service restart".
pub const SERVICE_RESTART: u16 = 1012;

/// Where a stream of WebSocket frames is: in a header (and how much of it has arrived) or in a
/// payload (and how much is left). Fed with the bytes as they pass.
#[derive(Debug, Default)]
pub struct Frames {
    header: Vec<u8>,
    payload_left: u64,
    saw_close: bool,
}

impl Frames {
    /// Follows `bytes`, the next bytes of the stream.
    pub fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.payload_left > 0 {
                let take = bytes
                    .len()
                    .min(usize::try_from(self.payload_left).unwrap_or(usize::MAX));
                self.payload_left -= take as u64;
                bytes = &bytes[take..];
                continue;
            }
            self.header.push(bytes[0]);
            bytes = &bytes[1..];
            if let Some(payload) = header_done(&self.header) {
                if self.header[0] & 0x0f == 0x8 {
                    self.saw_close = true;
                }
                self.header.clear();
                self.payload_left = payload;
            }
        }
    }

    /// Whether the stream is between two frames (nothing of a next frame has passed yet).
    pub fn at_boundary(&self) -> bool {
        self.header.is_empty() && self.payload_left == 0
    }

    /// Whether a close frame passed.
    pub fn saw_close(&self) -> bool {
        self.saw_close
    }
}

/// The payload length once `header` is a whole frame header, else `None`.
fn header_done(header: &[u8]) -> Option<u64> {
    let second = *header.get(1)?;
    let mask = if second & 0x80 != 0 { 4 } else { 0 };
    let (extended, short) = match second & 0x7f {
        126 => (2, None),
        127 => (8, None),
        n => (0, Some(u64::from(n))),
    };
    if header.len() < 2 + extended + mask {
        return None;
    }
    Some(short.unwrap_or_else(|| {
        header[2..2 + extended]
            .iter()
            .fold(0, |len, byte| (len << 8) | u64::from(*byte))
    }))
}

/// A server-to-client close frame (unmasked) with `code` and `reason`.
pub fn close_frame(code: u16, reason: &str) -> Vec<u8> {
    let reason = &reason.as_bytes()[..reason.len().min(123)];
    let mut frame = vec![0x88, (2 + reason.len()) as u8];
    frame.extend_from_slice(&code.to_be_bytes());
    frame.extend_from_slice(reason);
    frame
}

/// Passes bytes both ways until either side ends. When the app's side ends first without a
/// close frame, at a frame boundary, the page gets [`SERVICE_RESTART`].
pub async fn relay<C, U>(client: C, upstream: U)
where
    C: AsyncRead + AsyncWrite + Unpin,
    U: AsyncRead + AsyncWrite + Unpin,
{
    let (mut client_read, mut client_write) = tokio::io::split(client);
    let (mut upstream_read, mut upstream_write) = tokio::io::split(upstream);
    let up = async {
        let _ = tokio::io::copy(&mut client_read, &mut upstream_write).await;
        let _ = upstream_write.shutdown().await;
    };
    let down = async {
        let mut frames = Frames::default();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match upstream_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    frames.feed(&buf[..n]);
                    if client_write.write_all(&buf[..n]).await.is_err() {
                        return frames;
                    }
                }
            }
        }
        if !frames.saw_close() && frames.at_boundary() {
            let close = close_frame(SERVICE_RESTART, "hotdev: the app was swapped");
            let _ = client_write.write_all(&close).await;
        }
        let _ = client_write.shutdown().await;
        frames
    };
    tokio::pin!(up, down);
    tokio::select! {
        // The page closed: its close (if any) went on to the app; the app's answer follows.
        () = &mut up => {
            let _ = tokio::time::timeout(CLOSE_LINGER, &mut down).await;
        }
        // The app's side ended: give the page a moment to answer the close frame.
        _ = &mut down => {
            let _ = tokio::time::timeout(CLOSE_LINGER, &mut up).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(opcode: u8, payload: &[u8], masked: bool) -> Vec<u8> {
        let mut out = vec![0x80 | opcode];
        let mask_bit = if masked { 0x80 } else { 0 };
        match payload.len() {
            n @ 0..=125 => out.push(mask_bit | n as u8),
            n @ 126..=65535 => {
                out.push(mask_bit | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(mask_bit | 127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        if masked {
            out.extend_from_slice(&[1, 2, 3, 4]);
        }
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn boundaries_are_followed_across_every_split_and_length_form() {
        let mut stream = frame(0x1, b"hello", false);
        stream.extend(frame(0x2, &vec![7; 300], true));
        stream.extend(frame(0x2, &vec![9; 70_000], false));
        stream.extend(frame(0x9, b"", false));
        for chunk in [1, 2, 3, 7, 1000, stream.len()] {
            let mut frames = Frames::default();
            for piece in stream.chunks(chunk) {
                frames.feed(piece);
            }
            assert!(frames.at_boundary(), "chunks of {chunk}");
            assert!(!frames.saw_close());
        }
        let mut frames = Frames::default();
        frames.feed(&stream[..stream.len() - 1]);
        assert!(!frames.at_boundary(), "one byte short of the last header");
    }

    #[test]
    fn a_close_frame_is_seen_and_hotdevs_own_is_well_formed() {
        let mut frames = Frames::default();
        frames.feed(&frame(0x1, b"x", false));
        assert!(!frames.saw_close());
        let close = close_frame(SERVICE_RESTART, "bye");
        assert_eq!(close, [0x88, 5, 0x03, 0xf4, b'b', b'y', b'e']);
        frames.feed(&close);
        assert!(frames.saw_close() && frames.at_boundary());
        assert_eq!(close_frame(1000, &"r".repeat(500)).len(), 2 + 125);
    }

    #[tokio::test]
    async fn an_app_that_vanishes_between_frames_gives_the_page_1012() {
        let (client, mut page) = tokio::io::duplex(1 << 16);
        let (upstream, mut app) = tokio::io::duplex(1 << 16);
        let relay = tokio::spawn(relay(client, upstream));
        app.write_all(&frame(0x1, b"hi", false)).await.unwrap();
        drop(app);
        let mut got = Vec::new();
        page.read_to_end(&mut got).await.unwrap();
        let mut expected = frame(0x1, b"hi", false);
        expected.extend(close_frame(SERVICE_RESTART, "hotdev: the app was swapped"));
        assert_eq!(got, expected);
        drop(page);
        relay.await.unwrap();
    }

    #[tokio::test]
    async fn the_apps_own_close_is_passed_on_and_not_doubled() {
        let (client, mut page) = tokio::io::duplex(1 << 16);
        let (upstream, mut app) = tokio::io::duplex(1 << 16);
        let relay = tokio::spawn(relay(client, upstream));
        let close = close_frame(1001, "going away");
        app.write_all(&close).await.unwrap();
        drop(app);
        let mut got = Vec::new();
        page.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, close);
        drop(page);
        relay.await.unwrap();
    }
}
