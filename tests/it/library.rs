//! The library API: bind on port 0, spawn, serve, shut down; process mode's executable.

use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use servedir::{Config, Mode, Server};

use crate::util::*;

fn config(root: std::path::PathBuf) -> Config {
    Config {
        root,
        port: 0,
        bind: vec!["127.0.0.1".parse().unwrap()],
        ..Config::default()
    }
}

fn connect(addr: std::net::SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    s.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    s
}

#[test]
fn bind_spawn_serve_and_shut_down() {
    let site = Site::new("lib");
    let server = Server::bind(config(site.root())).unwrap();
    let addr = server.local_addr();
    assert_ne!(addr.port(), 0);
    assert_eq!(server.url(), format!("http://{addr}/"));
    let handle = server.spawn().unwrap();
    assert_eq!(handle.local_addr(), addr);
    let text = client()
        .get(format!("{}hello.txt", handle.url()))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(text, "hello\n");
    handle.shutdown().unwrap();
    // The port is free again.
    let again = Server::bind(Config {
        port: addr.port(),
        ..config(site.root())
    })
    .unwrap();
    assert_eq!(again.local_addr(), addr);
}

#[test]
fn process_mode_needs_a_servedir_executable() {
    let site = Site::new("lib-noexe");
    let err = Server::bind(Config {
        mode: Mode::Process,
        ..config(site.root())
    })
    .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("process_exe"), "{err}");
}

#[test]
fn a_child_that_cannot_start_gets_503_and_the_server_stays_up() {
    let site = Site::new("lib-badexe");
    let bad = Config {
        mode: Mode::Process,
        process_exe: Some(site.base.path().join("no-such-servedir")),
        ..config(site.root())
    };
    let handle = Server::bind(bad).unwrap().spawn().unwrap();
    for _ in 0..3 {
        let mut s = connect(handle.local_addr());
        s.write_all(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
        let resp = read_response(&mut BufReader::new(s), false);
        assert_eq!(resp.status, 503);
        assert_eq!(resp.header("retry-after"), Some("1"));
    }
    // With a real executable the same configuration serves.
    let good = Config {
        mode: Mode::Process,
        process_exe: Some(binary().into()),
        ..config(site.root())
    };
    let handle2 = Server::bind(good).unwrap().spawn().unwrap();
    let mut s = connect(handle2.local_addr());
    s.write_all(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    assert_eq!(
        read_response(&mut BufReader::new(s), false).body,
        b"hello\n"
    );
    drop(handle);
    drop(handle2);
    std::thread::sleep(Duration::from_millis(10));
}

#[test]
fn a_missing_root_is_an_error_naming_it() {
    let dir = TempDir::new("lib-missing");
    let missing = dir.path().join("nope");
    let err = Server::bind(config(missing.clone())).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    assert!(err.to_string().contains(missing.to_str().unwrap()), "{err}");
}
