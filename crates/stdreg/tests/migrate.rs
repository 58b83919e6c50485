//! `stdreg migrate`: a log copied to another backend answers every query as
//! the original does, and a non-empty target is refused.

mod support;

use support::{
    assert_same_answers, instant_between_appends, ok, ok_on, queries, refused, write_correction,
};

/// Imports the bundled data and a correction into a new data directory.
fn source_registry(dir: &std::path::Path) -> String {
    let data = dir.join("source").display().to_string();
    ok_on(&data, &["import"]);
    let correction = write_correction(dir);
    ok_on(&data, &["publish", &correction]);
    data
}

#[test]
fn sqlite_to_sqlite_keeps_every_answer() {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = source_registry(dir.path());
    let target = dir.path().join("target").display().to_string();

    let report: serde_json::Value = serde_json::from_str(&ok(&[
        "migrate", "--from", &source, "--to", &target, "--json",
    ]))
    .expect("json report");
    let head: serde_json::Value =
        serde_json::from_str(&ok_on(&source, &["log", "--limit", "1000", "--json"]))
            .expect("log json");
    let count = head.as_array().expect("log list").len() as u64;
    assert_eq!(report["events"], count);
    assert_eq!(report["appended_during_copy"], 0);
    // The root of the copied log is the one the source's registry signs.
    let verified: serde_json::Value =
        serde_json::from_str(&ok_on(&source, &["verify", "--json"])).expect("verify json");
    assert_eq!(report["root"], verified["root"]);

    assert_same_answers(
        &source,
        &target,
        &queries(&instant_between_appends(&source)),
    );

    let file = format!("sqlite://{target}/events.db");
    refused(
        &["migrate", "--from", &source, "--to", &file],
        "already holds",
    );
}

#[test]
fn bad_locations_are_refused_with_a_hint() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("missing").display().to_string();
    let other = dir.path().join("other").display().to_string();
    let mut cases: Vec<(&str, &str, &str)> = vec![
        (&missing, &other, "there is no event log"),
        (&other, "mysql://h/db", "unsupported store"),
        (&other, &other, "same store"),
    ];
    if cfg!(not(feature = "kurrentdb")) {
        cases.push((&other, "esdb://localhost:2113", "--features kurrentdb"));
    }
    // An existing, empty source log for the cases that get past --from.
    std::fs::create_dir_all(&other).expect("create a data directory");
    support::block_on(store_sqlite::SqliteStore::open(
        std::path::Path::new(&other).join("events.db"),
    ))
    .expect("create an empty log");
    for (from, to, needle) in cases {
        refused(&["migrate", "--from", from, "--to", to], needle);
    }
    let empty = dir.path().join("empty").display().to_string();
    refused(&["migrate", "--from", &other, "--to", &empty], "is empty");
}

#[test]
fn sqlite_to_postgres_keeps_every_answer() {
    let Some(schema) = support::test_schema() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let source = source_registry(dir.path());

    let summary = ok(&["migrate", "--from", &source, "--to", &schema.url]);
    assert!(summary.contains("verified"), "{summary}");
    assert!(
        !summary.contains("stdreg_test@") || summary.contains(":***@"),
        "the summary does not show the password: {summary}"
    );

    assert_same_answers(
        &source,
        &schema.url,
        &queries(&instant_between_appends(&source)),
    );
    refused(
        &["migrate", "--from", &source, "--to", &schema.url],
        "already holds",
    );

    // And back: PostgreSQL to a new embedded store.
    let back = dir.path().join("back").display().to_string();
    ok(&["migrate", "--from", &schema.url, "--to", &back]);
    assert_same_answers(&source, &back, &queries(&instant_between_appends(&source)));
}
