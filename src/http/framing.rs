//! What a parsed head says about the bytes after it and about the connection: how the
//! request body is framed (RFC 9112 §6) and whether the connection may persist (§9.3).
//!
//! Pure policy on a [`Head`]; reading or discarding the body is `connection/`'s job.

use crate::http::request::{Head, Version};

/// How the body of a request is dealt with: servedir wants no request body, so it is
/// either skipped or refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyPlan {
    /// No body, or one small enough to read and throw away: the connection stays usable.
    Discard(u64),
    /// A body we will not read: answer, then close.
    Refuse,
}

impl Head<'_> {
    /// The Content-Length / Transfer-Encoding rules for a request whose body we do not
    /// want; a body up to `max_discard` bytes is read and dropped.
    ///
    /// # Errors
    /// Both fields together, or a Content-Length that is not one plain number: the framing
    /// is ambiguous (request smuggling, RFC 9112 §6.3), so the caller answers 400 and
    /// closes. The text names the defect, for the log.
    pub(crate) fn body_plan(&self, max_discard: u64) -> Result<BodyPlan, &'static str> {
        let te = self.count("transfer-encoding") > 0;
        let cl_fields = self.count("content-length");
        if te && cl_fields > 0 {
            return Err("both Transfer-Encoding and Content-Length");
        }
        if te {
            return Ok(BodyPlan::Refuse);
        }
        if cl_fields == 0 {
            return Ok(BodyPlan::Discard(0));
        }
        if cl_fields > 1 {
            return Err("more than one Content-Length");
        }
        let value = self.header("content-length").unwrap_or("");
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err("invalid Content-Length");
        }
        let n: u64 = value.parse().map_err(|_| "Content-Length overflows")?;
        // A client waiting for `100 Continue` may never send the body: do not wait for it.
        let waits_for_continue = self
            .header("expect")
            .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
        if n > max_discard || (n > 0 && waits_for_continue) {
            return Ok(BodyPlan::Refuse);
        }
        Ok(BodyPlan::Discard(n))
    }

    /// Whether the client lets the connection persist after this request (RFC 9112
    /// §9.3): HTTP/1.1 unless it says `close`, HTTP/1.0 only if it asks for `keep-alive`.
    pub(crate) fn keeps_alive(&self) -> bool {
        match self.version {
            Version::Http11 => !self.connection_has("close"),
            Version::Http10 => self.connection_has("keep-alive"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::request::{parse_head, Parsed};

    fn with_head<T>(text: &str, f: impl FnOnce(&Head<'_>) -> T) -> T {
        match parse_head(text.as_bytes(), 8192, 100) {
            Ok(Parsed::Complete { head, .. }) => f(&head),
            other => panic!("{text:?}: {other:?}"),
        }
    }

    #[test]
    fn body_framing() {
        use BodyPlan::*;
        let table: &[(&str, Result<BodyPlan, &str>)] = &[
            ("", Ok(Discard(0))),
            ("Content-Length: 0\r\n", Ok(Discard(0))),
            ("Content-Length: 10\r\n", Ok(Discard(10))),
            ("Content-Length: 100\r\n", Ok(Discard(100))),
            ("Content-Length: 101\r\n", Ok(Refuse)),
            ("Content-Length: 007\r\n", Ok(Discard(7))),
            ("Transfer-Encoding: chunked\r\n", Ok(Refuse)),
            // RFC 9112 §6.3: smuggling shapes are 400, never guessed.
            (
                "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
                Err("both Transfer-Encoding and Content-Length"),
            ),
            (
                "Content-Length: 5\r\nContent-Length: 5\r\n",
                Err("more than one Content-Length"),
            ),
            ("Content-Length: 5, 5\r\n", Err("invalid Content-Length")),
            ("Content-Length: +5\r\n", Err("invalid Content-Length")),
            ("Content-Length: -1\r\n", Err("invalid Content-Length")),
            ("Content-Length: 0x10\r\n", Err("invalid Content-Length")),
            ("Content-Length:\r\n", Err("invalid Content-Length")),
            (
                "Content-Length: 99999999999999999999\r\n",
                Err("Content-Length overflows"),
            ),
            // A client waiting for 100 Continue never sends its body unasked.
            ("Content-Length: 5\r\nExpect: 100-continue\r\n", Ok(Refuse)),
            (
                "Content-Length: 0\r\nExpect: 100-Continue\r\n",
                Ok(Discard(0)),
            ),
        ];
        for (fields, want) in table {
            let text = format!("POST / HTTP/1.1\r\nHost: h\r\n{fields}\r\n");
            assert_eq!(with_head(&text, |h| h.body_plan(100)), *want, "{fields:?}");
        }
    }

    #[test]
    fn persistence() {
        let table = [
            ("HTTP/1.1", "", true),
            ("HTTP/1.1", "Connection: close\r\n", false),
            ("HTTP/1.1", "Connection: keep-alive, CLOSE\r\n", false),
            ("HTTP/1.1", "Connection: keep-alive\r\n", true),
            ("HTTP/1.0", "", false),
            ("HTTP/1.0", "Connection: keep-alive\r\n", true),
            ("HTTP/1.0", "Connection: Keep-Alive\r\n", true),
            ("HTTP/1.0", "Connection: close\r\n", false),
        ];
        for (version, fields, persists) in table {
            let text = format!("GET / {version}\r\nHost: h\r\n{fields}\r\n");
            assert_eq!(
                with_head(&text, |h| h.keeps_alive()),
                persists,
                "{version} {fields:?}"
            );
        }
    }
}
