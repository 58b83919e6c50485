//! The attack and crash campaign of issue 15 against the command line, kept
//! as tests of the real binary: bad input that must append nothing (the log
//! compared byte for byte before and after), damaged stores, concurrent
//! writers on one data directory, and processes killed mid-publish.
//!
//! Every loop is bounded; `STDREG_CAMPAIGN_LONG=1` runs the longer campaign
//! (3 writers of 200 publishes each, 100 kills) instead of the CI budget.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod support;

use support::Scratch;

/// Longest error message any bad input may produce.
const MESSAGE_BYTES_MAX: usize = 2_048;

fn long_campaign() -> bool {
    std::env::var_os("STDREG_CAMPAIGN_LONG").is_some()
}

/// What a command must not change: the log as `stdreg log` prints it, the
/// leaf record and the signed checkpoint, byte for byte.
fn record(scratch: &Scratch) -> (String, Vec<u8>, Vec<u8>) {
    let log = scratch.ok(&["log", "--from", "1", "--limit", "1000", "--json"]);
    let leaves = std::fs::read(scratch.data().join("log-leaves")).unwrap();
    let checkpoint = std::fs::read(scratch.data().join("checkpoint")).unwrap();
    (log, leaves, checkpoint)
}

fn revision(id: &str, jurisdiction: &str, target: &str, effective_from: &str) -> Value {
    json!({
        "id": id,
        "jurisdiction": jurisdiction,
        "kind": "correction",
        "title": "关于更正的说明",
        "document_no": null,
        "issuers": null,
        "issued_on": null,
        "effective_from": effective_from,
        "target": target
    })
}

/// A correction of the bundled 2021 edition that amends one item's service standard.
fn correction(id: &str, text: &str) -> Value {
    amendment(
        revision(id, "CN", "cn-2021", "2021-04-20"),
        "veteran-resettlement",
        text,
    )
}

fn amendment(revision: Value, item: &str, text: &str) -> Value {
    json!({
        "revision": revision,
        "content": {"changes": [{
            "op": "amend_item",
            "item": item,
            "fields": {"service_standard": {"text": text}},
            "reason": "corrects the printed text"
        }]}
    })
}

fn file(revisions: Vec<Value>) -> String {
    json!({ "format": "stdreg.revisions/1", "revisions": revisions }).to_string()
}

