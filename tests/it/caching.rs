//! Caching across processes and over a socket: ETags the same in both modes and after a
//! restart, the in-memory file cache against changes on disk, a 304 on a kept connection.
//! Conditional requests, ranges and sidecars are tested in-process in
//! `src/respond/tests/caching.rs`.

use std::io::{BufReader, Write};

use crate::both_modes;
use crate::util::*;

/// A site with a 1,000-byte patterned file.
fn site_with_data(name: &str) -> (Site, Vec<u8>) {
    let site = Site::new(name);
    let data = site.add_big("data.bin", 1000);
    (site, data)
}

#[test]
fn etags_are_stable_across_restarts_and_modes() {
    let (site, _) = site_with_data("etag-stable");
    let a = TestServer::start(Mode::Thread, &site.root(), &["--quiet"]);
    // Another server: process mode where there is one (Unix), else thread mode again.
    let other = *modes().last().unwrap();
    let b = TestServer::start(other, &site.root(), &["--quiet"]);
    let ea = req(&a, "GET", "/data.bin", &[])
        .header("etag")
        .unwrap()
        .to_string();
    let eb = req(&b, "GET", "/data.bin", &[])
        .header("etag")
        .unwrap()
        .to_string();
    assert_eq!(ea, eb);
    assert!(ea.starts_with('"') && ea.ends_with('"'), "strong: {ea}");
}

both_modes! {
    fn files_kept_in_memory_are_always_the_files_on_disk(mode) {
        let site = Site::new("memory");
        let path = site.root().join("settled.txt");
        std::fs::write(&path, b"first version\n").unwrap();
        let server = TestServer::start(mode, &site.root(), &["--quiet"]);
        // Only files left alone for a second are kept in memory.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        for _ in 0..3 {
            assert_eq!(req(&server, "GET", "/settled.txt", &[]).body, b"first version\n");
        }
        // Edited in place, same length: seen on the very next request, on every platform.
        std::fs::write(&path, b"secnd version\n").unwrap();
        let resp = req(&server, "GET", "/settled.txt", &[]);
        assert_eq!((resp.status, resp.body.as_slice()), (200, &b"secnd version\n"[..]));
        // Rewritten in place, same length, modification time put back (`cp -p`, `touch
        // -r`): Unix sees the change time at once; Windows has none in std, and re-reads
        // a copy a second (`REVALIDATE`) after it read it.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        for _ in 0..3 {
            assert_eq!(req(&server, "GET", "/settled.txt", &[]).body, b"secnd version\n");
        }
        let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
        std::fs::write(&path, b"third version\n").unwrap();
        std::fs::File::options().write(true).open(&path).unwrap().set_modified(mtime).unwrap();
        if cfg!(windows) {
            std::thread::sleep(std::time::Duration::from_millis(1100));
        }
        let resp = req(&server, "GET", "/settled.txt", &[]);
        assert_eq!((resp.status, resp.body.as_slice()), (200, &b"third version\n"[..]));
        // Replaced by another file; then removed.
        let other = site.root().join("other.txt");
        std::fs::write(&other, b"a third, longer version\n").unwrap();
        std::fs::rename(&other, &path).unwrap();
        assert_eq!(req(&server, "GET", "/settled.txt", &[]).body, b"a third, longer version\n");
        std::fs::remove_file(&path).unwrap();
        assert_eq!(req(&server, "GET", "/settled.txt", &[]).status, 404);
        // Made unreadable: 403 from memory too (root reads anything: skip the check then).
        std::fs::write(&path, b"private\n").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(req(&server, "GET", "/settled.txt", &[]).body, b"private\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
            let denied = std::fs::read(&path).is_err();
            let status = req(&server, "GET", "/settled.txt", &[]).status;
            assert_eq!(status, if denied { 403 } else { 200 });
        }
    }

    /// What remains on a socket of `if_none_match_and_if_modified_since_give_304` (now in
    /// `src/respond/tests/caching.rs`): a 304 keeps the connection usable.
    fn a_304_keeps_the_connection_usable(mode) {
        let (site, _) = site_with_data("304-keepalive");
        let server = TestServer::start(mode, &site.root(), &["--quiet"]);
        let etag = req(&server, "GET", "/data.bin", &[]).header("etag").unwrap().to_string();
        let mut s = server.connect();
        s.write_all(format!("GET /data.bin HTTP/1.1\r\nHost: t\r\nIf-None-Match: {etag}\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes()).unwrap();
        let mut reader = BufReader::new(s);
        assert_eq!(read_response(&mut reader, false).status, 304);
        assert_eq!(read_response(&mut reader, false).body, b"hello\n");
    }
}

/// Red team (issue 14 item 5): `platform.rs` said a file renamed over another "brings its
/// own creation time". Under Wine the creation time is the modification time, and on
/// NTFS and FAT file system tunnelling gives a name deleted or renamed over within 15 s
/// its old creation time back (the "safe save" of editors and deploy tools): a
/// same-length file with the same modification time renamed over a cached one is not
/// seen by the metadata there. Unix sees it at once (another inode); Windows within the
/// cache's one-second re-read.
#[test]
fn a_same_length_file_renamed_over_a_cached_one_is_served_fresh() {
    let site = Site::new("rename-over");
    let path = site.root().join("v.txt");
    std::fs::write(&path, b"version 1\n").unwrap();
    let server = TestServer::start(Mode::Thread, &site.root(), &["--quiet"]);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    for _ in 0..3 {
        assert_eq!(req(&server, "GET", "/v.txt", &[]).body, b"version 1\n");
    }
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    let staged = site.root().join("v.txt.tmp");
    std::fs::write(&staged, b"version 2\n").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&staged)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    std::fs::rename(&staged, &path).unwrap();
    if cfg!(windows) {
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    assert_eq!(req(&server, "GET", "/v.txt", &[]).body, b"version 2\n");
}
