//! The "std floor": the least an HTTP server with one thread per connection can do on
//! std, as a row in the compare bench. Files are read into memory at start-up; a request
//! is found by its `\r\n\r\n`, answered with a minimal head and the bytes, and that is
//! all: no parsing beyond the path, no validation, no filesystem access, no logging.
//! Threads are handed connections and reused the way servedir's are.
//!
//! It shows what the threading model itself costs on this machine, so the gap between
//! servedir and nginx can be split into "servedir's work" and "the model". It is not a
//! server anyone should run: it is not safe on hostile input.

use std::collections::HashMap;
use std::io::{IoSlice, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;

/// The flag that makes the bench binary run the floor server instead of benchmarking.
pub const FLAG: &str = "--floor-server";

type Files = HashMap<String, Vec<u8>>;

/// Serves `root`'s top-level files on 127.0.0.1:`port` until killed.
pub fn serve(root: &Path, port: u16) -> ! {
    let mut files = Files::new();
    for entry in std::fs::read_dir(root).expect("read root").flatten() {
        if let (Ok(bytes), Some(name)) = (std::fs::read(entry.path()), entry.file_name().to_str()) {
            files.insert(format!("/{name}"), bytes);
        }
    }
    let files: &'static Files = Box::leak(Box::new(files));
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind floor");
    let queue: Arc<(Mutex<Vec<TcpStream>>, Condvar)> = Arc::default();
    for _ in 0..64 {
        let queue = Arc::clone(&queue);
        thread::Builder::new()
            .stack_size(128 * 1024)
            .spawn(move || loop {
                let stream = {
                    let mut jobs = queue.0.lock().unwrap();
                    loop {
                        if let Some(s) = jobs.pop() {
                            break s;
                        }
                        jobs = queue.1.wait(jobs).unwrap();
                    }
                };
                connection(stream, files);
            })
            .expect("spawn");
    }
    for stream in listener.incoming().flatten() {
        queue.0.lock().unwrap().push(stream);
        queue.1.notify_one();
    }
    unreachable!("incoming() never ends")
}

fn connection(mut s: TcpStream, files: &Files) {
    let _ = s.set_nodelay(true);
    let mut buf = [0u8; 4096];
    let mut have = 0;
    loop {
        match s.read(&mut buf[have..]) {
            Ok(0) | Err(_) => return,
            Ok(n) => have += n,
        }
        while let Some(end) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") {
            let head = &buf[..end];
            let path = head
                .split(|&b| b == b' ')
                .nth(1)
                .and_then(|p| std::str::from_utf8(p).ok())
                .unwrap_or("/");
            let close = head
                .windows(17)
                .any(|w| w.eq_ignore_ascii_case(b"connection: close"));
            let (status, body): (&str, &[u8]) = match files.get(path) {
                Some(bytes) => ("200 OK", bytes),
                None => ("404 Not Found", b""),
            };
            let connection = if close { "Connection: close\r\n" } else { "" };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\n{connection}\r\n",
                body.len()
            );
            if write_both(&mut s, head.as_bytes(), body).is_err() {
                return;
            }
            buf.copy_within(end + 4..have, 0);
            have -= end + 4;
            if close {
                return;
            }
        }
        if have == buf.len() {
            return;
        }
    }
}

fn write_both(s: &mut TcpStream, head: &[u8], body: &[u8]) -> std::io::Result<()> {
    let mut slices = [IoSlice::new(head), IoSlice::new(body)];
    let mut rest = &mut slices[..];
    IoSlice::advance_slices(&mut rest, 0);
    while !rest.is_empty() {
        let n = s.write_vectored(rest)?;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        IoSlice::advance_slices(&mut rest, n);
    }
    Ok(())
}