fn write(scratch: &Scratch, name: &str, text: &str) -> String {
    let path = scratch.path(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// Bad input of every kind: exit 1, a bounded message that says what is
/// wrong, and not one byte of the log, the leaf record or the checkpoint changed.
#[test]
fn bad_input_is_refused_and_appends_nothing() {
    let scratch = Scratch::imported();
    let one = correction("cn-2021-corr-a", "按规定落实退役军人安置政策");
    let unknown_target = amendment(
        revision("cn-2021-corr-b", "CN", "cn-1999", "2021-04-20"),
        "veteran-resettlement",
        "另一文本",
    );
    let local = amendment(
        revision("sh-corr", "310000", "shanghai-2022-01-06", "2022-01-06"),
        "disability-living-and-care-subsidies",
        "另一文本",
    );
    let with_date = |date: &str| {
        let mut value = one.clone();
        value["revision"]["effective_from"] = json!(date);
        file(vec![value])
    };
    let huge = "9".repeat(100_000);
    let files = [
        (
            "correction-then-unknown-target",
            file(vec![one.clone(), unknown_target]),
            "cn-1999",
        ),
        (
            "same-id-twice",
            file(vec![one.clone(), one.clone()]),
            "already recorded",
        ),
        (
            "ten-thousand-copies",
            file(vec![one.clone(); 10_000]),
            "already recorded",
        ),
        (
            "two-standards",
            file(vec![one.clone(), local]),
            "must be of one standard",
        ),
        ("unpadded-date", with_date("2023-2-3"), "YYYY-MM-DD"),
        ("signed-year", with_date("+262142-12-31"), "YYYY-MM-DD"),
        ("year-out-of-range", with_date("3000-01-01"), "1900 to 2999"),
        (
            "huge-format",
            json!({"format": huge, "revisions": []}).to_string(),
            "unsupported format",
        ),
        ("not-json", "{\"format\": ".to_owned(), "EOF"),
    ];
    let before = record(&scratch);
    let mut cases: Vec<(Vec<String>, String)> = Vec::new();
    for (name, text, needle) in &files {
        let path = write(&scratch, &format!("{name}.json"), text);
        cases.push((vec!["publish".into(), path.clone()], (*needle).into()));
        if !name.starts_with("same-id") && !name.starts_with("ten-") && !name.starts_with("two-") {
            cases.push((vec!["import".into(), path], (*needle).into()));
        }
    }
    let args = |list: &[&str]| list.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
    let table: [(&[&str], &str); 12] = [
        (&["edition", "CN", "--valid-at", "2023-2-3"], "YYYY-MM-DD"),
        (
            &["edition", "CN", "--valid-at", "+262142-12-31"],
            "YYYY-MM-DD",
        ),
        (
            &["edition", "CN", "--valid-at", " 2023-02-03"],
            "YYYY-MM-DD",
        ),
        (
            &["diff", "CN", "--from", "2022-1-1", "--to", "2024-01-01"],
            "YYYY-MM-DD",
        ),
        (&["edition", "CN", "--known-at", "yesterday"], "RFC 3339"),
        (&["edition", "999999"], "no standard"),
        (&["edition", "CN!"], "not a jurisdiction"),
        (&["history", "no-such-item"], "no standard has an item"),
        (&["log", "--limit", "0"], "--limit"),
        (&["publish", "missing.json"], "cannot read"),
        (&["compliance", "CN"], "national standard"),
        (&["import", "missing.json"], "cannot read"),
    ];
    for (list, needle) in table {
        cases.push((args(list), needle.into()));
    }
    cases.push((
        vec!["edition".into(), huge.clone()],
        "100000 bytes in all".into(),
    ));
    cases.push((
        vec!["history".into(), huge.clone()],
        "100000 bytes in all".into(),
    ));
    for (args, needle) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let message = scratch.user_error(&args);
        assert!(message.contains(needle.as_str()), "{args:?}: {message}");
        assert!(
            message.len() <= MESSAGE_BYTES_MAX,
            "{args:?}: a message of {} bytes",
            message.len()
        );
        assert_eq!(message.lines().count(), 1, "{args:?}: {message}");
    }
    assert!(
        record(&scratch) == before,
        "bad input changed the log, the leaf record or the checkpoint"
    );
}

/// The revisions of one file are recorded in one append: one record time,
/// consecutive positions.
#[test]
fn a_file_of_revisions_is_published_in_one_append() {
    let scratch = Scratch::imported();
    let path = write(
        &scratch,
        "two.json",
        &file(vec![
            correction("cn-2021-corr-a", "第一次更正"),
            correction("cn-2021-corr-b", "第二次更正"),
        ]),
    );
    let published = scratch.json(&["publish", &path]);
    let positions: Vec<u64> = published
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["last_global_position"].as_u64().unwrap())
        .collect();
    let log = scratch.json(&["log", "--from", "1", "--limit", "1000"]);
    let log = log.as_array().unwrap();
    // Each correction is two events: the revision, and the amendment.
    let head = log.len() as u64;
    assert_eq!(positions, [head - 2, head]);
    let tail: Vec<(&str, &str)> = log[log.len() - 4..]
        .iter()
        .map(|e| {
            (
                e["revision"].as_str().unwrap(),
                e["recorded_at"].as_str().unwrap(),
            )
        })
        .collect();
    let revisions: Vec<&str> = tail.iter().map(|t| t.0).collect();
    assert_eq!(
        revisions,
        [
            "cn-2021-corr-a",
            "cn-2021-corr-a",
            "cn-2021-corr-b",
            "cn-2021-corr-b"
        ]
    );
    assert!(
        tail.iter().all(|t| t.1 == tail[0].1),
        "one append, one record time: {tail:?}"
    );
}

/// Tokens are issued only for divisions that can exist, and a jurisdiction
/// is refused where the role has none.
#[test]
fn tokens_name_real_divisions_only() {
    let scratch = Scratch::new();
    let tokens = scratch.path("tokens.json");
    let tokens = tokens.to_str().unwrap();
    let refused: [(&[&str], &str); 5] = [
        (
            &["--role", "local-editor", "--jurisdiction", "999999"],
            "no provincial-level division",
        ),
        (
            &["--role", "local-editor", "--jurisdiction", "990100"],
            "no provincial-level division",
        ),
        (
            &["--role", "local-editor", "--jurisdiction", "510001"],
            "city digits",
        ),
        (
            &["--role", "auditor", "--jurisdiction", "510000"],
            "drop --jurisdiction",
        ),
        (
            &["--role", "auditor", "--jurisdiction", "CN"],
            "drop --jurisdiction",
        ),
    ];
    for (flags, needle) in refused {
        let mut args = vec!["token", "add", "--tokens", tokens];
        args.extend(flags);
        let message = scratch.user_error(&args);
        assert!(message.contains(needle), "{flags:?}: {message}");
    }
    assert!(
        !scratch.path("tokens.json").exists(),
        "a refused token was recorded"
    );
    for flags in [
        &["--role", "local-editor", "--jurisdiction", "510104"][..],
        &["--role", "local-editor", "--jurisdiction", "469001"][..],
        &["--role", "auditor"][..],
        &["--role", "national-editor"][..],
    ] {
        let mut args = vec!["token", "add", "--tokens", tokens];
        args.extend(flags);
        scratch.ok(&args);
    }
}

