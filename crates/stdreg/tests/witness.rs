//! Witnesses end to end, as real processes: `stdreg witness` cosigns the
//! checkpoints a server asks it to, and `stdreg verify --witness-quorum`
//! refuses a checkpoint fewer witnesses cosigned than required.

mod support;

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use support::{Server, ok, run};

/// How long a witness may take to start, and a server to gather a cosignature.
const PATIENCE: Duration = Duration::from_secs(30);

/// A running `stdreg witness`, killed when dropped.
struct WitnessProcess {
    child: Child,
    url: String,
}

impl WitnessProcess {
    fn start(key: &str, log: &str, state: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_stdreg"))
            .args([
                "witness",
                "--listen",
                "127.0.0.1:0",
                "--key",
                key,
                "--log",
                log,
            ])
            .args(["--state", state])
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start stdreg witness");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.strip_prefix("witness listening on ") {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        let url = rx
            .recv_timeout(PATIENCE)
            .expect("stdreg witness printed its address");
        Self { child, url }
    }
}

impl Drop for WitnessProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn keygen_witness(dir: &std::path::Path, name: &str) -> (String, String) {
    let file = dir.join(format!("{}.key", name.replace('/', "_")));
    let file = file.display().to_string();
    let public = ok(&["keygen", "--witness", "--name", name, "--to", &file]);
    (file, public.trim().to_owned())
}

#[test]
fn verify_with_a_quorum_of_two_fails_when_one_witness_has_not_cosigned() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data").display().to_string();
    ok(&["--data-dir", &data, "import"]);
    let log_key = format!("{data}/log-key.pub");
    let (w1_key, w1) = keygen_witness(dir.path(), "witness.example/w1");
    let (w2_key, w2) = keygen_witness(dir.path(), "witness.example/w2");
    let state1 = dir.path().join("w1-state.json").display().to_string();
    let state2 = dir.path().join("w2-state.json").display().to_string();
    let witness1 = WitnessProcess::start(&w1_key, &log_key, &state1);
    // The second witness runs, but the registry does not ask it.
    let _witness2 = WitnessProcess::start(&w2_key, &log_key, &state2);

    let server = Server::start(&data, &["--witness", &format!("{w1}@{}", witness1.url)]);
    let start = Instant::now();
    let note = loop {
        let answer = server.graphql("{ checkpoint { note } }", json!({}), None);
        let note = answer["data"]["checkpoint"]["note"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        if note.contains("witness.example/w1") {
            break note;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "no cosignature of w1 within {PATIENCE:?}: {answer}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!note.contains("witness.example/w2"), "{note}");
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state1).expect("w1 state")).expect("json");
    assert_eq!(
        state["logs"].as_object().map(|logs| logs.len()),
        Some(1),
        "{state}"
    );
    drop(server);

    let export = dir.path().join("log.jsonl").display().to_string();
    ok(&["--data-dir", &data, "export", "--to", &export]);
    for target in [
        vec!["--data-dir", data.as_str(), "verify"],
        vec!["verify", export.as_str()],
    ] {
        let with = |quorum: &str| {
            let mut args = target.clone();
            args.extend([
                "--witness",
                &w1,
                "--witness",
                &w2,
                "--witness-quorum",
                quorum,
            ]);
            run(&args.iter().map(|s| &**s).collect::<Vec<_>>())
        };
        let two = with("2");
        let stderr = String::from_utf8_lossy(&two.stderr);
        assert_eq!(two.status.code(), Some(1), "{target:?}: {stderr}");
        assert!(
            stderr.contains("cosigned by 1 of the witnesses given, fewer than the 2 required")
                && stderr.contains("witness.example/w2"),
            "{target:?}: {stderr}"
        );
        let one = with("1");
        let stdout = String::from_utf8_lossy(&one.stdout);
        assert!(
            one.status.success(),
            "{target:?}: {}",
            String::from_utf8_lossy(&one.stderr)
        );
        assert!(
            stdout.contains("cosigned by 1 of the witnesses given: witness.example/w1"),
            "{target:?}: {stdout}"
        );
    }
}
