//! The SQLite store against the conformance suite, including the cases that
//! reopen the file, plus checks of what only a file can get wrong.

use event_store::conformance::StoreFactory;
use event_store::{EventStore, ExpectedVersion, NewEvent, StreamId};
use store_sqlite::{OpenError, SqliteStore};
use uuid::Uuid;

/// A log in a temporary directory; every `open` reaches the same file.
fn temp_log() -> impl StoreFactory {
    let dir = tempfile::tempdir().expect("temporary directory");
    move || {
        let path = dir.path().join("events.db");
        async move { SqliteStore::open(path).await.expect("open the event log") }
    }
}

event_store::conformance_tests!(persistent: temp_log());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_events_survive_reopen() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("events.db");
    let source = event_store::MemoryStore::new();
    source
        .append(
            &StreamId::new("标准-A"),
            ExpectedVersion::Exact(0),
            vec![new_event(), new_event()],
        )
        .await
        .expect("source append");
    let copied = source.read_all(1, 10).await.expect("read source");

    let store = SqliteStore::open(&path).await.expect("open");
    store.import_stored(copied.clone()).await.expect("import");
    drop(store);
    let store = SqliteStore::open(&path).await.expect("reopen");
    assert_eq!(store.read_all(0, 10).await.expect("read"), copied);
}

fn new_event() -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "Registered".to_owned(),
        schema_version: 1,
        data: b"{}".to_vec(),
        sealed: None,
    }
}

#[tokio::test]
async fn garbage_file_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("events.db");
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 + 13) as u8).collect();
    std::fs::write(&path, &garbage).expect("write garbage");

    let error = SqliteStore::open(&path)
        .await
        .expect_err("garbage must not open");
    assert!(
        matches!(error, OpenError::NotADatabase { .. }),
        "got {error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("events.db"), "names the file: {message}");
    assert!(
        message.contains("not an event log"),
        "says what is wrong: {message}"
    );
    assert_eq!(
        std::fs::read(&path).expect("read back"),
        garbage,
        "the refused file is left untouched"
    );
}

#[tokio::test]
async fn foreign_sqlite_database_is_refused() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("other.db");
    let conn = rusqlite::Connection::open(&path).expect("create");
    conn.execute_batch("CREATE TABLE notes (body TEXT)")
        .expect("foreign schema");
    drop(conn);

    let error = SqliteStore::open(&path)
        .await
        .expect_err("foreign db must not open");
    assert!(
        matches!(error, OpenError::ForeignDatabase { .. }),
        "got {error:?}"
    );
}

#[tokio::test]
async fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("events.db");
    drop(SqliteStore::open(&path).await.expect("create"));
    let conn = rusqlite::Connection::open(&path).expect("open raw");
    conn.pragma_update(None, "user_version", store_sqlite::SCHEMA_VERSION + 1)
        .expect("bump schema version");
    drop(conn);

    let error = SqliteStore::open(&path)
        .await
        .expect_err("newer schema must not open");
    match &error {
        OpenError::NewerSchema {
            found, supported, ..
        } => {
            assert_eq!(*found, store_sqlite::SCHEMA_VERSION + 1);
            assert_eq!(*supported, store_sqlite::SCHEMA_VERSION);
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }
    assert!(
        error.to_string().contains("upgrade"),
        "says what to do: {error}"
    );
}

#[tokio::test]
async fn missing_directory_is_an_open_error() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("no-such-dir").join("events.db");
    let error = SqliteStore::open(&path).await.expect_err("cannot create");
    assert!(matches!(error, OpenError::Open { .. }), "got {error:?}");
    assert!(
        std::error::Error::source(&error).is_some(),
        "keeps the cause"
    );
}

#[tokio::test]
async fn file_uses_wal_and_the_documented_layout() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("events.db");
    let store = SqliteStore::open(&path).await.expect("open");
    let outcome = store
        .append(
            &StreamId::new("s"),
            ExpectedVersion::Exact(0),
            vec![new_event()],
        )
        .await
        .expect("append");

    let conn = rusqlite::Connection::open(&path).expect("open raw");
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .expect("journal mode");
    assert_eq!(mode, "wal");
    let (id, micros): (Vec<u8>, i64) = conn
        .query_row(
            "SELECT event_id, recorded_at FROM events WHERE global_position = 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .expect("raw row");
    assert_eq!(id.len(), 16, "event ids are 16-byte blobs");
    assert_eq!(micros, outcome.recorded_at.timestamp_micros());
}

/// Files of older schema versions keep their events and are brought up to
/// date in place when opened: version 1 gains the metadata table, versions 1
/// and 2 the sealed column (NULL for every event already there).
#[tokio::test]
async fn older_files_are_migrated_in_place() {
    let cases = [
        (
            1,
            "ALTER TABLE events DROP COLUMN sealed; DROP TABLE metadata; PRAGMA user_version = 1;",
        ),
        (
            2,
            "ALTER TABLE events DROP COLUMN sealed; PRAGMA user_version = 2;",
        ),
    ];
    for (version, downgrade) in cases {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("events.db");
        let stream = StreamId::new("standard-A");
        let store = SqliteStore::open(&path).await.expect("create");
        store
            .append(&stream, ExpectedVersion::Exact(0), vec![new_event()])
            .await
            .expect("append");
        let before = store.read_all(1, 10).await.expect("read");
        drop(store);
        let conn = rusqlite::Connection::open(&path).expect("open raw");
        conn.execute_batch(downgrade)
            .unwrap_or_else(|e| panic!("make it a version {version} file: {e}"));
        drop(conn);

        let store = SqliteStore::open(&path)
            .await
            .unwrap_or_else(|e| panic!("open a version {version} file: {e}"));
        assert_eq!(
            store.read_all(1, 10).await.expect("read"),
            before,
            "version {version}: the events are kept, without sealed bytes"
        );
        store
            .append(
                &stream,
                ExpectedVersion::Exact(1),
                vec![NewEvent {
                    sealed: Some(b"sealed".to_vec()),
                    ..new_event()
                }],
            )
            .await
            .expect("append with sealed bytes");
        assert_eq!(
            store.read_all(2, 1).await.expect("read")[0]
                .sealed
                .as_deref(),
            Some(&b"sealed"[..]),
            "version {version}"
        );
        store
            .write_metadata("identity", None, b"key")
            .await
            .expect("write metadata");
        assert_eq!(
            store
                .read_metadata("identity")
                .await
                .expect("read")
                .as_deref(),
            Some(&b"key"[..]),
            "version {version}"
        );
        drop(store);
        let conn = rusqlite::Connection::open(&path).expect("open raw");
        let found: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .expect("user_version");
        assert_eq!(found, store_sqlite::SCHEMA_VERSION, "version {version}");
    }
}
