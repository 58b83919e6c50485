//! `stdreg mirror` against real `stdreg serve --grpc-listen` processes: it
//! follows a live log to an identical copy, and refuses a forked history
//! and a changed key, naming what differs and importing nothing of it.

mod support;

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};
use support::{Server, ok, ok_on, run, scratch_dir, write_correction};

/// How long a mirror may take to verify a revision published on its source.
const MIRROR_WAIT: Duration = Duration::from_secs(30);

const PUBLISH: &str = "mutation($revision: JSON!) {
  publishRevisionDocument(document: $revision) { lastGlobalPosition }
}";

/// A running `stdreg mirror` (following), killed when dropped; its
/// verified sizes arrive on `verified`.
struct Mirror {
    child: Child,
    verified: mpsc::Receiver<u64>,
}

impl Mirror {
    fn start(data_dir: &str, url: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_stdreg"))
            .args(["--data-dir", data_dir, "--json", "mirror", "--from", url])
            .env_remove("STDREG_STORE")
            .env_remove("STDREG_DATA_DIR")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start stdreg mirror");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, verified) = mpsc::channel();
        // Ends when the mirror does.
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let Ok(report) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                if let Some(size) = report["verified_size"].as_u64() {
                    let _ = tx.send(size);
                }
            }
        });
        Self { child, verified }
    }

    /// Waits until the mirror has verified and imported at least `size` events.
    fn wait_for(&self, size: u64) {
        loop {
            match self.verified.recv_timeout(MIRROR_WAIT) {
                Ok(verified) if verified >= size => return,
                Ok(_) => {}
                Err(e) => {
                    panic!("the mirror did not verify size {size} within {MIRROR_WAIT:?}: {e}")
                }
            }
        }
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn token(dir: &Path) -> (String, String) {
    let tokens = dir.join("tokens.json").display().to_string();
    let made: Value = serde_json::from_str(&ok(&[
        "--data-dir",
        &dir.join("unused").display().to_string(),
        "token",
        "add",
        "--role",
        "national-editor",
        "--tokens",
        &tokens,
        "--json",
    ]))
    .expect("token json");
    (tokens, made["token"].as_str().expect("token").to_owned())
}

fn revision_document(path: &str) -> Value {
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read revision file"))
            .expect("revision json");
    file["revisions"][0].clone()
}

/// Another correction than `write_correction`'s, as an import file.
fn other_correction(dir: &Path) -> String {
    let mut file: Value =
        serde_json::from_str(&std::fs::read_to_string(write_correction(dir)).expect("read"))
            .expect("json");
    let revision = &mut file["revisions"][0];
    revision["revision"]["id"] = json!("cn-2021-corr-2");
    revision["content"]["changes"][0]["item"] = json!("radio-listening");
    revision["content"]["changes"][0]["fields"]["service_standard"]["text"] =
        json!("为农村群众提供无线广播节目");
    let path = dir.join("other-correction.json");
    std::fs::write(&path, file.to_string()).expect("write");
    path.display().to_string()
}

fn publish(server: &Server, token: &str, revision: Value) -> u64 {
    let published = server.graphql(PUBLISH, json!({ "revision": revision }), Some(token));
    published["data"]["publishRevisionDocument"]["lastGlobalPosition"]
        .as_u64()
        .unwrap_or_else(|| panic!("publish failed: {published}"))
}

/// The event lines of an export, and the size and root its checkpoint signs
/// (the signature itself is each data directory's own).
fn export(data_dir: &str) -> (Vec<String>, String) {
    let text = ok_on(data_dir, &["export"]);
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let trailer: Value = serde_json::from_str(&lines.pop().expect("trailer")).expect("trailer");
    let note = trailer["checkpoint"].as_str().expect("checkpoint");
    let signed: Vec<&str> = note.lines().skip(1).take(2).collect();
    (lines, signed.join("\n"))
}

fn head(data_dir: &str) -> u64 {
    let log: Value = serde_json::from_str(&ok_on(data_dir, &["log", "--limit", "1000", "--json"]))
        .expect("log json");
    log.as_array().expect("list").len() as u64
}

#[test]
fn a_mirror_follows_a_live_server_to_an_identical_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (tokens, token) = token(dir.path());
    let source = scratch_dir();
    let copy = scratch_dir();
    {
        let server = Server::start(
            &source,
            &["--tokens", &tokens, "--grpc-listen", "127.0.0.1:0"],
        );
        let url = server.grpc_url.clone().expect("grpc url");
        let mirror = Mirror::start(&copy, &url);
        // The bundled import, verified before anything new is published.
        mirror.wait_for(1);
        let first = publish(
            &server,
            &token,
            revision_document(&write_correction(dir.path())),
        );
        mirror.wait_for(first);
        let second = publish(
            &server,
            &token,
            revision_document(&other_correction(dir.path())),
        );
        mirror.wait_for(second);
    }
    let (events, signed) = export(&source);
    assert_eq!(export(&copy), (events.clone(), signed), "identical logs");
    assert!(events.len() > 2, "{} events", events.len());
}

#[test]
fn a_forked_history_and_a_changed_key_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let a = scratch_dir();
    ok_on(&a, &["import"]);
    let common = head(&a);
    // B shares A's history and key up to `common`, then each records another revision.
    let b = scratch_dir();
    for entry in std::fs::read_dir(&a).expect("read A") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), Path::new(&b).join(entry.file_name())).expect("copy");
    }
    ok_on(&a, &["publish", &write_correction(dir.path())]);
    ok_on(&b, &["publish", &other_correction(dir.path())]);
    // C has a log of its own, signed with another key.
    let c = scratch_dir();
    ok_on(&c, &["import"]);

    let grpc = ["--grpc-listen", "127.0.0.1:0"];
    let (server_a, server_b, server_c) = (
        Server::start(&a, &grpc),
        Server::start(&b, &grpc),
        Server::start(&c, &grpc),
    );
    let url = |server: &Server| server.grpc_url.clone().expect("grpc url");

    let mirror = scratch_dir();
    ok(&[
        "--data-dir",
        &mirror,
        "mirror",
        "--from",
        &url(&server_a),
        "--once",
    ]);
    let mirrored = export(&mirror);

    let cases = [
        (
            url(&server_b),
            vec!["forks".to_owned(), format!("position {}", common + 1)],
        ),
        (url(&server_c), vec!["refusing a key change".to_owned()]),
    ];
    for (from, needles) in cases {
        let out = run(&["--data-dir", &mirror, "mirror", "--from", &from, "--once"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{from}: {stderr}");
        for needle in needles {
            assert!(
                stderr.contains(&needle),
                "{from}: '{needle}' not in: {stderr}"
            );
        }
        assert_eq!(export(&mirror), mirrored, "nothing of {from} was imported");
    }

    // B's history is consistent in itself: a new mirror of it is accepted.
    let of_b = scratch_dir();
    ok(&[
        "--data-dir",
        &of_b,
        "mirror",
        "--from",
        &url(&server_b),
        "--once",
    ]);
    drop((server_a, server_b, server_c));
    assert_eq!(export(&of_b), export(&b));
    assert_eq!(mirrored, export(&a));
}
