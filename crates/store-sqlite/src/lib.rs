//! The embedded default event log: one SQLite file.
//!
//! # File layout
//!
//! The file is in WAL mode with `synchronous=FULL`, so a returned append has
//! reached the disk. It is marked as an event log by `PRAGMA application_id`
//! and carries its schema version in `PRAGMA user_version`; a file written by
//! a newer schema is refused rather than misread. One table, one row per event:
//!
//! | column            | type    | meaning                                         |
//! |-------------------|---------|-------------------------------------------------|
//! | `global_position` | INTEGER | 1-based, gapless; the table's primary key        |
//! | `event_id`        | BLOB    | the UUID's 16 bytes, unique                      |
//! | `stream`          | TEXT    | stream name                                      |
//! | `stream_position` | INTEGER | 0-based within the stream; (stream, position) unique |
//! | `event_type`      | TEXT    |                                                  |
//! | `schema_version`  | INTEGER |                                                  |
//! | `data`            | BLOB    | the event bytes, as given                        |
//! | `recorded_at`     | INTEGER | record time in microseconds since the Unix epoch, UTC |
//! | `sealed`          | BLOB    | the event's sealed bytes as given; NULL when it has none |
//!
//! Beside it, `metadata` (`key` TEXT primary key, `value` BLOB) holds the
//! trait's metadata records, written by compare-and-set in the same kind of
//! write transaction as an append (schema version 2 added it; a version 1
//! file gains the table when it is opened). Schema version 3 added the
//! `sealed` column; an older file gains it, NULL in every existing row, when
//! it is opened.
//!
//! Microseconds as an integer rather than text: it is the precision the trait
//! promises, it compares and sorts as a number, and costs 8 bytes a row.
//!
//! # Concurrency
//!
//! One write connection behind a mutex; each append is one `BEGIN IMMEDIATE`
//! transaction that checks the expected version, assigns positions and record
//! time, and commits, so a failed append leaves the file as it was. Reads use
//! their own connections, which WAL lets run beside the writer. SQLite calls
//! block, so they run on tokio's blocking pool. The head watch is in-process:
//! it sees appends made through this store, not by other processes.
//!
//! An append whose future is dropped still runs to its end: it may or may not
//! have committed, as with any lost reply.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use event_store::{
    AppendOutcome, EventStore, ExpectedVersion, LogEnd, NewEvent, READ_PAGE_MAX, StoreError,
    StoredEvent, StreamId, check_import, check_metadata, next_record_time,
};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Row, TransactionBehavior};
use tokio::sync::watch;
use uuid::Uuid;

/// Marks a SQLite file as a stdreg event log ("SREG").
const APPLICATION_ID: i32 = 0x5352_4547;

/// Version of the table layout; bump it with a migration when the layout changes.
pub const SCHEMA_VERSION: i64 = 3;

/// How long a connection waits for a lock held by another process before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Read connections kept open between reads; more are opened under load and then closed.
const IDLE_READERS: usize = 4;

const SCHEMA: &str = "
CREATE TABLE events (
    global_position INTEGER PRIMARY KEY,
    event_id        BLOB    NOT NULL UNIQUE,
    stream          TEXT    NOT NULL,
    stream_position INTEGER NOT NULL,
    event_type      TEXT    NOT NULL,
    schema_version  INTEGER NOT NULL,
    data            BLOB    NOT NULL,
    recorded_at     INTEGER NOT NULL,
    sealed          BLOB,
    UNIQUE (stream, stream_position)
) STRICT;
";

/// Version 3: sealed bytes beside each event's data, for files of versions 1 and 2.
const SEALED_COLUMN: &str = "ALTER TABLE events ADD COLUMN sealed BLOB;";

