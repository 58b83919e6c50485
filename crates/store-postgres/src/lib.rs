//! PostgreSQL backend of the [`EventStore`] trait.
//!
//! # When to choose it
//!
//! Choose this store when several processes (a writer and read-side
//! followers, or several writers on different machines) share one event log,
//! or when the log should live in an operated, backed-up database. A single
//! process on one machine is served as well and with less setup by the
//! SQLite store.
//!
//! # Layout
//!
//! Everything lives in the first existing schema of the connection's
//! `search_path` (pick one with `?options=-c%20search_path%3Dmy_schema` in the
//! URL): `stdreg_events` (one row per event, its sealed bytes in the nullable
//! `sealed` column), `stdreg_log_head` (one row: the global head position and
//! the last record time), `stdreg_metadata` (the
//! trait's metadata records, one row per key) and `stdreg_schema_version`.
//! Missing migrations are applied in one transaction when the store opens.
//!
//! # Positions and ordering
//!
//! A PostgreSQL sequence would hand out global positions at insert time but
//! the transactions commit in any order, so a follower that has read up to
//! position 10 could see 12 commit before 11 and move past 11 for good.
//! Instead every append (and `import_stored`) locks the
//! single `stdreg_log_head` row as its first step (an append by moving the
//! head, an import with `SELECT ... FOR UPDATE`), and while holding it:
//! checks the expected stream version, assigns positions `head + 1 ..`,
//! computes the record time from the database clock and the last record
//! time (as [`event_store::next_record_time`] does), inserts the rows, moves
//! the head and queues a `NOTIFY`, then commits, which releases the lock; a
//! failed check rolls all of it back. Appends therefore commit strictly in
//! global-position order: once a reader sees position `n`, every position
//! below `n` is already visible, and stream-version checks cannot race.
//! Unique constraints on the event id and on (stream, stream position) back
//! this up; the one on the event id is also what refuses ids already in the
//! log.
//!
//! # Cost
//!
//! An append is one statement, a call of the `stdreg_append` function the
//! migrations install, in a transaction of its own: one round trip (plus
//! the pool's liveness check of the connection), about what a plain
//! autocommit `INSERT` costs, and the head lock is held only while the
//! server runs that statement and flushes its commit, never while waiting
//! on the client. All appends to one log are still serialised, across
//! processes, so the log takes in the order of a thousand appends per second
//! on ordinary disks, bounded by commit flushes (far more events per second
//! when they are batched into one append). stdreg's write rate, a handful of
//! revisions per standard, is orders of magnitude below that. Reads take no
//! lock and run in parallel. `import_stored` is rare and
//! still checks in several round trips.
//!
//! # Following the log
//!
//! [`EventStore::subscribe`] watches the head. A background task `LISTEN`s
//! on a channel derived from the schema name and raises the head from each
//! commit's notification; a second task re-reads the head every
//! [`ConnectOptions::poll_interval`] (500 ms by default) so that a dropped
//! connection or a notification lost while reconnecting delays a follower by
//! at most that long. Both tasks end when the store is dropped.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use event_store::{
    AppendOutcome, EventStore, ExpectedVersion, LogEnd, NewEvent, READ_PAGE_MAX, StoreError,
    StoredEvent, StreamId, check_import, check_metadata,
};
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::{ConnectOptions as _, Connection, PgPool, Postgres, Transaction};
use tokio::sync::watch;
use uuid::Uuid;

