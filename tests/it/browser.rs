//! End to end in a real browser: headless Chromium loads tests/browser/index.html from
//! servedir (a stylesheet, an ES module, an image, wasm via instantiateStreaming, a Range
//! fetch) and the page writes its verdict into the DOM, which `--dump-dom` hands back.
//!
//! Without Chromium the test says so loudly and passes; with SERVEDIR_REQUIRE_BROWSER set
//! (as .ci/run does after installing it) a missing browser is a failure. On Windows it
//! looks for `chrome.exe` and `msedge.exe` on PATH; under Wine (CI's Windows run) there is
//! none, as a Windows program cannot start the Linux Chromium, and the test says so.

use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::both_modes;
use crate::util::*;

const CHECKS: &[&str] = &["module", "css", "image", "wasm", "range", "etag"];

fn chromium() -> Option<String> {
    let path = std::env::var_os("PATH")?;
    let names: &[&str] = if cfg!(windows) {
        &["chrome.exe", "msedge.exe", "chromium.exe"]
    } else {
        &["chromium", "chromium-browser", "google-chrome"]
    };
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
            .map(|p| p.to_string_lossy().into_owned())
    })
}

/// Runs `chromium --dump-dom URL` with a fresh profile; kills it after a minute.
fn dump_dom(browser: &str, url: &str) -> String {
    let profile = TempDir::new("chromium-profile");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            // Let the module's awaits (fetch, wasm) finish before the DOM is dumped.
            "--virtual-time-budget=15000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--dump-dom", url])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait for chromium").is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 60 s");
        }
        thread::sleep(Duration::from_millis(50));
    }
    let mut out = String::new();
    use std::io::Read;
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut out)
        .expect("read the DOM");
    out
}

both_modes! {
    fn a_real_browser_accepts_what_servedir_serves(mode) {
        let Some(browser) = chromium() else {
            if std::env::var_os("SERVEDIR_REQUIRE_BROWSER").is_some() {
                panic!("SERVEDIR_REQUIRE_BROWSER is set but chromium is not installed");
            }
            eprintln!("\n\n*** SKIPPED browser test: chromium is not installed (apt-get install chromium); .ci/run installs it ***\n");
            return;
        };
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
        let server = TestServer::start(mode, &root, &["--quiet"]);
        let dom = dump_dom(&browser, &server.url("/index.html"));
        let verdict = dom
            .split("<pre id=\"verdict\">")
            .nth(1)
            .and_then(|rest| rest.split("</pre>").next())
            .unwrap_or_else(|| panic!("no verdict in the DOM: {dom}"));
        for check in CHECKS {
            assert!(verdict.contains(&format!("{check}: ok")), "{check} failed in Chromium:\n{verdict}");
        }
        assert!(verdict.trim_end().ends_with("done"), "{verdict}");
    }
}
