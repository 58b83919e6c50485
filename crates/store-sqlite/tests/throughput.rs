//! Append throughput of the store against raw SQLite with the same file
//! settings and schema. Timing-dependent, so ignored by default; run with
//! `cargo test --release -p store-sqlite --test throughput -- --ignored --nocapture`.

use std::path::Path;
use std::time::{Duration, Instant};

use event_store::{EventStore, ExpectedVersion, NewEvent, StreamId};
use rusqlite::{Connection, TransactionBehavior};
use store_sqlite::SqliteStore;
use uuid::Uuid;

const SINGLE_COMMITS: usize = 2_000;
const BATCH_ROWS: usize = 400_000;
const DATA: &[u8] =
    r#"{"code":"GB/T 7714-2015","title":"信息与文献 参考文献著录规则","status":"现行"}"#.as_bytes();

fn new_event(i: usize) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: format!("Revised{}", i % 4),
        schema_version: 1,
        data: DATA.to_vec(),
        sealed: None,
    }
}

/// Raw SQLite: one connection with the store's pragmas and table.
struct Raw {
    conn: Connection,
    position: i64,
}

impl Raw {
    fn open(path: &Path) -> Self {
        let conn = Connection::open(path).expect("open raw");
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
            .expect("wal");
        conn.pragma_update(None, "synchronous", "FULL")
            .expect("sync");
        conn.execute_batch(
            "CREATE TABLE events (
                global_position INTEGER PRIMARY KEY,
                event_id BLOB NOT NULL UNIQUE,
                stream TEXT NOT NULL,
                stream_position INTEGER NOT NULL,
                event_type TEXT NOT NULL,
                schema_version INTEGER NOT NULL,
                data BLOB NOT NULL,
                recorded_at INTEGER NOT NULL,
                UNIQUE (stream, stream_position)
            ) STRICT;",
        )
        .expect("schema");
        Self { conn, position: 0 }
    }

    /// Commits `events` in one transaction; returns the time it took.
    fn commit(&mut self, events: &[NewEvent]) -> Duration {
        let start = Instant::now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .expect("begin");
        {
            let mut insert = tx
                .prepare_cached("INSERT INTO events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
                .expect("prepare");
            for e in events {
                self.position += 1;
                insert
                    .execute(rusqlite::params![
                        self.position,
                        e.event_id.as_bytes(),
                        "standard-CN",
                        self.position - 1,
                        e.event_type,
                        e.schema_version,
                        e.data,
                        self.position,
                    ])
                    .expect("insert");
            }
        }
        tx.commit().expect("commit");
        start.elapsed()
    }
}

/// Appends `events` in one append; returns the time it took.
async fn append(store: &SqliteStore, events: Vec<NewEvent>) -> Duration {
    let stream = StreamId::new("standard-CN");
    let version = store.stream_version(&stream).await.expect("version");
    let start = Instant::now();
    store
        .append(&stream, ExpectedVersion::Exact(version), events)
        .await
        .expect("append");
    start.elapsed()
}

/// Runs both sides in alternating rounds, so disk noise hits both alike.
async fn compare(what: &str, rounds: usize, commits_per_round: usize, rows_per_commit: usize) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut raw = Raw::open(&dir.path().join("raw.db"));
    let store = SqliteStore::open(dir.path().join("store.db"))
        .await
        .expect("open");
    let (mut raw_time, mut store_time) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..rounds {
        for _ in 0..commits_per_round {
            let events: Vec<NewEvent> = (0..rows_per_commit).map(new_event).collect();
            raw_time += raw.commit(&events);
        }
        for _ in 0..commits_per_round {
            let events: Vec<NewEvent> = (0..rows_per_commit).map(new_event).collect();
            store_time += append(&store, events).await;
        }
    }
    report(
        what,
        rounds * commits_per_round * rows_per_commit,
        raw_time,
        store_time,
    );
}

fn report(what: &str, rows: usize, raw: Duration, ours: Duration) {
    let raw_rate = rows as f64 / raw.as_secs_f64();
    let our_rate = rows as f64 / ours.as_secs_f64();
    println!(
        "{what}: raw {raw_rate:.0} rows/s, store {our_rate:.0} rows/s ({:.0}% of raw)",
        100.0 * our_rate / raw_rate
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "timing; run in release on demand"]
async fn single_event_commits() {
    compare("single-event commits", 20, SINGLE_COMMITS / 20, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "timing; run in release on demand"]
async fn big_batches() {
    compare("big batches", 4, 1, BATCH_ROWS / 4).await;
}
