//! The flags of the features people expect (`-H`), as the real binary checks them. The
//! features' HTTP semantics (listings, SPA, 404 page, CORS, extra headers) are tested
//! in-process in `src/respond/tests/features.rs`.

use crate::util::*;

#[test]
fn invalid_header_flags_are_usage_errors() {
    for bad in [
        "X-Bad",
        "X Bad: 1",
        "Content-Length: 3",
        "Content-Encoding: identity",
        "Content-Range: bytes 0-1/2",
        "X-Ok: a\r\nInjected: 1",
    ] {
        let out = std::process::Command::new(binary())
            .args(["-H", bad, "--port", "0"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("'-H'"), "{err}");
    }
}
