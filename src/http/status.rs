//! `Status`: the status codes servedir answers with, their reason phrases, and the one
//! mapping from a filesystem error to a status.
//!
//! Its own module so that parsing a request (`request.rs`) does not import the writer
//! (`response.rs`); it writes nothing itself.

use std::io;

use crate::errors::is_missing;

/// The statuses servedir answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 200
    Ok,
    /// 204
    NoContent,
    /// 206
    PartialContent,
    /// 301
    MovedPermanently,
    /// 304
    NotModified,
    /// 400
    BadRequest,
    /// 403
    Forbidden,
    /// 404
    NotFound,
    /// 405
    MethodNotAllowed,
    /// 408
    RequestTimeout,
    /// 412
    PreconditionFailed,
    /// 414
    UriTooLong,
    /// 416
    RangeNotSatisfiable,
    /// 431
    HeaderFieldsTooLarge,
    /// 500
    InternalServerError,
    /// 501
    NotImplemented,
    /// 503
    ServiceUnavailable,
    /// 505
    VersionNotSupported,
    /// Any other 4xx or 5xx code, as a fault rule forces it (`status:CODE`, `fault/`).
    Other(u16),
}

impl Status {
    /// The three-digit code.
    pub fn code(self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::NoContent => 204,
            Status::PartialContent => 206,
            Status::MovedPermanently => 301,
            Status::NotModified => 304,
            Status::BadRequest => 400,
            Status::Forbidden => 403,
            Status::NotFound => 404,
            Status::MethodNotAllowed => 405,
            Status::RequestTimeout => 408,
            Status::PreconditionFailed => 412,
            Status::UriTooLong => 414,
            Status::RangeNotSatisfiable => 416,
            Status::HeaderFieldsTooLarge => 431,
            Status::InternalServerError => 500,
            Status::NotImplemented => 501,
            Status::ServiceUnavailable => 503,
            Status::VersionNotSupported => 505,
            Status::Other(code) => code,
        }
    }

    /// The reason phrase (RFC 9110 §15).
    pub fn reason(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::NoContent => "No Content",
            Status::PartialContent => "Partial Content",
            Status::MovedPermanently => "Moved Permanently",
            Status::NotModified => "Not Modified",
            Status::BadRequest => "Bad Request",
            Status::Forbidden => "Forbidden",
            Status::NotFound => "Not Found",
            Status::MethodNotAllowed => "Method Not Allowed",
            Status::RequestTimeout => "Request Timeout",
            Status::PreconditionFailed => "Precondition Failed",
            Status::UriTooLong => "URI Too Long",
            Status::RangeNotSatisfiable => "Range Not Satisfiable",
            Status::HeaderFieldsTooLarge => "Request Header Fields Too Large",
            Status::InternalServerError => "Internal Server Error",
            Status::NotImplemented => "Not Implemented",
            Status::ServiceUnavailable => "Service Unavailable",
            Status::VersionNotSupported => "HTTP Version Not Supported",
            Status::Other(code) => other_reason(code),
        }
    }

    /// The status with this code: one of the named ones, else [`Status::Other`].
    pub fn from_code(code: u16) -> Status {
        const NAMED: [Status; 18] = [
            Status::Ok,
            Status::NoContent,
            Status::PartialContent,
            Status::MovedPermanently,
            Status::NotModified,
            Status::BadRequest,
            Status::Forbidden,
            Status::NotFound,
            Status::MethodNotAllowed,
            Status::RequestTimeout,
            Status::PreconditionFailed,
            Status::UriTooLong,
            Status::RangeNotSatisfiable,
            Status::HeaderFieldsTooLarge,
            Status::InternalServerError,
            Status::NotImplemented,
            Status::ServiceUnavailable,
            Status::VersionNotSupported,
        ];
        NAMED
            .into_iter()
            .find(|s| s.code() == code)
            .unwrap_or(Status::Other(code))
    }

    /// The one place a filesystem error becomes a status: missing (`errors::is_missing`)
    /// → 404, permission denied → 403, anything else → 500 (details go to the log only).
    pub fn from_io_error(err: &io::Error) -> Status {
        if is_missing(err) {
            Status::NotFound
        } else if err.kind() == io::ErrorKind::PermissionDenied {
            Status::Forbidden
        } else {
            Status::InternalServerError
        }
    }
}

/// Reason phrases (RFC 9110 §15, RFC 6585) of the codes a fault rule may force that
/// servedir never answers with on its own; "Error" for the rest (the phrase is advisory).
fn other_reason(code: u16) -> &'static str {
    match code {
        401 => "Unauthorized",
        402 => "Payment Required",
        406 => "Not Acceptable",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        418 => "I'm a teapot",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        425 => "Too Early",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        502 => "Bad Gateway",
        504 => "Gateway Timeout",
        507 => "Insufficient Storage",
        _ => "Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_map_to_statuses() {
        use io::ErrorKind::*;
        for (kind, code) in [
            (NotFound, 404),
            (NotADirectory, 404),
            (PermissionDenied, 403),
            (Other, 500),
            (InvalidData, 500),
            (InvalidFilename, 404),
        ] {
            assert_eq!(
                Status::from_io_error(&io::Error::from(kind)).code(),
                code,
                "{kind:?}"
            );
        }
        // A symlink loop leads nowhere: 404, as a lookup answers it.
        assert_eq!(
            Status::from_io_error(&io::Error::from_raw_os_error(crate::platform::errno::ELOOP)),
            Status::NotFound
        );
    }

    #[test]
    fn codes_round_trip_through_from_code() {
        for code in [200, 404, 503, 429, 418, 599] {
            assert_eq!(Status::from_code(code).code(), code);
        }
        assert_eq!(Status::from_code(503), Status::ServiceUnavailable);
        assert_eq!(Status::from_code(429).reason(), "Too Many Requests");
        assert_eq!(Status::from_code(599).reason(), "Error");
    }
}
