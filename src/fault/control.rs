//! Where a connection's fault rules come from ([`Faults`]), and process mode's channel: the parent holds the rules and their counts
//! (`state.rs`); each child asks it, per request, which rule fires. std can pass a child
//! no descriptor beyond stdin, stdout and stderr without `unsafe`, so the channel is a
//! loopback TCP listener of the parent's, opened only when faults are on, whose address
//! and random token reach the child in [`ENV`] (the environment: not in `ps`).
//!
//! Wire (binary, per request): the child sends a `u16` length and the decoded path; the
//! parent answers `0` (no rule), or `1`, a `u16` length and the rule's text, which the
//! child reads back with the one parser. The token opens each channel, once.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use super::state::{decoded_path, FaultSet};
use super::Fault;
use crate::log;

/// The environment variable that gives a child `ADDR TOKEN`.
pub(crate) const ENV: &str = "SERVEDIR_FAULT_CONTROL";
/// How long one question or answer may take; the parent answers in microseconds.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a new channel has to give the token: a child sends it at once.
const TOKEN_TIMEOUT: Duration = Duration::from_secs(1);
/// Most channels waiting for their token at once; more are closed unanswered. Any local
/// user can connect to a loopback port: found in review, 2,000 connections that never
/// sent a token made the parent start 842 threads.
const MAX_UNPROVEN: usize = 32;

/// Channels waiting for their token.
static UNPROVEN: AtomicUsize = AtomicUsize::new(0);

/// The parent's side: the listener and its accept thread, stopped on drop.
#[derive(Debug)]
pub(crate) struct Control {
    addr: SocketAddr,
    token: String,
    stop: Arc<AtomicBool>,
}

impl Control {
    /// Opens the channel to `set` on a loopback port.
    ///
    /// # Errors
    /// No loopback address could be bound, or the thread could not start.
    pub(crate) fn start(set: Arc<FaultSet>) -> io::Result<Control> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .or_else(|_| TcpListener::bind((Ipv6Addr::LOCALHOST, 0)))?;
        let control = Control {
            addr: listener.local_addr()?,
            token: token(),
            stop: Arc::default(),
        };
        let (token, stop) = (control.token.clone(), Arc::clone(&control.stop));
        thread::Builder::new()
            .name("servedir-faults".into())
            .spawn(move || accept(&listener, &set, &token, &stop))?;
        Ok(control)
    }

    /// The value of [`ENV`] for a child.
    pub(crate) fn env_value(&self) -> String {
        format!("{} {}", self.addr, self.token)
    }
}

impl Drop for Control {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which then sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

/// 128 random bits as hex, from std's randomly keyed hasher (no `rand` crate needed).
fn token() -> String {
    (0..2)
        .map(|i| {
            let mut h = RandomState::new().build_hasher();
            h.write_u64(i);
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos()),
            );
            format!("{:016x}", h.finish())
        })
        .collect()
}

