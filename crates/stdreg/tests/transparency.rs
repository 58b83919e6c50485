//! Verifiable history through the real binary: export, offline and live
//! verification, tampered stores and exports, the append-only check, and the
//! standard-library Python verifier of docs/verification.md.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

/// Position tampered with in the bundled log (of some 80 events).
const TAMPERED: i64 = 40;

mod support;

use support::Scratch as Registry;

impl Registry {
    fn export(&self, name: &str) -> PathBuf {
        let path = self.path(name);
        self.ok(&["export", "--to", path.to_str().unwrap()]);
        path
    }

    fn publish_correction(&self, id: &str, text: &str) {
        let file = self.path(&format!("{id}.json"));
        std::fs::write(&file, serde_json::to_vec(&correction(id, text)).unwrap()).unwrap();
        self.ok(&["publish", file.to_str().unwrap()]);
    }

    fn sql(&self, statements: &str) {
        let conn = rusqlite::Connection::open(self.data().join("events.db")).expect("open");
        conn.execute_batch(statements).expect("tamper");
    }

    /// Flips one bit of one byte inside the `reason` text of an event's data,
    /// so that the data still decodes and only the hash can tell.
    fn flip_byte(&self, position: i64) {
        let conn = rusqlite::Connection::open(self.data().join("events.db")).expect("open");
        let mut data: Vec<u8> = conn
            .query_row(
                "SELECT data FROM events WHERE global_position = ?1",
                [position],
                |row| row.get(0),
            )
            .expect("event");
        let reason = br#""reason":""#;
        let at = data
            .windows(reason.len())
            .position(|w| w == reason)
            .expect("a reason")
            + reason.len()
            + 1;
        data[at] ^= 1;
        conn.execute(
            "UPDATE events SET data = ?1 WHERE global_position = ?2",
            rusqlite::params![data, position],
        )
        .expect("tamper");
    }

    fn tamper(&self, tamper: &Tamper) {
        match tamper {
            Tamper::FlipByte(position) => self.flip_byte(*position),
            Tamper::Sql(sql) => self.sql(sql),
        }
    }
}

enum Tamper {
    FlipByte(i64),
    Sql(String),
}

fn correction(id: &str, text: &str) -> Value {
    json!({
        "format": "stdreg.revisions/1",
        "revisions": [{
            "revision": {
                "id": id,
                "jurisdiction": "CN",
                "kind": "correction",
                "title": "关于更正《国家基本公共服务标准(2021年版)》的说明",
                "document_no": null,
                "issuers": null,
                "issued_on": null,
                "effective_from": "2021-04-20",
                "target": "cn-2021"
            },
            "content": {"changes": [{
                "op": "amend_item",
                "item": "veteran-resettlement",
                "fields": {"service_standard": {"text": text}},
                "reason": "corrects the printed text"
            }]}
        }]
    })
}

#[test]
fn a_fresh_registry_verifies_live_and_from_its_export() {
    let registry = Registry::imported();
    let live = registry.ok(&["verify"]);
    assert!(live.starts_with("ok: "), "{live}");
    assert!(live.contains("signature and root match"), "{live}");
    let export = registry.export("log.jsonl");
    let offline = registry.ok(&["verify", export.to_str().unwrap()]);
    assert!(offline.contains("signature and root match"), "{offline}");
    let key = std::fs::read_to_string(registry.data().join("log-key.pub")).unwrap();
    let pinned = registry.ok(&["verify", export.to_str().unwrap(), "--key", key.trim()]);
    assert!(
        !pinned.contains("note: the key came with the export"),
        "{pinned}"
    );
}