/// An event the registry cannot decode is a damaged store: exit 1 naming its
/// position, with or without the data directory's record of the log.
#[test]
fn an_undecodable_event_is_a_damaged_store_named_by_position() {
    let tampers = [
        "UPDATE events SET data = CAST('not json' AS BLOB) WHERE global_position = 40",
        "UPDATE events SET event_type = 'no_such_event' WHERE global_position = 40",
        "UPDATE events SET data = CAST('{}' AS BLOB) WHERE global_position = 40",
    ];
    for sql in tampers {
        for keep_record in [true, false] {
            let scratch = Scratch::imported();
            let conn = rusqlite::Connection::open(scratch.data().join("events.db")).unwrap();
            conn.execute_batch(sql).unwrap();
            drop(conn);
            if !keep_record {
                std::fs::remove_file(scratch.data().join("log-leaves")).unwrap();
                std::fs::remove_file(scratch.data().join("checkpoint")).unwrap();
            }
            for args in [&["edition", "CN"][..], &["log", "--limit", "100"][..]] {
                let message = scratch.user_error(args);
                assert!(
                    message.contains("position 40"),
                    "{sql} (record kept: {keep_record}), {args:?}: {message}"
                );
            }
        }
    }
}

/// The local standards of the bundled examples, with an item each and the
/// revision a correction of it targets.
fn local_streams(scratch: &Scratch) -> Vec<(String, String, String, String)> {
    let mut streams = Vec::new();
    for jurisdiction in ["310000", "500000", "350000"] {
        let revisions = scratch.json(&["revisions", jurisdiction]);
        let last = revisions.as_array().unwrap().last().unwrap();
        let edition = scratch.json(&["edition", jurisdiction, "--valid-at", "2025-01-01"]);
        let item = first_item(&edition).unwrap();
        streams.push((
            jurisdiction.to_owned(),
            last["id"].as_str().unwrap().to_owned(),
            last["effective_from"].as_str().unwrap().to_owned(),
            item,
        ));
    }
    streams
}

fn first_item(value: &Value) -> Option<String> {
    match value {
        Value::Object(map) if map.contains_key("service_standard") => {
            map.get("id").and_then(Value::as_str).map(str::to_owned)
        }
        Value::Object(map) => map.values().find_map(first_item),
        Value::Array(list) => list.iter().find_map(first_item),
        _ => None,
    }
}

/// Three processes publishing into one data directory at once, each into a
/// standard of its own: no publish fails (the checkpoint each signs is
/// written through a temporary file of its own).
#[test]
fn concurrent_writers_on_one_data_directory_never_fail_spuriously() {
    let scratch = Scratch::new();
    scratch.ok(&["import", "--local-examples"]);
    let publishes = if long_campaign() { 200 } else { 50 };
    let deadline = Instant::now() + Duration::from_secs(if long_campaign() { 1_800 } else { 240 });
    let streams = local_streams(&scratch);
    std::thread::scope(|scope| {
        let writers: Vec<_> = streams
            .iter()
            .map(|(jurisdiction, target, effective_from, item)| {
                let scratch = &scratch;
                scope.spawn(move || {
                    for n in 0..publishes {
                        assert!(Instant::now() < deadline, "the writers ran out of time");
                        let id = format!("{jurisdiction}-corr-{n}");
                        let text = file(vec![amendment(
                            revision(&id, jurisdiction, target, effective_from),
                            item,
                            &format!("第{n}次更正"),
                        )]);
                        let path = write(scratch, &format!("{id}.json"), &text);
                        let out = scratch.run(&["publish", &path]);
                        assert!(
                            out.status.success(),
                            "{id}: {}",
                            String::from_utf8_lossy(&out.stderr)
                        );
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
    });
    let verified = scratch.ok(&["verify"]);
    assert!(verified.starts_with("ok: "), "{verified}");
}

/// `stdreg publish` killed with SIGKILL at varied moments: every publish
/// that reported success is in the log, the registry always reopens, and the
/// whole log verifies.
#[test]
fn publishes_killed_at_any_moment_lose_nothing_acknowledged() {
    let scratch = Scratch::imported();
    let kills = if long_campaign() { 100 } else { 20 };
    let deadline = Instant::now() + Duration::from_secs(if long_campaign() { 1_200 } else { 180 });
    let mut acknowledged = Vec::new();
    for n in 0..kills {
        assert!(Instant::now() < deadline, "the kill loop ran out of time");
        let id = format!("cn-2021-kill-{n}");
        let path = write(
            &scratch,
            &format!("{id}.json"),
            &file(vec![correction(&id, &format!("第{n}次"))]),
        );
        let mut child = Command::new(env!("CARGO_BIN_EXE_stdreg"))
            .args(["publish", &path])
            .env_remove("STDREG_STORE")
            .env_remove("STDREG_SIGNING_KEY")
            .env("STDREG_DATA_DIR", scratch.data())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Spread the kills over opening, deciding, appending and signing.
        std::thread::sleep(Duration::from_millis((n as u64 * 37) % 200));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.success() {
            acknowledged.push(id);
        }
        // The registry reopens after every kill.
        scratch.ok(&["log", "--limit", "1"]);
    }
    let revisions = scratch.ok(&["revisions", "CN", "--json"]);
    for id in &acknowledged {
        assert!(
            revisions.contains(id.as_str()),
            "{id} was acknowledged and lost"
        );
    }
    let verified = scratch.ok(&["verify"]);
    assert!(verified.starts_with("ok: "), "{verified}");
}
