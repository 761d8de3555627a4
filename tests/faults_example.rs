// The README's "Testing a client against faults" examples, verbatim (tests/it/library.rs
// checks that README still holds exactly this text): a client under test against a
// server that fails, stalls and cuts downloads on demand.
use std::io::Read;
use std::time::Duration;

use servedir::{Config, Fault, Server};

/// A folder of fixtures for these examples.
fn fixtures(name: &str) -> std::io::Result<std::path::PathBuf> {
    let root = std::env::temp_dir().join(format!("faults-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&root)?;
    std::fs::write(root.join("data.json"), r#"{"ok":true}"#)?;
    std::fs::write(root.join("big.bin"), vec![7u8; 100_000])?;
    Ok(root)
}

#[test]
fn a_retrying_client_gets_the_file_on_the_third_try() -> std::io::Result<()> {
    let root = fixtures("retry")?;
    let handle = Server::bind(Config {
        root: root.clone(),
        port: 0,
        // The first two requests get 503 with Retry-After: 1, then the file is served.
        faults: Some(vec![Fault::on("/data.json").status(503).times(2)]),
        ..Config::default()
    })?
    .spawn()?;

    let client = reqwest::blocking::Client::new();
    let mut statuses = Vec::new();
    let body = loop {
        let response = client
            .get(format!("{}data.json", handle.url()))
            .send()
            .unwrap();
        statuses.push(response.status().as_u16());
        if response.status() != 503 {
            break response.text().unwrap();
        }
        assert_eq!(response.headers()["retry-after"], "1");
    };
    assert_eq!(statuses, [503, 503, 200]);
    assert_eq!(body, r#"{"ok":true}"#);
    assert_eq!(handle.fault_counts(), [2]); // the rule fired twice

    handle.shutdown()?;
    std::fs::remove_dir_all(root)
}

#[test]
fn a_client_with_a_timeout_gives_up_on_a_stalled_server() -> std::io::Result<()> {
    let root = fixtures("stall")?;
    let handle = Server::bind(Config {
        root: root.clone(),
        port: 0,
        faults: Some(vec![]), // on, but no rule yet: the server behaves
        ..Config::default()
    })?
    .spawn()?;
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let url = format!("{}data.json", handle.url());
    assert_eq!(client.get(&url).send().unwrap().status(), 200);

    // Now the server reads each request and never answers.
    handle.set_faults(vec![Fault::on("**").stall()])?;
    let err = client.get(&url).send().unwrap_err();
    assert!(err.is_timeout(), "{err}");

    // Recovery.
    handle.set_faults(vec![])?;
    assert_eq!(client.get(&url).send().unwrap().status(), 200);

    handle.shutdown()?; // a stalled connection never holds shutdown
    std::fs::remove_dir_all(root)
}

#[test]
fn a_download_cut_short_is_resumed_with_range() -> std::io::Result<()> {
    let root = fixtures("cut")?;
    let handle = Server::bind(Config {
        root: root.clone(),
        port: 0,
        // The head promises 100,000 bytes; the connection closes after 30,000.
        faults: Some(vec![Fault::on("/big.bin").cut(30_000).times(1)]),
        ..Config::default()
    })?
    .spawn()?;
    let url = format!("{}big.bin", handle.url());

    let mut response = reqwest::blocking::get(&url).unwrap();
    assert_eq!(response.content_length(), Some(100_000));
    let mut got = Vec::new();
    let err = response.read_to_end(&mut got).unwrap_err(); // the client sees the cut
    assert_eq!(got.len(), 30_000, "{err}");

    // Resume from where it stopped: the rest, byte for byte.
    let client = reqwest::blocking::Client::new();
    let rest = client
        .get(&url)
        .header("Range", format!("bytes={}-", got.len()))
        .send()
        .unwrap();
    assert_eq!(rest.status(), 206);
    got.extend_from_slice(&rest.bytes().unwrap());
    assert_eq!(got, std::fs::read(root.join("big.bin"))?);

    handle.shutdown()?;
    std::fs::remove_dir_all(root)
}