#[test]
fn tampered_stores_fail_verification_naming_the_first_bad_position() {
    let cases: [(&str, Tamper, &str); 4] = [
        (
            "one byte of one event's data changed",
            Tamper::FlipByte(TAMPERED),
            "at position 40: the event hashes to",
        ),
        (
            "an event deleted",
            Tamper::Sql(format!(
                "DELETE FROM events WHERE global_position = {TAMPERED}"
            )),
            "at position 40: missing or out of order",
        ),
        (
            "two events swapped",
            Tamper::Sql(format!(
                "UPDATE events SET global_position = -1 WHERE global_position = {TAMPERED};
                 UPDATE events SET global_position = {TAMPERED} WHERE global_position = {TAMPERED} + 1;
                 UPDATE events SET global_position = {TAMPERED} + 1 WHERE global_position = -1;"
            )),
            "at position 40: the event hashes to",
        ),
        (
            "the last event deleted",
            Tamper::Sql(
                "DELETE FROM events WHERE global_position = (SELECT max(global_position) FROM events)"
                    .to_owned(),
            ),
            "missing",
        ),
    ];
    for (what, tamper, expected) in cases {
        let registry = Registry::imported();
        registry.tamper(&tamper);
        let verify = registry.user_error(&["verify"]);
        assert!(verify.contains(expected), "{what}: {verify}");
        // A registry refuses to open the tampered log, saying what to do.
        let open = registry.user_error(&["edition", "CN"]);
        assert!(open.contains("no longer matches"), "{what}: {open}");
        assert!(open.contains("Restore the event store"), "{what}: {open}");
        assert!(open.contains("checkpoint"), "{what}: {open}");
        // So does the server, before it listens.
        let serve = registry.user_error(&["serve", "--listen", "127.0.0.1:0"]);
        assert!(serve.contains("no longer matches"), "{what}: {serve}");
    }
}

#[test]
fn without_the_leaf_record_the_signed_root_still_catches_a_change() {
    let registry = Registry::imported();
    std::fs::remove_file(registry.data().join("log-leaves")).unwrap();
    registry.flip_byte(TAMPERED);
    let verify = registry.user_error(&["verify"]);
    assert!(
        verify.contains("an event at or before this position was changed"),
        "{verify}"
    );
    let open = registry.user_error(&["edition", "CN"]);
    assert!(open.contains("not to the signed root"), "{open}");
}

#[test]
fn tampered_exports_fail_verification_naming_the_first_bad_position() {
    let registry = Registry::imported();
    let export = registry.export("log.jsonl");
    let text = std::fs::read_to_string(&export).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let edit = |change: &dyn Fn(&mut Vec<String>)| {
        let mut edited: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        change(&mut edited);
        edited.join("\n") + "\n"
    };
    let size = lines.len() - 1;
    let cases: Vec<(&str, String, String)> = vec![
        (
            "a line deleted",
            edit(&|l| {
                l.remove(4);
            }),
            "at position 5: missing or out of order".into(),
        ),
        (
            "two lines swapped",
            edit(&|l| l.swap(4, 5)),
            "at position 5: missing or out of order".into(),
        ),
        (
            "a field changed",
            edit(&|l| l[4] = l[4].replacen("\"schema_version\":3", "\"schema_version\":2", 1)),
            "at position 5".into(),
        ),
        (
            "a record time changed",
            edit(&|l| l[4] = l[4].replacen("Z\"", "1Z\"", 1)),
            "at position 5".into(),
        ),
        (
            "the event type changed in an order that still decodes",
            edit(&|l| l[4] = l[4].replacen("\"stream_position\":4", "\"stream_position\":5", 1)),
            format!("at position {size}: an event at or before this position was changed"),
        ),
        (
            "the checkpoint line removed",
            edit(&|l| {
                l.pop();
            }),
            "no checkpoint line".into(),
        ),
        (
            "the signed size changed",
            edit(&|l| {
                let last = l.len() - 1;
                l[last] = l[last].replacen(&format!("\\n{size}\\n"), "\\n3\\n", 1);
            }),
            "does not match the checkpoint".into(),
        ),
    ];
    for (what, content, expected) in cases {
        let path = registry.path("tampered.jsonl");
        std::fs::write(&path, content).unwrap();
        let error = registry.user_error(&["verify", path.to_str().unwrap()]);
        assert!(error.contains(&expected), "{what}: {error}");
    }
}