/// Version 2: metadata records beside the log.
const METADATA_SCHEMA: &str = "
CREATE TABLE metadata (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;
";

const READ_METADATA: &str = "SELECT value FROM metadata WHERE key = ?1";
const UPSERT_METADATA: &str = "INSERT INTO metadata (key, value) VALUES (?1, ?2)
ON CONFLICT (key) DO UPDATE SET value = excluded.value";

const INSERT_EVENT: &str = "
INSERT INTO events (global_position, event_id, stream, stream_position,
                    event_type, schema_version, data, recorded_at, sealed)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

const LAST_EVENT: &str =
    "SELECT global_position, recorded_at FROM events ORDER BY global_position DESC LIMIT 1";

const STREAM_VERSION: &str = "
SELECT stream_position + 1 FROM events WHERE stream = ?1
ORDER BY stream_position DESC LIMIT 1";

const HEAD: &str = "SELECT COALESCE(MAX(global_position), 0) FROM events";

const READ_STREAM: &str = "
SELECT global_position, event_id, stream, stream_position,
       event_type, schema_version, data, recorded_at, sealed
FROM events WHERE stream = ?1 AND stream_position >= ?2
ORDER BY stream_position LIMIT ?3";

const READ_ALL: &str = "
SELECT global_position, event_id, stream, stream_position,
       event_type, schema_version, data, recorded_at, sealed
FROM events WHERE global_position >= ?1
ORDER BY global_position LIMIT ?2";

/// Why [`SqliteStore::open`] could not open an event log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The file could not be opened or created.
    #[error(
        "cannot open event log {}: check that its directory exists and is writable",
        path.display()
    )]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// The file is not a SQLite database, or is damaged beyond reading its header.
    #[error(
        "{} is not an event log (not a SQLite database, or damaged): point to an existing event log or to a new file",
        path.display()
    )]
    NotADatabase {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// The file is a SQLite database of something other than an event log.
    #[error(
        "{} is a SQLite database but not an event log: point to an existing event log or to a new file",
        path.display()
    )]
    ForeignDatabase { path: PathBuf },
    /// The event log was written by a newer version with a schema this one does not know.
    #[error(
        "event log {} has schema version {found}, newer than version {supported} that this build reads: upgrade to open it",
        path.display()
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    /// The event log has an older schema version that no migration here handles.
    #[error(
        "event log {} has schema version {found}, which this build cannot read (it reads version {supported}): open it with the version that wrote it",
        path.display()
    )]
    UnknownSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    /// Preparing the file failed (locking, WAL mode, creating the schema).
    #[error(
        "cannot prepare event log {} ({step}): check that no other program holds it and that the disk is writable",
        path.display()
    )]
    Setup {
        path: PathBuf,
        step: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    /// The file system refused WAL mode, on which concurrent reads and durability rely.
    #[error(
        "cannot switch event log {} to WAL mode (it stays in {mode} mode): keep it on a local file system",
        path.display()
    )]
    NoWal { path: PathBuf, mode: String },
    /// The file is an event log whose contents contradict its own invariants.
    #[error("event log {} is damaged ({detail}): restore it from a backup", path.display())]
    Damaged { path: PathBuf, detail: String },
    /// The background task opening the file did not finish.
    #[error("opening event log {} was interrupted", path.display())]
    Interrupted {
        path: PathBuf,
        #[source]
        source: tokio::task::JoinError,
    },
}

/// An event log in one SQLite file.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    head: watch::Sender<u64>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.inner.path)
            .field("head", &*self.inner.head.borrow())
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a connection leaves it usable: an open
    // transaction is rolled back when its guard drops.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SqliteStore {
    /// Opens the event log at `path`, creating the file if it does not exist.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        let path = path.as_ref().to_path_buf();
        let opening = path.clone();
        tokio::task::spawn_blocking(move || open_blocking(opening))
            .await
            .map_err(|source| OpenError::Interrupted { path, source })?
    }

    /// The file this store writes.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Inner) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || work(&inner))
            .await
            .map_err(|e| StoreError::backend("storage task did not finish", e))?
    }
}