mod notify;
mod schema;
pub mod testing;

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The URL is not a PostgreSQL connection URL. The URL itself is not
    /// repeated because it may hold a password.
    #[error(
        "the postgresql url could not be parsed: expected postgres://user[:password]@host[:port]/database[?options=...]"
    )]
    InvalidUrl {
        #[source]
        source: sqlx::Error,
    },
    /// The server could not be reached or refused the connection.
    #[error(
        "could not connect to postgresql at {host}:{port}, database {database}: check that the server runs and accepts connections there, and that the user, password and database in the url are right"
    )]
    Connect {
        host: String,
        port: u16,
        database: String,
        #[source]
        source: sqlx::Error,
    },
    /// The server's TLS certificate could not be verified, or TLS failed.
    #[error(
        "could not set up TLS with postgresql at {host}:{port}: {message}; with sslmode=verify-full or verify-ca give the server's CA as sslrootcert=FILE in the url (the system's trusted roots are used otherwise), and use the host name the certificate names"
    )]
    Tls {
        host: String,
        port: u16,
        message: String,
    },
    /// No schema of the `search_path` exists, so there is nowhere to create the tables.
    #[error(
        "no schema of the search_path exists: create the schema or name an existing one with the url option `options=-c search_path=<schema>`"
    )]
    NoSchema,
    /// The database holds a newer schema than this build understands.
    #[error(
        "the event tables are at schema version {found}, but this build knows only up to {supported}: use a newer stdreg"
    )]
    SchemaTooNew { found: i64, supported: i64 },
    /// A migration failed; the transaction was rolled back, so nothing changed.
    #[error("could not apply schema migration {version}")]
    Migrate {
        version: i64,
        #[source]
        source: sqlx::Error,
    },
    /// Another statement needed to open the store failed.
    #[error("could not {what}")]
    Query {
        what: &'static str,
        #[source]
        source: sqlx::Error,
    },
}

/// Tuning for [`PostgresStore::connect_with`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConnectOptions {
    /// Most connections the store's pool opens (one more is used for `LISTEN`).
    pub max_connections: u32,
    /// How often the head is re-read in case a notification was missed.
    pub poll_interval: Duration,
    /// How long an operation waits for a free pooled connection.
    pub acquire_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            poll_interval: Duration::from_millis(500),
            acquire_timeout: Duration::from_secs(15),
        }
    }
}

impl ConnectOptions {
    pub fn with_max_connections(mut self, max_connections: u32) -> Self {
        self.max_connections = max_connections.max(1);
        self
    }

    pub fn with_poll_interval(mut self, poll_interval: Duration) -> Self {
        self.poll_interval = poll_interval.max(Duration::from_millis(1));
        self
    }

    pub fn with_acquire_timeout(mut self, acquire_timeout: Duration) -> Self {
        self.acquire_timeout = acquire_timeout;
        self
    }
}

/// `url` with the connection's `search_path` set to `schema`: the store
/// then keeps its tables in that schema.
pub fn with_search_path(url: &str, schema: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{schema}")
}

/// An event log in a PostgreSQL schema, shareable by many processes.
#[derive(Debug)]
pub struct PostgresStore {
    pool: PgPool,
    schema: String,
    channel: String,
    head: Arc<watch::Sender<u64>>,
    _tasks: notify::Tasks,
}

type Tx = Transaction<'static, Postgres>;

/// What the appending transaction learns once it holds the head lock.
struct LockedHead {
    head: u64,
    last_recorded_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
}

/// What `stdreg_append` returns: the stream version, the head and the record
/// time after the append; all `NULL` when the head row is missing.
type AppendRow = (Option<i64>, Option<i64>, Option<DateTime<Utc>>);

type EventRow = (
    i64,
    Uuid,
    String,
    i64,
    String,
    i64,
    Vec<u8>,
    DateTime<Utc>,
    Option<Vec<u8>>,
);

const SELECT_EVENTS: &str = "SELECT global_position, event_id, stream, stream_position, event_type, schema_version, data, recorded_at, sealed FROM stdreg_events";

impl PostgresStore {
    /// Opens the log at `url` with default [`ConnectOptions`], creating or
    /// migrating its tables.
    pub async fn connect(url: &str) -> Result<Self, OpenError> {
        Self::connect_with(url, ConnectOptions::default()).await
    }

