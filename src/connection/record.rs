//! What a response leaves behind: the observer's [`Record`] and the access-log line.
//!
//! Both are made before the response is sent (the observer is told then); the log line
//! is emitted once it is sent, with the body bytes really sent. Nothing here touches the
//! socket or decides a response.

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::ops::Range;

use crate::config::{Config, Record};
use crate::fault::Fault;
use crate::http::request::{first_line, Head};
use crate::log;

/// The trace of one connection's responses: its peer, and the access-log line of the
/// response being sent, reused from one response to the next.
pub(super) struct Trace<'a> {
    config: &'a Config,
    peer: SocketAddr,
    line: Vec<u8>,
    /// Where the bytes field is in `line`.
    bytes_at: Range<usize>,
    /// The fault rule that applied to this response, for the end of its log line.
    fault: Option<String>,
}

impl<'a> Trace<'a> {
    /// The trace of the connection on `stream`. Only the log and the observer need the
    /// peer: a quiet server skips the syscall.
    pub(super) fn new(stream: &TcpStream, config: &'a Config) -> Trace<'a> {
        let recorded = config.access_log || config.observer.is_some();
        let peer = recorded
            .then(|| stream.peer_addr().ok())
            .flatten()
            .unwrap_or(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)));
        Trace {
            config,
            peer,
            line: Vec::new(),
            bytes_at: 0..0,
            fault: None,
        }
    }

    /// Tells the observer about a response now, and prepares its access-log line for
    /// [`Trace::emit`]. `raw` starts with the request head, which may be malformed when
    /// `head` is `None`.
    pub(super) fn note(
        &mut self,
        raw: &[u8],
        head: Option<&Head<'_>>,
        status: u16,
        bytes: u64,
        now: u64,
    ) {
        let line = match first_line(raw) {
            b"" => b"-",
            line => line,
        };
        if let Some(observer) = &self.config.observer {
            let (method, target) = match head {
                Some(h) => (h.method.to_owned(), h.target.to_owned()),
                None => split_request_line(line),
            };
            observer.notify(&Record {
                peer: self.peer,
                method,
                target,
                status,
                bytes,
            });
        }
        if !self.config.access_log {
            return;
        }
        let field = |name: &str| {
            head.and_then(|h| h.headers.iter().find(|f| f.name.eq_ignore_ascii_case(name)))
                .map(|f| f.value)
        };
        self.line.clear();
        self.bytes_at = log::format(
            &mut self.line,
            &log::Entry {
                // An IPv4 client of a `::` listener is logged as 127.0.0.1, not ::ffff:127.0.0.1.
                peer: self.peer.ip().to_canonical(),
                time: now,
                request_line: line,
                status,
                bytes,
                referer: field("referer"),
                user_agent: field("user-agent"),
            },
        );
    }

    /// The response was cut short after `sent` body bytes: the log says so.
    pub(super) fn cut_short(&mut self, sent: u64) {
        log::set_bytes(&mut self.line, self.bytes_at.clone(), sent);
    }

    /// Notes the fault rule that applies to the next response (`None`: none does); its
    /// log line then ends with `"fault: RULE"`.
    pub(super) fn mark_fault(&mut self, rule: Option<&Fault>) {
        self.fault = match rule {
            Some(rule) if self.config.access_log => Some(rule.to_string()),
            _ => None,
        };
    }

    /// Queues the access-log line of the response just sent, if the log is on.
    pub(super) fn emit(&self) {
        if !self.config.access_log {
            return;
        }
        match &self.fault {
            None => log::emit(&self.line),
            Some(rule) => {
                let mut line = self.line.clone();
                line.pop();
                line.extend_from_slice(b" \"fault: ");
                log::escape_into(&mut line, rule.as_bytes());
                line.extend_from_slice(b"\"\n");
                log::emit(&line);
            }
        }
    }
}

/// The method and target of a request line that did not parse, as far as its words go.
fn split_request_line(line: &[u8]) -> (String, String) {
    let text = String::from_utf8_lossy(line);
    let mut words = text.split(' ');
    let method = words.next().unwrap_or("").to_owned();
    (method, words.next().unwrap_or("").to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Observer;
    use std::sync::{Arc, Mutex};

    #[test]
    fn a_malformed_request_line_is_split_as_far_as_it_goes() {
        let table: &[(&[u8], &str, &str)] = &[
            (b"GET / HTTP/1.1", "GET", "/"),
            (b"GET  /x", "GET", ""),
            (b"BREW", "BREW", ""),
            (b"-", "-", ""),
            (b"G\xffT /\xfe", "G\u{fffd}T", "/\u{fffd}"),
        ];
        for (line, method, target) in table {
            let want = (method.to_string(), target.to_string());
            assert_eq!(split_request_line(line), want);
        }
    }

    /// The observer hears of a malformed head with the words it had, the log line
    /// carries it escaped, and a head with no line at all is logged as `-`.
    #[test]
    fn notes_for_the_observer_and_the_log() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let config = Config {
            access_log: true,
            observer: Some(Observer::new(move |r| sink.lock().unwrap().push(r.clone()))),
            ..Config::default()
        };
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let mut trace = Trace::new(&client, &config);
        let peer = client.peer_addr().unwrap();
        trace.note(b"\r\nBAD\x1b[31m /x\r\nHost: h\r\n\r\n", None, 400, 7, 0);
        assert!(trace
            .line
            .starts_with(b"127.0.0.1 - - [01/Jan/1970:00:00:00 +0000] "));
        assert!(
            trace
                .line
                .ends_with(b"\"BAD\\x1b[31m /x\" 400 7 \"-\" \"-\"\n"),
            "{}",
            String::from_utf8_lossy(&trace.line)
        );
        trace.cut_short(3);
        assert!(trace.line.ends_with(b" 400 3 \"-\" \"-\"\n"));
        trace.note(b"\r\n\r\n", None, 400, 0, 0);
        assert!(trace.line.ends_with(b"\"-\" 400 0 \"-\" \"-\"\n"));
        let records = seen.lock().unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(
            records[0],
            Record {
                peer,
                method: "BAD\u{1b}[31m".into(),
                target: "/x".into(),
                status: 400,
                bytes: 7,
            }
        );
        assert_eq!(
            (records[1].method.as_str(), records[1].target.as_str()),
            ("-", "")
        );
    }
}
