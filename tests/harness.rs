//! Checks of the test harness itself (no hotdev involved), so that a harness bug is not
//! mistaken for a hotdev one.

mod support;

use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

use support::*;

#[test]
fn process_group_alive_sees_a_group_and_its_end() {
    let mut child = Command::new("sleep")
        .arg("30")
        .process_group(0)
        .spawn()
        .expect("spawn sleep");
    let pgid = child.id() as i32;
    assert!(process_group_alive(pgid));
    assert!(pid_alive(pgid));
    child.kill().unwrap();
    child.wait().unwrap();
    wait_until(SHORT, "sleep's group to end", || !process_group_alive(pgid)).unwrap();
}

#[test]
fn http_get_reads_a_body_and_reports_refusal() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 1024];
        let _ = s.read(&mut buf).unwrap();
        s.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nv1\n")
            .unwrap();
    });
    assert_eq!(get_trimmed(addr, "/").unwrap(), "v1");
    server.join().unwrap();
    assert!(http_get(free_addr(), "/").is_err());
}

#[test]
fn wait_until_gives_up_at_the_deadline() {
    let t = std::time::Instant::now();
    let err = wait_until(Duration::from_millis(100), "nothing", || false).unwrap_err();
    assert!(t.elapsed() >= Duration::from_millis(100));
    assert_eq!(err, "timed out after 100ms waiting for nothing");
}