    pub async fn connect_with(url: &str, options: ConnectOptions) -> Result<Self, OpenError> {
        let connect_options: PgConnectOptions = url
            .parse()
            .map_err(|source| OpenError::InvalidUrl { source })?;

        // One direct connection first: it fails fast with a clear error where
        // a pool would keep retrying until its timeout, and it runs the migrations.
        let mut conn = connect_options
            .connect()
            .await
            .map_err(|source| connect_error(&connect_options, source))?;
        let schema = schema::migrate(&mut conn).await?;
        let head: i64 = sqlx::query_scalar("SELECT head FROM stdreg_log_head")
            .fetch_one(&mut conn)
            .await
            .map_err(|source| OpenError::Query {
                what: "read the head of the event log",
                source,
            })?;
        // Closing politely is a courtesy; a failure here changes nothing.
        let _ = conn.close().await;

        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .connect_lazy_with(connect_options.clone());
        // The listener holds its connection for good, so it gets its own pool
        // rather than shrinking the one appends and reads use.
        let listen_pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(options.acquire_timeout)
            .connect_lazy_with(connect_options.clone());
        let channel = notify::channel_for(&schema);
        // Listening before returning means every commit after `connect`
        // returns is notified, not just caught by the next poll.
        let mut listener = PgListener::connect_with(&listen_pool)
            .await
            .map_err(|source| connect_error(&connect_options, source))?;
        listener
            .listen(&channel)
            .await
            .map_err(|source| OpenError::Query {
                what: "listen for appends",
                source,
            })?;

        let (head_tx, _) = watch::channel(u64::try_from(head).unwrap_or(0));
        let head_tx = Arc::new(head_tx);
        let tasks = notify::spawn(
            listener,
            pool.clone(),
            schema.clone(),
            head_tx.clone(),
            options.poll_interval,
        );
        Ok(Self {
            pool,
            schema,
            channel,
            head: head_tx,
            _tasks: tasks,
        })
    }

    /// The schema holding this log's tables.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The channel each append notifies, with payload `<head> <schema>`; other
    /// programs may `LISTEN` on it too.
    pub fn notify_channel(&self) -> &str {
        &self.channel
    }

    async fn import_locked(
        &self,
        tx: &mut Tx,
        events: Vec<StoredEvent>,
    ) -> Result<u64, StoreError> {
        let locked = lock_head(tx).await?;
        let mut versions = HashMap::new();
        for stream in event_store::import_streams(&events) {
            versions.insert(stream.clone(), stream_version_in(tx, stream).await?);
        }
        let end = LogEnd {
            head: locked.head,
            last_recorded_at: locked.last_recorded_at,
        };
        check_import(
            end,
            &events,
            |s| versions.get(s).copied().unwrap_or(0),
            |_| false,
        )?;
        // Ids already in the log are refused by the unique constraint on
        // insert, which aborts the import like the checks above.
        let head = locked.head + events.len() as u64;
        let last_time = events.last().map_or(locked.now, |e| e.recorded_at);
        let mut rows = Rows::with_capacity(events.len());
        for event in events {
            rows.push(
                event.global_position,
                event.event_id,
                event.stream.as_str().to_owned(),
                event.stream_position,
                event.event_type,
                event.schema_version,
                event.data,
                event.recorded_at,
                event.sealed,
            )?;
        }
        rows.insert(tx).await?;
        self.move_head(tx, head, last_time).await?;
        Ok(head)
    }

    async fn begin(&self) -> Result<Tx, StoreError> {
        self.pool
            .begin()
            .await
            .map_err(|e| StoreError::backend("could not begin a transaction", e))
    }

