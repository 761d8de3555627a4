//! The command line: help, version, usage errors (exit 2), runtime failures (exit 1).

use std::net::TcpListener;

use assert_cmd::Command;

use crate::util::*;

fn servedir() -> Command {
    Command::new(binary())
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn help_describes_both_modes_and_every_flag() {
    let out = servedir().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "--port",
        "--bind",
        "--mode",
        "thread",
        "process",
        "--max-connections",
        "--timeout",
        "--hidden",
        "--follow-symlinks",
        "--quiet",
        "--version",
    ] {
        assert!(text.contains(needle), "help lacks {needle}");
    }
    let out = servedir().arg("-h").output().unwrap();
    assert!(out.status.success());
}

#[test]
fn version_prints_the_crate_version() {
    let out = servedir().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("servedir {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_2_quoting_the_input() {
    for (args, needle) in [
        (&["--frobnicate"][..], "'--frobnicate'"),
        (&["--port", "http"], "'http'"),
        (&["--port", "70000"], "'70000'"),
        (&["--mode", "fork"], "'fork'"),
        (&["--timeout", "soon"], "'soon'"),
        (&["--bind", "localhost:80"], "'localhost:80'"),
        (&["a", "b"], "'b'"),
        (&["--port"], "--port"),
    ] {
        let out = servedir().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr_of(&out);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(err.contains("--help"), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 2, "{args:?}: {err}");
    }
}

#[test]
fn a_missing_root_exits_1_naming_it() {
    let dir = TempDir::new("cli-missing");
    let missing = dir.path().join("no-such-dir");
    let out = servedir()
        .arg(&missing)
        .args(["--port", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(err.contains(missing.to_str().unwrap()), "{err}");
    // servedir's own words, the same on every platform (Windows says "File not found.").
    assert!(err.contains(": no such file or directory\n"), "{err}");

    let file = dir.path().join("file.txt");
    std::fs::write(&file, "x").unwrap();
    let out = servedir()
        .arg(&file)
        .args(["--port", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("not a directory"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn a_busy_port_exits_1_naming_the_address() {
    let dir = TempDir::new("cli-busy");
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = servedir()
        .arg(dir.path())
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .timeout(std::time::Duration::from_secs(10))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(
        err.contains(&format!("cannot bind 127.0.0.1:{port}: ")),
        "{err}"
    );
    assert!(
        err.ends_with(&format!(
            "cannot bind 127.0.0.1:{port}: address already in use\n"
        )),
        "{err}"
    );
}

/// A root spelled differently from its real path but with no link on the way (`a/../a`;
/// on Windows also another case of a letter) prints the real path alone: the "links on
/// the way" note is for roots that do go through a link (`races`).
#[test]
fn a_root_spelled_another_way_without_links_is_printed_plainly() {
    let site = Site::new("cli-spelled");
    let root = std::fs::canonicalize(site.root()).unwrap();
    // Windows: as the user would write it, without the `\\?\` std adds (and with which
    // `..` would be a name, not a step up).
    let shown = root
        .to_str()
        .unwrap()
        .trim_start_matches(r"\\?\")
        .to_owned();
    let plain = std::path::PathBuf::from(&shown);
    let name = plain.file_name().unwrap().to_str().unwrap().to_owned();
    let mut spellings = vec![plain.join("..").join(&name)];
    if cfg!(windows) {
        spellings.push(plain.with_file_name(name.to_uppercase()));
    }
    for given in spellings {
        let server = TestServer::start(Mode::Thread, &given, &[]);
        let err = server.stderr();
        assert!(
            err.contains(&format!("serving {shown}\n")),
            "{}: {err}",
            given.display()
        );
        assert!(
            !err.contains("links on the way"),
            "{}: {err}",
            given.display()
        );
    }
}

#[test]
fn prints_the_root_and_every_listener() {
    let site = Site::new("cli-listen");
    let server = TestServer::start(Mode::Thread, &site.root(), &[]);
    let err = server.stderr();
    let root = std::fs::canonicalize(site.root()).unwrap();
    // Windows: printed as the user would write it, without the `\\?\` std adds.
    let root = root.to_str().unwrap().trim_start_matches(r"\\?\");
    assert!(err.contains(&format!("serving {root}\n")), "{err}");
    assert!(
        err.contains(&format!("listening on http://{}/\n", server.addr)),
        "{err}"
    );
}

#[test]
fn binding_every_address_also_prints_a_url_a_browser_can_open() {
    use std::io::BufRead;
    let site = Site::new("cli-any");
    let mut child = std::process::Command::new(binary())
        .args(["--bind", "0.0.0.0", "--port", "0", "--quiet"])
        .arg(site.root())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let _serving = lines.next().unwrap().unwrap();
    let listening = lines.next().unwrap().unwrap();
    let local = lines.next().unwrap().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let port = listening
        .strip_prefix("listening on http://0.0.0.0:")
        .and_then(|r| r.strip_suffix('/'))
        .unwrap_or_else(|| panic!("{listening}"));
    assert_eq!(
        local,
        format!(
            "  on this machine: http://127.0.0.1:{port}/ (other machines: this machine's address)"
        )
    );
}

/// Issue 12, item 13: run from a directory without `html/` (servedir installed and run
/// anywhere), the error now says how to serve the current directory.
#[test]
fn no_root_and_no_html_here_suggests_serving_the_current_directory() {
    let dir = TempDir::new("cli-no-html");
    let out = servedir()
        .current_dir(dir.path())
        .args(["--port", "0"])
        .timeout(std::time::Duration::from_secs(10))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr_of(&out),
        "servedir: cannot serve html: no such file or directory\n\
         servedir: ROOT defaults to ./html, which is not here; to serve the current \
         directory, run: servedir .\n"
    );
    // A ROOT that was given and is missing gets no such hint.
    let out = servedir()
        .current_dir(dir.path())
        .args(["--port", "0", "public"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !stderr_of(&out).contains("servedir ."),
        "{}",
        stderr_of(&out)
    );
}

/// Issue 12, item 13: `-b 0.0.0.0 -b ::` failed with a bare "Address already in use"
/// about servedir's own IPv4 listener. Where `::` is dual-stack the message says so.
#[cfg(target_os = "linux")]
#[test]
fn both_wildcards_explain_that_a_dual_stack_wildcard_covers_ipv4() {
    let v6only = std::fs::read_to_string("/proc/sys/net/ipv6/bindv6only").unwrap();
    assert_eq!(v6only.trim(), "0", "Linux's default: `::` is dual-stack");
    assert!(
        std::net::TcpListener::bind("[::1]:0").is_ok(),
        "this test needs IPv6 on loopback"
    );
    let dir = TempDir::new("cli-dual-stack");
    for (first, second) in [("0.0.0.0", "::"), ("::", "0.0.0.0")] {
        let out = servedir()
            .arg(dir.path())
            .args(["--port", "0", "-b", first, "-b", second])
            .timeout(std::time::Duration::from_secs(10))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{first} {second}");
        let err = stderr_of(&out);
        assert!(err.contains("address already in use"), "{err}");
        assert!(
            err.contains("`::` is dual-stack here and already covers IPv4; bind `::` alone"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

/// On Windows `::` is IPv6-only unless a program asks otherwise, so `-b 0.0.0.0 -b ::`
/// is two listeners on one port, each answering its own family.
#[cfg(windows)]
#[test]
fn both_wildcards_listen_side_by_side_where_ipv6_is_separate() {
    let site = Site::new("cli-two-wildcards");
    let mut child = std::process::Command::new(binary())
        .args(["--port", "0", "-b", "0.0.0.0", "-b", "::", "--quiet", "--"])
        .arg(site.root())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let mut listening = Vec::new();
    while listening.len() < 2 {
        let line = lines.next().expect("servedir ended early").unwrap();
        if let Some(url) = line.strip_prefix("listening on ") {
            listening.push(url.to_owned());
        }
    }
    let port = listening[0]
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    assert_eq!(
        listening,
        [
            format!("http://0.0.0.0:{port}/"),
            format!("http://[::]:{port}/")
        ]
    );
    for local in [format!("127.0.0.1:{port}"), format!("[::1]:{port}")] {
        let resp = client()
            .get(format!("http://{local}/hello.txt"))
            .send()
            .unwrap();
        assert_eq!(resp.status(), 200, "{local}");
        assert_eq!(resp.text().unwrap(), "hello\n", "{local}");
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Issue 14, item 3: process mode needs Unix. Asked for elsewhere, it is refused at
/// start-up, before anything is bound: one line that says why and what to use, exit 2.
#[cfg(not(unix))]
#[test]
fn process_mode_is_refused_where_it_cannot_work() {
    let dir = TempDir::new("cli-no-process-mode");
    let out = servedir()
        .arg(dir.path())
        .args(["--port", "0", "--mode", "process"])
        .timeout(std::time::Duration::from_secs(10))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr_of(&out),
        "servedir: --mode process is not available on this platform: std can hand a \
         connection to a child process only on Unix (Linux, macOS); use --mode thread (the \
         default)\n"
    );
    assert!(out.stdout.is_empty());
    // Thread mode, asked for by name, is fine.
    let out = servedir()
        .args(["--mode", "thread", "--version"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

/// Issue 12, item 13: an empty field value is legal (RFC 9110 §5.5) and was refused.
#[test]
fn an_empty_extra_header_value_is_accepted_and_sent() {
    let site = Site::new("cli-empty-header");
    let server = TestServer::start(
        Mode::Thread,
        &site.root(),
        &["-H", "X-Empty:", "-H", "X-Robots-Tag:  "],
    );
    let resp = get(&server, "/hello.txt");
    assert_eq!(resp.status, 200);
    assert!(resp.head.contains("\r\nX-Empty: \r\n"), "{}", resp.head);
    assert!(
        resp.head.contains("\r\nX-Robots-Tag: \r\n"),
        "{}",
        resp.head
    );
    // No colon is still a mistake.
    let out = servedir()
        .args(["-H", "X-Empty", "--port", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("invalid value 'X-Empty' for '-H'"),
        "{}",
        stderr_of(&out)
    );
}

/// New-user review: nothing at start-up said that live reload, clean URLs or fault rules
/// were on, so a command reused from the shell's history failed on purpose unannounced.
#[test]
fn settings_that_change_every_answer_are_announced_at_start_up() {
    let site = Site::new("cli-announce");
    let server = TestServer::start(
        Mode::Thread,
        &site.root(),
        &["--live", "--clean-urls", "--fault", "/x=status:503,times:2"],
    );
    assert!(eventually(std::time::Duration::from_secs(5), || server
        .stderr()
        .contains("fault rules on")));
    let err = server.stderr();
    for line in [
        "live reload on: HTML pages load /.servedir/live.js\n",
        "clean URLs on: /about serves about.html\n",
        "fault rules on: /x=status:503,times:2\n",
    ] {
        assert!(err.contains(line), "{err}");
    }
    let plain = TestServer::start(Mode::Thread, &site.root(), &[]);
    assert!(!plain.stderr().contains(" on: "), "{}", plain.stderr());
}