fn open_blocking(path: PathBuf) -> Result<SqliteStore, OpenError> {
    // No URI flag: the path is a file name, whatever it looks like.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = match Connection::open_with_flags(&path, flags) {
        Ok(conn) => conn,
        Err(source) => return Err(OpenError::Open { path, source }),
    };
    let setup = |step: &'static str| {
        let path = path.clone();
        move |source: rusqlite::Error| classify_open_error(path, step, source)
    };
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(setup("setting the busy timeout"))?;

    // Identify the file before changing anything in it, inside one write
    // transaction so two processes creating the same new file do not race.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(setup("locking the file"))?;
    let application_id: i32 = tx
        .pragma_query_value(None, "application_id", |row| row.get(0))
        .map_err(setup("reading the file header"))?;
    let found: i64 = tx
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(setup("reading the file header"))?;
    let objects: i64 = tx
        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
        .map_err(setup("reading the file header"))?;
    match application_id {
        APPLICATION_ID if found == SCHEMA_VERSION => {}
        // Older layouts are brought up to date in place, in this transaction.
        APPLICATION_ID if (1..SCHEMA_VERSION).contains(&found) => {
            if found < 2 {
                tx.execute_batch(METADATA_SCHEMA)
                    .map_err(setup("adding the metadata table"))?;
            }
            tx.execute_batch(SEALED_COLUMN)
                .map_err(setup("adding the sealed column"))?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(setup("recording the schema version"))?;
        }
        APPLICATION_ID if found > SCHEMA_VERSION => {
            return Err(OpenError::NewerSchema {
                path,
                found,
                supported: SCHEMA_VERSION,
            });
        }
        APPLICATION_ID => {
            return Err(OpenError::UnknownSchema {
                path,
                found,
                supported: SCHEMA_VERSION,
            });
        }
        0 if objects == 0 => {
            tx.execute_batch(SCHEMA)
                .and_then(|()| tx.execute_batch(METADATA_SCHEMA))
                .map_err(setup("creating the schema"))?;
            tx.pragma_update(None, "application_id", APPLICATION_ID)
                .map_err(setup("creating the schema"))?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(setup("creating the schema"))?;
        }
        _ => return Err(OpenError::ForeignDatabase { path }),
    }
    tx.commit().map_err(setup("creating the schema"))?;

    let journal: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(setup("switching to WAL mode"))?;
    if !journal.eq_ignore_ascii_case("wal") {
        return Err(OpenError::NoWal {
            path,
            mode: journal,
        });
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(setup("setting synchronous=FULL"))?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(setup("enabling foreign keys"))?;

    let head: i64 = conn
        .query_row(HEAD, [], |row| row.get(0))
        .map_err(setup("reading the head position"))?;
    let Ok(head) = u64::try_from(head) else {
        return Err(OpenError::Damaged {
            path,
            detail: format!("negative head position {head}"),
        });
    };

    Ok(SqliteStore {
        inner: Arc::new(Inner {
            path,
            writer: Mutex::new(conn),
            readers: Mutex::new(Vec::new()),
            head: watch::Sender::new(head),
        }),
    })
}

fn classify_open_error(path: PathBuf, step: &'static str, source: rusqlite::Error) -> OpenError {
    match source.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
            OpenError::NotADatabase { path, source }
        }
        _ => OpenError::Setup { path, step, source },
    }
}

fn backend(what: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |e| StoreError::backend(what, e)
}

fn to_sql_int(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| {
        StoreError::InvalidAppend(format!("{what} {value} is beyond what the log can hold"))
    })
}

fn from_sql_int(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("negative {what} {value}")))
}

/// Whether `error` is the unique index on event ids refusing a row.
fn is_duplicate_event_id(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(e, Some(message))
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                && message.contains("events.event_id")
    )
}

fn insert_error(event_id: Uuid) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |e| {
        if is_duplicate_event_id(&e) {
            StoreError::InvalidAppend(format!(
                "event id {event_id} is already in the log or twice in the batch"
            ))
        } else {
            StoreError::backend("writing an event", e)
        }
    }
}

fn decode(row: &Row<'_>) -> Result<StoredEvent, StoreError> {
    let corrupt = |e: rusqlite::Error| StoreError::Corrupt(format!("unreadable event row: {e}"));
    let global_position: i64 = row.get(0).map_err(corrupt)?;
    let event_id: [u8; 16] = row.get(1).map_err(corrupt)?;
    let stream_position: i64 = row.get(3).map_err(corrupt)?;
    let schema_version: i64 = row.get(5).map_err(corrupt)?;
    let recorded_at: i64 = row.get(7).map_err(corrupt)?;
    Ok(StoredEvent {
        event_id: Uuid::from_bytes(event_id),
        stream: StreamId::new(row.get::<_, String>(2).map_err(corrupt)?),
        stream_position: from_sql_int(stream_position, "stream position")?,
        global_position: from_sql_int(global_position, "global position")?,
        event_type: row.get(4).map_err(corrupt)?,
        schema_version: u32::try_from(schema_version).map_err(|_| {
            StoreError::Corrupt(format!("schema version {schema_version} out of range"))
        })?,
        data: row.get(6).map_err(corrupt)?,
        recorded_at: DateTime::from_timestamp_micros(recorded_at).ok_or_else(|| {
            StoreError::Corrupt(format!("record time {recorded_at} out of range"))
        })?,
        sealed: row.get(8).map_err(corrupt)?,
    })
}