    /// Commits on success and rolls back explicitly on failure: a dropped
    /// transaction would roll back only when its connection is next used,
    /// holding the head lock until then.
    async fn finish<T>(
        &self,
        tx: Tx,
        result: Result<T, StoreError>,
        new_head: impl FnOnce(&T) -> u64,
    ) -> Result<T, StoreError> {
        match result {
            Ok(value) => {
                tx.commit()
                    .await
                    .map_err(|e| StoreError::backend("could not commit", e))?;
                notify::raise(&self.head, new_head(&value));
                Ok(value)
            }
            Err(error) => {
                if let Err(rollback) = tx.rollback().await {
                    tracing::warn!(error = %rollback, "rolling back a failed append failed");
                }
                Err(error)
            }
        }
    }

    async fn move_head(
        &self,
        tx: &mut Tx,
        head: u64,
        recorded_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "WITH moved AS (
                UPDATE stdreg_log_head SET head = $1, last_recorded_at = $2 WHERE id RETURNING head
            )
            SELECT pg_notify($3, $4) FROM moved",
        )
        .bind(to_i64(head)?)
        .bind(recorded_at)
        .bind(&self.channel)
        .bind(notify::payload(head, &self.schema))
        .execute(&mut **tx)
        .await
        .map_err(|e| StoreError::backend("could not move the log head", e))?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Corrupt(
                "the log head row is missing".to_owned(),
            ));
        }
        Ok(())
    }

    /// The whole append is one call of the `stdreg_append` function in its
    /// own transaction (see the migrations): one round trip, and the head
    /// lock is released by the commit that ends the same statement.
    async fn append_batch(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        let mut event_ids = Vec::with_capacity(events.len());
        let mut event_types = Vec::with_capacity(events.len());
        let mut schema_versions = Vec::with_capacity(events.len());
        let mut data = Vec::with_capacity(events.len());
        let mut sealed = Vec::with_capacity(events.len());
        for event in events {
            event_ids.push(event.event_id);
            event_types.push(event.event_type);
            schema_versions.push(i64::from(event.schema_version));
            data.push(event.data);
            sealed.push(event.sealed);
        }
        let expected_i64 = match expected {
            ExpectedVersion::Any => None,
            // No stream can reach a version beyond i64::MAX, so such an
            // expectation is sent as -1, which no stream is at either: the
            // function then reports the actual version.
            ExpectedVersion::Exact(version) => Some(i64::try_from(version).unwrap_or(-1)),
        };
        let row: Result<AppendRow, sqlx::Error> = sqlx::query_as(
            "SELECT new_version, new_head, record_time
            FROM stdreg_append($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(stream.as_str())
        .bind(expected_i64)
        .bind(event_ids)
        .bind(event_types)
        .bind(schema_versions)
        .bind(data)
        .bind(sealed)
        .bind(&self.channel)
        .bind(&self.schema)
        .fetch_one(&self.pool)
        .await;
        let (version, head, recorded_at) = match row {
            Ok(row) => row,
            Err(error) => {
                return Err(match (expected, wrong_version(&error)) {
                    (ExpectedVersion::Exact(expected), Some(actual)) => {
                        StoreError::WrongExpectedVersion {
                            stream: stream.clone(),
                            expected,
                            actual: actual?,
                        }
                    }
                    _ => append_error(error),
                });
            }
        };
        let (Some(version), Some(head), Some(recorded_at)) = (version, head, recorded_at) else {
            return Err(StoreError::Corrupt(
                "the log head row is missing".to_owned(),
            ));
        };
        let version = to_u64(version, "stream version")?;
        let head = to_u64(head, "log head")?;
        Ok(AppendOutcome {
            stream_version: version,
            last_global_position: head,
            recorded_at,
        })
    }
}

#[async_trait]
impl EventStore for PostgresStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        if events.is_empty() {
            return Err(StoreError::InvalidAppend(format!(
                "empty batch for stream {stream}"
            )));
        }
        for event in &events {
            check_text(stream, &event.event_type)?;
        }
        event_store::check_unique_ids(events.iter().map(|e| e.event_id))?;

        let outcome = self.append_batch(stream, expected, events).await?;
        notify::raise(&self.head, outcome.last_global_position);
        Ok(outcome)
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        from_stream_position: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let limit = limit.min(READ_PAGE_MAX);
        // A NUL cannot be stored in TEXT, so no such stream exists.
        if limit == 0 || stream.as_str().contains('\0') {
            return Ok(Vec::new());
        }
        let Ok(from) = i64::try_from(from_stream_position) else {
            return Ok(Vec::new());
        };
        let rows: Vec<EventRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT_EVENTS} WHERE stream = $1 AND stream_position >= $2 ORDER BY stream_position LIMIT $3"
        )))
        .bind(stream.as_str())
        .bind(from)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| StoreError::backend(format!("could not read stream {stream}"), e))?;
        rows.into_iter().map(decode).collect()
    }

    async fn read_all(
        &self,
        from_global_position: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let limit = limit.min(READ_PAGE_MAX);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let Ok(from) = i64::try_from(from_global_position) else {
            return Ok(Vec::new());
        };
        let rows: Vec<EventRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT_EVENTS} WHERE global_position >= $1 ORDER BY global_position LIMIT $2"
        )))
        .bind(from)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| StoreError::backend("could not read the event log", e))?;
        rows.into_iter().map(decode).collect()
    }

    async fn head_position(&self) -> Result<u64, StoreError> {
        let head = notify::read_head(&self.pool)
            .await
            .map_err(|e| StoreError::backend("could not read the head of the event log", e))?;
        notify::raise(&self.head, head);
        Ok(head)
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        if stream.as_str().contains('\0') {
            return Ok(0);
        }
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(|e| StoreError::backend("could not get a connection", e))?;
        stream_version_in(&mut conn, stream).await
    }

    /// Atomic, under the head lock of appends.
    async fn import_stored(&self, events: Vec<StoredEvent>) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        for event in &events {
            check_text(&event.stream, &event.event_type)?;
        }
        let mut tx = self.begin().await?;
        let result = self.import_locked(&mut tx, events).await;
        self.finish(tx, result, |head| *head).await.map(|_| ())
    }

    fn subscribe(&self) -> watch::Receiver<u64> {
        self.head.subscribe()
    }

    async fn read_metadata(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        if key.contains('\0') {
            return Ok(None);
        }
        sqlx::query_scalar("SELECT value FROM stdreg_metadata WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| StoreError::backend(format!("could not read metadata record {key}"), e))
    }

    /// One statement: an insert that does nothing when the key exists, or an
    /// update only from the expected value; no row touched is a conflict.
    async fn write_metadata(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
    ) -> Result<(), StoreError> {
        check_metadata(key, value)?;
        let written = match expected {
            None => sqlx::query(
                "INSERT INTO stdreg_metadata (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            )
            .bind(key)
            .bind(value),
            Some(expected) => sqlx::query(
                "UPDATE stdreg_metadata SET value = $2 WHERE key = $1 AND value = $3",
            )
            .bind(key)
            .bind(value)
            .bind(expected),
        }
        .execute(&self.pool)
        .await
        .map_err(|e| StoreError::backend(format!("could not write metadata record {key}"), e))?;
        if written.rows_affected() == 1 {
            return Ok(());
        }
        Err(StoreError::MetadataConflict {
            key: key.to_owned(),
            current: self.read_metadata(key).await?,
        })
    }
}

fn connect_error(options: &PgConnectOptions, source: sqlx::Error) -> OpenError {
    use sqlx::postgres::PgSslMode;
    // rustls reports a certificate it cannot verify as invalid data on the socket.
    let tls = match &source {
        sqlx::Error::Tls(e) => Some(e.to_string()),
        sqlx::Error::Io(e)
            if e.kind() == std::io::ErrorKind::InvalidData
                && matches!(
                    options.get_ssl_mode(),
                    PgSslMode::Require | PgSslMode::VerifyCa | PgSslMode::VerifyFull
                ) =>
        {
            Some(
                e.get_ref()
                    .map_or_else(|| e.to_string(), ToString::to_string),
            )
        }
        _ => None,
    };
    if let Some(message) = tls {
        return OpenError::Tls {
            host: options.get_host().to_owned(),
            port: options.get_port(),
            message,
        };
    }
    OpenError::Connect {
        host: options.get_host().to_owned(),
        port: options.get_port(),
        database: options.get_database().unwrap_or("(default)").to_owned(),
        source,
    }
}

async fn lock_head(tx: &mut Tx) -> Result<LockedHead, StoreError> {
    let row: Option<(i64, Option<DateTime<Utc>>, DateTime<Utc>)> = sqlx::query_as(
        "SELECT head, last_recorded_at, clock_timestamp() FROM stdreg_log_head WHERE id FOR UPDATE",
    )
    .fetch_optional(&mut **tx)
    .await
    .map_err(|e| StoreError::backend("could not lock the log head", e))?;
    let (head, last_recorded_at, now) =
        row.ok_or_else(|| StoreError::Corrupt("the log head row is missing".to_owned()))?;
    Ok(LockedHead {
        head: to_u64(head, "log head")?,
        last_recorded_at,
        now,
    })
}

async fn stream_version_in(
    conn: &mut sqlx::PgConnection,
    stream: &StreamId,
) -> Result<u64, StoreError> {
    let version: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(stream_position) + 1, 0) FROM stdreg_events WHERE stream = $1",
    )
    .bind(stream.as_str())
    .fetch_one(conn)
    .await
    .map_err(|e| {
        StoreError::backend(format!("could not read the version of stream {stream}"), e)
    })?;
    to_u64(version, "stream version")
}

