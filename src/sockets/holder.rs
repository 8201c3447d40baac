//! Which process holds an address, for the "already in use" message: the socket's inode from
//! /proc/net/{tcp,tcp6,unix}, then the process with an fd `socket:[inode]` among /proc/*/fd.
//!
//! Best effort and read-only: other users' processes are not visible without privileges, and
//! any failure just means the message names no process.

use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;

/// The process that holds an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    /// Its `/proc/PID/comm` (the command name, at most 15 bytes).
    pub command: String,
}

/// TCP state LISTEN in /proc/net/tcp.
const TCP_LISTEN: u8 = 0x0A;
/// `__SO_ACCEPTCON` in the flags column of /proc/net/unix: a listening socket.
const UNIX_ACCEPTCON: u32 = 1 << 16;

pub(super) fn of_tcp(addr: SocketAddr) -> Option<Holder> {
    let inode = ["/proc/net/tcp", "/proc/net/tcp6"]
        .into_iter()
        .filter_map(|table| fs::read_to_string(table).ok())
        .find_map(|table| {
            table.lines().skip(1).find_map(|line| {
                let entry = parse_tcp_line(line)?;
                let clash = entry.state == TCP_LISTEN
                    && entry.local.port() == addr.port()
                    && ips_overlap(entry.local.ip(), addr.ip());
                clash.then_some(entry.inode)
            })
        })?;
    of_inode(inode)
}

pub(super) fn of_unix(path: &Path) -> Option<Holder> {
    let table = fs::read_to_string("/proc/net/unix").ok()?;
    let inode = table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // Num RefCount Protocol Flags Type St Inode Path
        let flags = u32::from_str_radix(fields.get(3)?, 16).ok()?;
        let listening = flags & UNIX_ACCEPTCON != 0;
        (listening && Path::new(fields.get(7)?) == path).then(|| fields.get(6)?.parse().ok())?
    })?;
    of_inode(inode)
}

/// Two bind addresses clash when they are equal or either is a wildcard.
fn ips_overlap(a: IpAddr, b: IpAddr) -> bool {
    a == b || a.is_unspecified() || b.is_unspecified()
}

#[derive(Debug, PartialEq, Eq)]
struct TcpEntry {
    local: SocketAddr,
    state: u8,
    inode: u64,
}

/// One row of /proc/net/tcp or tcp6:
/// `sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …`.
/// Addresses are hex: the IP as 32-bit words in host byte order, the port as a number.
fn parse_tcp_line(line: &str) -> Option<TcpEntry> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let (ip, port) = fields.get(1)?.split_once(':')?;
    let ip = match ip.len() {
        8 => IpAddr::V4(Ipv4Addr::from(hex_word(ip)?)),
        32 => {
            let mut bytes = [0u8; 16];
            for (i, chunk) in bytes.chunks_mut(4).enumerate() {
                chunk.copy_from_slice(&hex_word(ip.get(i * 8..i * 8 + 8)?)?);
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some(TcpEntry {
        local: SocketAddr::new(ip, u16::from_str_radix(port, 16).ok()?),
        state: u8::from_str_radix(fields.get(3)?, 16).ok()?,
        inode: fields.get(9)?.parse().ok()?,
    })
}

/// Eight hex digits printed from a 32-bit word in host byte order, back to the bytes in memory.
fn hex_word(hex: &str) -> Option<[u8; 4]> {
    Some(u32::from_str_radix(hex, 16).ok()?.to_ne_bytes())
}

fn of_inode(inode: u64) -> Option<Holder> {
    if inode == 0 {
        return None;
    }
    let target = format!("socket:[{inode}]");
    fs::read_dir("/proc")
        .ok()?
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .find_map(|pid| {
            let fds = fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
            let holds = fds
                .flatten()
                .any(|fd| fs::read_link(fd.path()).is_ok_and(|link| link.as_os_str() == &*target));
            holds.then(|| Holder {
                pid,
                command: fs::read_to_string(format!("/proc/{pid}/comm"))
                    .map(|c| c.trim_end().to_string())
                    .unwrap_or_else(|_| "?".to_string()),
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_endian = "little")]
    fn parses_an_ipv4_listen_row() {
        let line = "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 123456 1 0000000000000000 100 0 0 10 0";
        assert_eq!(
            parse_tcp_line(line),
            Some(TcpEntry {
                local: "127.0.0.1:8080".parse().unwrap(),
                state: TCP_LISTEN,
                inode: 123456,
            })
        );
    }

    #[test]
    #[cfg(target_endian = "little")]
    fn parses_an_ipv6_row() {
        let line = "   1: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 42 1 0000000000000000 100 0 0 10 0";
        let entry = parse_tcp_line(line).unwrap();
        assert_eq!(entry.local, "[::1]:80".parse().unwrap());
        assert_eq!(entry.inode, 42);
    }

    #[test]
    fn ignores_the_header_and_garbage() {
        assert_eq!(
            parse_tcp_line(
                "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
            ),
            None
        );
        assert_eq!(parse_tcp_line(""), None);
    }

    #[test]
    fn wildcards_overlap_everything() {
        let any: IpAddr = "0.0.0.0".parse().unwrap();
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        assert!(ips_overlap(any, lo) && ips_overlap(lo, any) && ips_overlap(lo, lo));
        assert!(!ips_overlap(lo, other));
    }
}