#[test]
fn a_saved_checkpoint_must_be_extended_not_rewritten() {
    let registry = Registry::imported();
    let saved = registry.path("saved-checkpoint");
    std::fs::copy(registry.data().join("checkpoint"), &saved).unwrap();
    let before = std::fs::read_to_string(&saved).unwrap();

    registry.publish_correction("cn-2021-corr-1", "每人每月不低于200元");
    let after = std::fs::read_to_string(registry.data().join("checkpoint")).unwrap();
    assert_ne!(before, after, "a new checkpoint after the revision");
    let export = registry.export("grown.jsonl");
    let saved_arg = saved.to_str().unwrap();
    let ok = registry.ok(&[
        "verify",
        export.to_str().unwrap(),
        "--checkpoint",
        saved_arg,
    ]);
    assert!(ok.contains("consistent with it (append-only)"), "{ok}");
    let ok = registry.ok(&["verify", "--checkpoint", saved_arg]);
    assert!(ok.contains("append-only"), "{ok}");

    // The same key signing another history: a fork of the saved checkpoint.
    let other = Registry::imported();
    for file in ["log-key", "log-key.pub"] {
        std::fs::copy(registry.data().join(file), other.data().join(file)).unwrap();
    }
    std::fs::remove_file(other.data().join("checkpoint")).unwrap();
    forget_identity(&other.data());
    other.publish_correction("cn-2021-corr-9", "另一段文字");
    let forked = other.export("forked.jsonl");
    let error = other.user_error(&[
        "verify",
        forked.to_str().unwrap(),
        "--checkpoint",
        saved_arg,
    ]);
    assert!(error.contains("fails verification at position"), "{error}");
}

#[test]
fn the_python_verifier_checks_an_export_with_the_standard_library_only() {
    let python = Command::new("python3").arg("--version").output();
    if !python.is_ok_and(|o| o.status.success()) {
        println!("skipped: python3 is not installed");
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/verify_checkpoint.py");
    let registry = Registry::imported();
    let export = registry.export("log.jsonl");
    let run = |args: &[&str]| {
        Command::new("python3")
            .arg(&script)
            .arg(&export)
            .args(args)
            .env("PYTHONNOUSERSITE", "1")
            .output()
            .expect("run python3")
    };
    let key = std::fs::read_to_string(registry.data().join("log-key.pub")).unwrap();
    let out = run(&["--key", key.trim(), "--position", "7"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("position 7 is included"), "{stdout}");

    // A key of another log is refused.
    let foreign = "stdreg/other+2b5ad2cd+AcYLfP54XpJsdHxpwOQHqoPcz+hSP7lZ3tN6AQAxR7/d";
    let out = run(&["--key", foreign]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // The Python script and stdreg agree on the root.
    let ours = registry.ok(&["verify", export.to_str().unwrap()]);
    let root = ours
        .split("root ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    assert!(stdout.contains(root), "{stdout} vs {ours}");
}

#[test]
fn a_store_named_by_url_is_checked_against_the_checkpoint_beside_it() {
    let registry = Registry::imported();
    let store = format!("sqlite://{}", registry.data().join("events.db").display());
    // Run from a folder without a registry of its own.
    let elsewhere = registry.path("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let verify = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_stdreg"))
            .args(args)
            .env_remove("STDREG_DATA_DIR")
            .env_remove("STDREG_STORE")
            .current_dir(&elsewhere)
            .output()
            .unwrap()
    };
    let fine = verify(&["verify", "--store", &store]);
    let stdout = String::from_utf8_lossy(&fine.stdout);
    assert!(fine.status.success(), "{stdout}");
    assert!(stdout.starts_with("ok: "), "{stdout}");

    // Without the leaf record only the signed root can tell.
    std::fs::remove_file(registry.data().join("log-leaves")).unwrap();
    registry.flip_byte(TAMPERED);
    let tampered = verify(&["verify", "--store", &store]);
    let stderr = String::from_utf8_lossy(&tampered.stderr);
    assert_eq!(tampered.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("was changed"), "{stderr}");
    assert!(
        tampered.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&tampered.stdout)
    );

    // With no checkpoint anywhere, the output says what was not checked.
    std::fs::remove_file(registry.data().join("checkpoint")).unwrap();
    forget_identity(&registry.data());
    let unchecked = verify(&["verify", "--store", &store]);
    let stdout = String::from_utf8_lossy(&unchecked.stdout);
    assert!(unchecked.status.success(), "{stdout}");
    assert!(
        stdout.starts_with("only internal consistency was checked"),
        "{stdout}"
    );
    assert!(!stdout.contains("ok:"), "{stdout}");
}

/// Removes the log's identity and latest checkpoint from the store of a data
/// directory, as if the log had never been signed.
fn forget_identity(data: &Path) {
    let conn = rusqlite::Connection::open(data.join("events.db")).unwrap();
    conn.execute("DELETE FROM metadata", []).unwrap();
}