/// PostgreSQL TEXT cannot hold NUL; refusing up front gives a caller error
/// instead of a driver error.
fn check_text(stream: &StreamId, event_type: &str) -> Result<(), StoreError> {
    if stream.as_str().contains('\0') {
        return Err(StoreError::InvalidAppend(
            "stream name contains a NUL character".to_owned(),
        ));
    }
    if event_type.contains('\0') {
        return Err(StoreError::InvalidAppend(
            "event type contains a NUL character".to_owned(),
        ));
    }
    Ok(())
}

fn position_overflow() -> StoreError {
    StoreError::InvalidAppend("the global position would overflow".to_owned())
}

fn to_i64(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value)
        .map_err(|_| StoreError::InvalidAppend(format!("position {value} is too large to store")))
}

fn to_u64(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("negative {what}: {value}")))
}

fn decode(row: EventRow) -> Result<StoredEvent, StoreError> {
    let (
        global_position,
        event_id,
        stream,
        stream_position,
        event_type,
        schema_version,
        data,
        recorded_at,
        sealed,
    ) = row;
    Ok(StoredEvent {
        event_id,
        stream: StreamId::new(stream),
        stream_position: to_u64(stream_position, "stream position")?,
        global_position: to_u64(global_position, "global position")?,
        event_type,
        schema_version: u32::try_from(schema_version).map_err(|_| {
            StoreError::Corrupt(format!(
                "schema version {schema_version} of event {event_id} is out of range"
            ))
        })?,
        data,
        recorded_at,
        sealed,
    })
}

