// The README's fixture example, verbatim (tests/it/library.rs checks that README still
// holds exactly this text): what a user writes to serve fixtures in their own tests.
use servedir::{Config, Server};

#[test]
fn serves_fixture_files() -> std::io::Result<()> {
    // A folder of fixtures; a real project would keep them under tests/fixtures.
    let root = std::env::temp_dir().join(format!("fixtures-{}", std::process::id()));
    std::fs::create_dir_all(&root)?;
    std::fs::write(root.join("hello.json"), r#"{"hello":"world"}"#)?;

    // Port 0: the OS picks a free port, and it is bound before `bind` returns.
    let server = Server::bind(Config {
        root: root.clone(),
        port: 0,
        ..Config::default()
    })?;
    let handle = server.spawn()?;

    let response = reqwest::blocking::get(format!("{}hello.json", handle.url())).unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.text().unwrap(), r#"{"hello":"world"}"#);

    handle.shutdown()?; // or just let `handle` drop
    std::fs::remove_dir_all(root)
}