fn accept(listener: &TcpListener, set: &Arc<FaultSet>, token: &str, stop: &AtomicBool) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        if UNPROVEN.fetch_add(1, Ordering::AcqRel) >= MAX_UNPROVEN {
            UNPROVEN.fetch_sub(1, Ordering::AcqRel);
            continue; // closed: a real child connects again only if this one was it
        }
        let (set, token) = (Arc::clone(set), token.to_owned());
        // One thread per child, which ends when the child does (EOF).
        let started = thread::Builder::new()
            .name("servedir-fault-child".into())
            .spawn(move || answer(stream, &set, &token));
        if started.is_err() {
            // Its thread never runs to give the place back.
            UNPROVEN.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Whether the channel's first bytes are the token, read within [`TOKEN_TIMEOUT`].
fn prove(stream: &mut TcpStream, token: &str) -> io::Result<bool> {
    stream.set_read_timeout(Some(TOKEN_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    stream.set_nodelay(true)?;
    let mut given = vec![0; token.len()];
    stream.read_exact(&mut given)?;
    Ok(given == token.as_bytes())
}

/// Answers one child's questions until it hangs up, if it knows the token.
fn answer(mut stream: TcpStream, set: &FaultSet, token: &str) -> io::Result<()> {
    let proven = prove(&mut stream, token);
    UNPROVEN.fetch_sub(1, Ordering::AcqRel);
    if !proven? {
        return Ok(());
    }
    // A child idles between requests as long as its keep-alive allows.
    stream.set_read_timeout(None)?;
    loop {
        let path = read_frame(&mut stream)?;
        let path = String::from_utf8_lossy(&path);
        let mut reply = Vec::new();
        match set.decide(&path) {
            None => reply.push(0),
            Some((_, rule)) => {
                reply.push(1);
                write_frame(&mut reply, rule.to_string().as_bytes());
            }
        }
        stream.write_all(&reply)?;
    }
}

fn read_frame(stream: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut len = [0; 2];
    stream.read_exact(&mut len)?;
    let mut bytes = vec![0; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut bytes)?;
    Ok(bytes)
}

/// Appends `bytes` with their length, cut at 64 KiB (a path is at most the head's size).
fn write_frame(out: &mut Vec<u8>, bytes: &[u8]) {
    let bytes = &bytes[..bytes.len().min(usize::from(u16::MAX))];
    out.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// A child's side: one connection to the parent, opened at the first question.
#[derive(Debug)]
pub(crate) struct Client {
    addr: SocketAddr,
    token: String,
    stream: Mutex<Option<TcpStream>>,
}

impl Client {
    /// The client [`ENV`]'s value describes, if it is well-formed.
    pub(crate) fn from_env(value: &str) -> Option<Client> {
        let (addr, token) = value.split_once(' ')?;
        Some(Client {
            addr: addr.parse().ok()?,
            token: token.to_owned(),
            stream: Mutex::new(None),
        })
    }

    /// Which rule the parent says fires for `path`. When the parent cannot be asked (it
    /// is gone), the request is served normally and the reason goes to stderr.
    pub(crate) fn ask(&self, path: &str) -> Option<Fault> {
        let mut stream = self.stream.lock().unwrap_or_else(|e| e.into_inner());
        match self.exchange(&mut stream, path) {
            Ok(rule) => rule,
            Err(e) => {
                *stream = None;
                log::warn(format_args!(
                    "child: cannot ask the parent for fault rules: {e}"
                ));
                None
            }
        }
    }

    fn exchange(&self, stream: &mut Option<TcpStream>, path: &str) -> io::Result<Option<Fault>> {
        if stream.is_none() {
            let mut s = TcpStream::connect_timeout(&self.addr, IO_TIMEOUT)?;
            s.set_read_timeout(Some(IO_TIMEOUT))?;
            s.set_write_timeout(Some(IO_TIMEOUT))?;
            s.set_nodelay(true)?;
            s.write_all(self.token.as_bytes())?;
            *stream = Some(s);
        }
        let Some(s) = stream.as_mut() else {
            return Ok(None);
        };
        let mut question = Vec::with_capacity(path.len() + 2);
        write_frame(&mut question, path.as_bytes());
        s.write_all(&question)?;
        let mut tag = [0];
        s.read_exact(&mut tag)?;
        if tag[0] == 0 {
            return Ok(None);
        }
        let text = read_frame(s)?;
        let text = String::from_utf8_lossy(&text);
        Fault::parse(&text)
            .map(Some)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))
    }
}

/// Where a connection's faults come from.
#[derive(Debug, Clone, Default)]
pub(crate) enum Faults {
    /// No fault injection (`Config::faults` is `None`): costs nothing per request.
    #[default]
    Off,
    /// This process's table (thread mode, and the parent in process mode).
    Local(Arc<FaultSet>),
    /// A process-mode child: the parent's table, asked over the control channel.
    Remote(Arc<Client>),
}

impl Faults {
    /// The fault rule that applies to a request for `target` (as sent), if any. A target
    /// that does not parse gets none: it is answered 400 as ever.
    pub(crate) fn decide(&self, target: &str) -> Option<Fault> {
        if matches!(self, Faults::Off) {
            return None;
        }
        let path = decoded_path(target)?;
        match self {
            Faults::Off => None,
            Faults::Local(set) => set.decide(&path).map(|(_, rule)| rule),
            Faults::Remote(client) => client.ask(&path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_asks_and_the_parent_counts() {
        let set = Arc::new(FaultSet::new(vec![Fault::on("/x").status(503).times(1)]));
        let control = Control::start(Arc::clone(&set)).unwrap();
        let client = Client::from_env(&control.env_value()).unwrap();
        assert_eq!(client.ask("/x"), Some(Fault::on("/x").status(503).times(1)));
        assert_eq!(client.ask("/x"), None);
        assert_eq!(client.ask("/y"), None);
        assert_eq!(set.counts(), [1]);
        // Another child shares the count; a wrong token learns nothing.
        set.replace(vec![Fault::on("**").stall()]);
        let other = Client::from_env(&control.env_value()).unwrap();
        assert_eq!(other.ask("/z"), Some(Fault::on("**").stall()));
        let wrong = Client::from_env(&format!("{} {}", control.addr, "0".repeat(32))).unwrap();
        assert_eq!(wrong.ask("/z"), None);
        assert_eq!(set.counts(), [1]);
        assert!(Client::from_env("nonsense").is_none());
    }
}