/// Column arrays for one `INSERT ... SELECT FROM UNNEST(...)`: one round
/// trip per batch whatever its size.
struct Rows {
    global_positions: Vec<i64>,
    event_ids: Vec<Uuid>,
    streams: Vec<String>,
    stream_positions: Vec<i64>,
    event_types: Vec<String>,
    schema_versions: Vec<i64>,
    data: Vec<Vec<u8>>,
    recorded_at: Vec<DateTime<Utc>>,
    sealed: Vec<Option<Vec<u8>>>,
}

impl Rows {
    fn with_capacity(n: usize) -> Self {
        Self {
            global_positions: Vec::with_capacity(n),
            event_ids: Vec::with_capacity(n),
            streams: Vec::with_capacity(n),
            stream_positions: Vec::with_capacity(n),
            event_types: Vec::with_capacity(n),
            schema_versions: Vec::with_capacity(n),
            data: Vec::with_capacity(n),
            recorded_at: Vec::with_capacity(n),
            sealed: Vec::with_capacity(n),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        global_position: u64,
        event_id: Uuid,
        stream: String,
        stream_position: u64,
        event_type: String,
        schema_version: u32,
        data: Vec<u8>,
        recorded_at: DateTime<Utc>,
        sealed: Option<Vec<u8>>,
    ) -> Result<(), StoreError> {
        self.global_positions.push(to_i64(global_position)?);
        self.event_ids.push(event_id);
        self.streams.push(stream);
        self.stream_positions.push(to_i64(stream_position)?);
        self.event_types.push(event_type);
        self.schema_versions.push(i64::from(schema_version));
        self.data.push(data);
        self.recorded_at.push(recorded_at);
        self.sealed.push(sealed);
        Ok(())
    }

    async fn insert(self, tx: &mut Tx) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO stdreg_events
                (global_position, event_id, stream, stream_position, event_type, schema_version, data, recorded_at, sealed)
            SELECT * FROM UNNEST(
                $1::BIGINT[], $2::UUID[], $3::TEXT[], $4::BIGINT[], $5::TEXT[], $6::BIGINT[], $7::BYTEA[], $8::TIMESTAMPTZ[], $9::BYTEA[]
            )",
        )
        .bind(self.global_positions)
        .bind(self.event_ids)
        .bind(self.streams)
        .bind(self.stream_positions)
        .bind(self.event_types)
        .bind(self.schema_versions)
        .bind(self.data)
        .bind(self.recorded_at)
        .bind(self.sealed)
        .execute(&mut **tx)
        .await
        .map_err(insert_error)?;
        Ok(())
    }
}