/// Runs a query returning event rows and decodes at most `limit` of them.
fn read_events(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    limit: usize,
) -> Result<Vec<StoredEvent>, StoreError> {
    let mut statement = conn
        .prepare_cached(sql)
        .map_err(backend("preparing a read"))?;
    let mut rows = statement.query(params).map_err(backend("reading events"))?;
    let mut events = Vec::with_capacity(limit.min(1024));
    while let Some(row) = rows.next().map_err(backend("reading events"))? {
        events.push(decode(row)?);
    }
    Ok(events)
}

/// Global position and record time of the last event, if any.
fn last_event(conn: &Connection) -> Result<(i64, Option<DateTime<Utc>>), StoreError> {
    let last: Option<(i64, i64)> = conn
        .prepare_cached(LAST_EVENT)
        .and_then(|mut s| {
            s.query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()
        })
        .map_err(backend("reading the head"))?;
    match last {
        None => Ok((0, None)),
        Some((head, micros)) => {
            let recorded_at = DateTime::from_timestamp_micros(micros)
                .ok_or_else(|| StoreError::Corrupt(format!("record time {micros} out of range")))?;
            Ok((head, Some(recorded_at)))
        }
    }
}

fn read_metadata(conn: &Connection, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
    conn.prepare_cached(READ_METADATA)
        .and_then(|mut s| s.query_row([key], |row| row.get(0)).optional())
        .map_err(backend("reading a metadata record"))
}

fn stream_version(conn: &Connection, stream: &StreamId) -> Result<i64, StoreError> {
    conn.prepare_cached(STREAM_VERSION)
        .and_then(|mut s| s.query_row([stream.as_str()], |row| row.get(0)).optional())
        .map(|version| version.unwrap_or(0))
        .map_err(backend("reading the stream version"))
}

impl Inner {
    /// Publishes a new head; called with the writer locked, so it only moves forward.
    fn publish_head(&self, head: i64) {
        let Ok(head) = u64::try_from(head) else {
            return;
        };
        self.head.send_if_modified(|current| {
            let moved = head > *current;
            if moved {
                *current = head;
            }
            moved
        });
    }

    fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: &[NewEvent],
    ) -> Result<AppendOutcome, StoreError> {
        if events.is_empty() {
            return Err(StoreError::InvalidAppend(
                "an append needs at least one event".to_owned(),
            ));
        }
        let mut writer = lock(&self.writer);
        let tx = writer
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend("starting an append"))?;

        let actual = stream_version(&tx, stream)?;
        if let ExpectedVersion::Exact(expected) = expected
            && i64::try_from(expected).ok() != Some(actual)
        {
            return Err(StoreError::WrongExpectedVersion {
                stream: stream.clone(),
                expected,
                actual: from_sql_int(actual, "stream version")?,
            });
        }
        let (head, last_recorded) = last_event(&tx)?;
        let recorded_at = next_record_time(Utc::now(), last_recorded);
        let micros = recorded_at.timestamp_micros();

        let mut global_position = head;
        let mut stream_position = actual;
        {
            let mut insert = tx
                .prepare_cached(INSERT_EVENT)
                .map_err(backend("preparing an append"))?;
            for event in events {
                global_position += 1;
                insert
                    .execute(rusqlite::params![
                        global_position,
                        event.event_id.as_bytes(),
                        stream.as_str(),
                        stream_position,
                        event.event_type,
                        event.schema_version,
                        event.data,
                        micros,
                        event.sealed,
                    ])
                    .map_err(insert_error(event.event_id))?;
                stream_position += 1;
            }
        }
        tx.commit().map_err(backend("committing an append"))?;
        self.publish_head(global_position);

        Ok(AppendOutcome {
            stream_version: from_sql_int(stream_position, "stream version")?,
            last_global_position: from_sql_int(global_position, "global position")?,
            recorded_at,
        })
    }

    fn import(&self, events: &[StoredEvent]) -> Result<(), StoreError> {
        let mut writer = lock(&self.writer);
        let tx = writer
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend("starting an import"))?;
        let (head, last_recorded_at) = last_event(&tx)?;
        let mut versions = HashMap::new();
        for stream in event_store::import_streams(events) {
            versions.insert(
                stream,
                from_sql_int(stream_version(&tx, stream)?, "stream version")?,
            );
        }
        let end = LogEnd {
            head: from_sql_int(head, "global position")?,
            last_recorded_at,
        };
        // Ids already in the log are refused by the unique index on insert.
        check_import(
            end,
            events,
            |s| versions.get(s).copied().unwrap_or(0),
            |_| false,
        )?;
        {
            let mut insert = tx
                .prepare_cached(INSERT_EVENT)
                .map_err(backend("preparing an import"))?;
            for event in events {
                insert
                    .execute(rusqlite::params![
                        to_sql_int(event.global_position, "global position")?,
                        event.event_id.as_bytes(),
                        event.stream.as_str(),
                        to_sql_int(event.stream_position, "stream position")?,
                        event.event_type,
                        event.schema_version,
                        event.data,
                        event.recorded_at.timestamp_micros(),
                        event.sealed,
                    ])
                    .map_err(insert_error(event.event_id))?;
            }
        }
        tx.commit().map_err(backend("committing an import"))?;
        self.publish_head(head + events.len() as i64);
        Ok(())
    }

    fn write_metadata(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
    ) -> Result<(), StoreError> {
        let mut writer = lock(&self.writer);
        let tx = writer
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend("starting a metadata write"))?;
        let current = read_metadata(&tx, key)?;
        if current.as_deref() != expected {
            return Err(StoreError::MetadataConflict {
                key: key.to_owned(),
                current,
            });
        }
        tx.execute(UPSERT_METADATA, rusqlite::params![key, value])
            .map_err(backend("writing a metadata record"))?;
        tx.commit().map_err(backend("committing a metadata write"))
    }

    /// Runs `read` on an idle read connection, opening one if none is idle.
    fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let idle = lock(&self.readers).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.open_reader()?,
        };
        let result = read(&conn);
        let mut readers = lock(&self.readers);
        if readers.len() < IDLE_READERS {
            readers.push(conn);
        }
        result
    }

    fn open_reader(&self) -> Result<Connection, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags)
            .map_err(backend("opening a read connection"))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(backend("opening a read connection"))?;
        Ok(conn)
    }
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        let stream = stream.clone();
        self.blocking(move |inner| inner.append(&stream, expected, &events))
            .await
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        from_stream_position: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let limit = limit.min(READ_PAGE_MAX);
        // Positions past i64 cannot exist in the file.
        let Ok(from) = i64::try_from(from_stream_position) else {
            return Ok(Vec::new());
        };
        if limit == 0 {
            return Ok(Vec::new());
        }
        let stream = stream.clone();
        self.blocking(move |inner| {
            inner.read(|conn| {
                read_events(
                    conn,
                    READ_STREAM,
                    rusqlite::params![stream.as_str(), from, limit as i64],
                    limit,
                )
            })
        })
        .await
    }

    async fn read_all(
        &self,
        from_global_position: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let limit = limit.min(READ_PAGE_MAX);
        let Ok(from) = i64::try_from(from_global_position) else {
            return Ok(Vec::new());
        };
        if limit == 0 {
            return Ok(Vec::new());
        }
        self.blocking(move |inner| {
            inner.read(|conn| {
                read_events(conn, READ_ALL, rusqlite::params![from, limit as i64], limit)
            })
        })
        .await
    }

    async fn head_position(&self) -> Result<u64, StoreError> {
        self.blocking(|inner| {
            inner.read(|conn| {
                let head: i64 = conn
                    .prepare_cached(HEAD)
                    .and_then(|mut s| s.query_row([], |row| row.get(0)))
                    .map_err(backend("reading the head"))?;
                from_sql_int(head, "head position")
            })
        })
        .await
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        let stream = stream.clone();
        self.blocking(move |inner| {
            inner.read(|conn| from_sql_int(stream_version(conn, &stream)?, "stream version"))
        })
        .await
    }

    /// All or nothing, in one transaction.
    async fn import_stored(&self, events: Vec<StoredEvent>) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        self.blocking(move |inner| inner.import(&events)).await
    }

    fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.head.subscribe()
    }

    async fn read_metadata(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let key = key.to_owned();
        self.blocking(move |inner| inner.read(|conn| read_metadata(conn, &key)))
            .await
    }

    async fn write_metadata(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
    ) -> Result<(), StoreError> {
        check_metadata(key, value)?;
        let (key, expected, value) = (key.to_owned(), expected.map(<[u8]>::to_vec), value.to_vec());
        self.blocking(move |inner| inner.write_metadata(&key, expected.as_deref(), &value))
            .await
    }
}
