//! Pure HTTP: the request head, request targets, dates, validators and conditional
//! requests, ranges, content-coding negotiation and media types. No filesystem, no
//! sockets: everything here is tested in-process as tables.

pub mod conditional;
pub mod date;
pub mod encoding;
pub(crate) mod framing;
pub mod mime;
pub mod range;
pub mod request;
pub(crate) mod status;
pub mod target;