/// The actual stream version when `stdreg_append` refused the expected one
/// (SQLSTATE `SR409`, the version in the detail).
fn wrong_version(error: &sqlx::Error) -> Option<Result<u64, StoreError>> {
    let pg = error
        .as_database_error()?
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()?;
    if pg.code() != "SR409" {
        return None;
    }
    Some(
        pg.detail()
            .and_then(|detail| detail.parse::<u64>().ok())
            .ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "the append function reported a wrong expected version without the actual one: {pg}"
                ))
            }),
    )
}

fn append_error(error: sqlx::Error) -> StoreError {
    // numeric_value_out_of_range: a position past i64::MAX.
    if error
        .as_database_error()
        .and_then(|db| db.code())
        .is_some_and(|code| code == "22003")
    {
        return position_overflow();
    }
    if error.as_database_error().is_some() {
        return insert_error(error);
    }
    StoreError::backend("could not append the events", error)
}

fn insert_error(error: sqlx::Error) -> StoreError {
    if let Some(db) = error.as_database_error() {
        match db.constraint() {
            // How ids already in the log are refused: the unique index
            // checks each row as it goes in. A separate query cost a round
            // trip and, with a generic plan made while the log was small,
            // compared every stored id with every new one.
            Some("stdreg_events_event_id_key") => {
                let detail = db
                    .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                    .and_then(|pg| pg.detail())
                    .unwrap_or("an event id of the batch is already in the log");
                return StoreError::InvalidAppend(format!("event id already exists: {detail}"));
            }
            // Unreachable for writes through this crate, which assign
            // positions under the head lock; turns a foreign writer's
            // interference into an error rather than a silent overwrite.
            Some("stdreg_events_stream_position_key" | "stdreg_events_pkey") => {
                return StoreError::backend(
                    "a position of the batch is already taken; another writer bypassed the head lock",
                    error,
                );
            }
            _ => {}
        }
    }
    StoreError::backend("could not insert the events", error)
}
