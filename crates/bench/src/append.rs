//! Appends through the event store beside the same writes made raw: the same
//! file settings (WAL, `synchronous=FULL`) or server, one row per event, the same
//! payload bytes, and no stdreg code around them. Raw and stdreg rounds alternate
//! so that disk noise hits both.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;
use event_store::{EventStore, ExpectedVersion, NewEvent, StreamId};
use serde::Serialize;
use store_postgres::{PostgresStore, with_search_path};
use store_sqlite::SqliteStore;
use uuid::Uuid;

use crate::Error;

/// How much to append.
#[derive(Debug, Clone, Copy)]
pub struct AppendPlan {
    pub rounds: usize,
    pub single_commits: usize,
    pub batch_events: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct AppendFigures {
    pub backend: &'static str,
    pub rounds: usize,
    pub single_commits: usize,
    pub batch_events: usize,
    pub stdreg_commits_per_second: f64,
    pub raw_commits_per_second: f64,
    pub stdreg_batch_events_per_second: f64,
    pub raw_batch_events_per_second: f64,
}

impl AppendFigures {
    pub fn single_ratio(&self) -> f64 {
        self.stdreg_commits_per_second / self.raw_commits_per_second.max(f64::EPSILON)
    }

    pub fn batch_ratio(&self) -> f64 {
        self.stdreg_batch_events_per_second / self.raw_batch_events_per_second.max(f64::EPSILON)
    }
}

/// The raw table: the event store's own layout, without the store around it.
const RAW_SQLITE_TABLE: &str = "
CREATE TABLE raw_events (
    global_position INTEGER PRIMARY KEY,
    event_id        BLOB    NOT NULL UNIQUE,
    stream          TEXT    NOT NULL,
    stream_position INTEGER NOT NULL,
    event_type      TEXT    NOT NULL,
    schema_version  INTEGER NOT NULL,
    data            BLOB    NOT NULL,
    recorded_at     INTEGER NOT NULL,
    UNIQUE (stream, stream_position)
) STRICT;
";

const RAW_SQLITE_INSERT: &str = "
INSERT INTO raw_events (global_position, event_id, stream, stream_position,
                        event_type, schema_version, data, recorded_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

fn fresh(payloads: &[NewEvent], count: usize, offset: usize) -> Vec<NewEvent> {
    (0..count)
        .map(|i| {
            let p = &payloads[(offset + i) % payloads.len()];
            NewEvent {
                event_id: Uuid::now_v7(),
                event_type: p.event_type.clone(),
                schema_version: p.schema_version,
                data: p.data.clone(),
                sealed: p.sealed.clone(),
            }
        })
        .collect()
}

fn rate(count: usize, spent: Duration) -> f64 {
    count as f64 / spent.as_secs_f64().max(f64::EPSILON)
}

/// Rows the raw writer has put in, to assign positions as a store would.
#[derive(Debug, Default)]
struct RawPositions {
    global: i64,
    stream: i64,
}

impl RawPositions {
    fn next(&mut self) -> (i64, i64) {
        self.global += 1;
        self.stream += 1;
        (self.global, self.stream - 1)
    }
}

fn raw_sqlite_insert(
    statement: &mut rusqlite::CachedStatement<'_>,
    positions: &mut RawPositions,
    event: &NewEvent,
) -> Result<(), rusqlite::Error> {
    let (global, stream_position) = positions.next();
    statement.execute(rusqlite::params![
        global,
        event.event_id.as_bytes(),
        "standard-110100",
        stream_position,
        event.event_type,
        event.schema_version,
        event.data,
        Utc::now().timestamp_micros(),
    ])?;
    Ok(())
}

/// Time one side of the comparison spent in single commits and in batches.
#[derive(Debug, Default)]
struct Spent {
    single: Duration,
    batch: Duration,
}

/// stdreg's side of one round, the same on every backend: the single-event
/// commits one by one, then the batch in one append.
async fn stdreg_side(
    store: &dyn EventStore,
    stream: &StreamId,
    version: &mut u64,
    singles: Vec<NewEvent>,
    batch: Vec<NewEvent>,
    spent: &mut Spent,
) -> Result<(), Error> {
    let t0 = Instant::now();
    for event in singles {
        let outcome = store
            .append(stream, ExpectedVersion::Exact(*version), vec![event])
            .await?;
        *version = outcome.stream_version;
    }
    spent.single += t0.elapsed();
    let t0 = Instant::now();
    let outcome = store
        .append(stream, ExpectedVersion::Exact(*version), batch)
        .await?;
    *version = outcome.stream_version;
    spent.batch += t0.elapsed();
    Ok(())
}

fn figures(backend: &'static str, plan: AppendPlan, stdreg: &Spent, raw: &Spent) -> AppendFigures {
    let singles = plan.rounds * plan.single_commits;
    let batched = plan.rounds * plan.batch_events;
    AppendFigures {
        backend,
        rounds: plan.rounds,
        single_commits: singles,
        batch_events: batched,
        stdreg_commits_per_second: rate(singles, stdreg.single),
        raw_commits_per_second: rate(singles, raw.single),
        stdreg_batch_events_per_second: rate(batched, stdreg.batch),
        raw_batch_events_per_second: rate(batched, raw.batch),
    }
}

/// SQLite: `SqliteStore::append` beside rusqlite on a file with the same settings.
pub async fn sqlite(
    dir: &Path,
    payloads: &[NewEvent],
    plan: AppendPlan,
) -> Result<AppendFigures, Error> {
    if payloads.is_empty() {
        return Err(Error::Config("the append benchmark needs payloads".into()));
    }
    let store = SqliteStore::open(dir.join("append-stdreg.db")).await?;
    let raw = rusqlite::Connection::open(dir.join("append-raw.db"))?;
    raw.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
    raw.pragma_update(None, "synchronous", "FULL")?;
    raw.execute_batch(RAW_SQLITE_TABLE)?;
    let mut raw_positions = RawPositions::default();
    let stream = StreamId::new("standard-110100");
    let mut version = 0u64;
    let (mut stdreg, mut raw_spent) = (Spent::default(), Spent::default());
    for round in 0..plan.rounds {
        for side in [round % 2, 1 - round % 2] {
            let singles = fresh(payloads, plan.single_commits, round);
            let batch = fresh(payloads, plan.batch_events, round);
            if side == 0 {
                let mut statement = raw.prepare_cached(RAW_SQLITE_INSERT)?;
                let t0 = Instant::now();
                for event in &singles {
                    raw_sqlite_insert(&mut statement, &mut raw_positions, event)?;
                }
                raw_spent.single += t0.elapsed();
                drop(statement);
                let t0 = Instant::now();
                let tx = raw.unchecked_transaction()?;
                {
                    let mut statement = tx.prepare_cached(RAW_SQLITE_INSERT)?;
                    for event in &batch {
                        raw_sqlite_insert(&mut statement, &mut raw_positions, event)?;
                    }
                }
                tx.commit()?;
                raw_spent.batch += t0.elapsed();
            } else {
                stdreg_side(&store, &stream, &mut version, singles, batch, &mut stdreg).await?;
            }
        }
    }
    Ok(figures("sqlite", plan, &stdreg, &raw_spent))
}

const RAW_PG_TABLE: &str = "
CREATE TABLE raw_events (
    global_position BIGINT PRIMARY KEY,
    event_id UUID NOT NULL UNIQUE,
    stream TEXT NOT NULL,
    stream_position BIGINT NOT NULL,
    event_type TEXT NOT NULL,
    schema_version BIGINT NOT NULL,
    data BYTEA NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    UNIQUE (stream, stream_position)
)";

const RAW_PG_INSERT: &str = "INSERT INTO raw_events
    (global_position, event_id, stream, stream_position, event_type, schema_version, data, recorded_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

const RAW_PG_INSERT_MANY: &str = "INSERT INTO raw_events
    (global_position, event_id, stream, stream_position, event_type, schema_version, data, recorded_at)
    SELECT * FROM UNNEST($1::BIGINT[], $2::UUID[], $3::TEXT[], $4::BIGINT[], $5::TEXT[],
                         $6::BIGINT[], $7::BYTEA[], $8::TIMESTAMPTZ[])";

/// PostgreSQL: `PostgresStore::append` beside sqlx statements, both in a schema
/// of their own that is dropped afterwards.
pub async fn postgres(
    url: &str,
    payloads: &[NewEvent],
    plan: AppendPlan,
) -> Result<AppendFigures, Error> {
    if payloads.is_empty() {
        return Err(Error::Config("the append benchmark needs payloads".into()));
    }
    let schema = format!(
        "stdreg_bench_{}_{}",
        std::process::id(),
        Utc::now().timestamp_micros()
    );
    let admin = sqlx::PgPool::connect(url).await?;
    // The schema name is made here from digits, never from input.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin)
        .await?;
    let result = postgres_in(url, &schema, payloads, plan).await;
    let dropped = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await;
    admin.close().await;
    let figures = result?;
    dropped?;
    Ok(figures)
}

async fn postgres_in(
    url: &str,
    schema: &str,
    payloads: &[NewEvent],
    plan: AppendPlan,
) -> Result<AppendFigures, Error> {
    let scoped = with_search_path(url, schema);
    let store = PostgresStore::connect(&scoped).await?;
    let raw = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&scoped)
        .await?;
    sqlx::query(RAW_PG_TABLE).execute(&raw).await?;
    let mut raw_positions = RawPositions::default();
    let stream = StreamId::new("standard-110100");
    let mut version = 0u64;
    let (mut stdreg, mut raw_spent) = (Spent::default(), Spent::default());
    for round in 0..plan.rounds {
        for side in [round % 2, 1 - round % 2] {
            let singles = fresh(payloads, plan.single_commits, round);
            let batch = fresh(payloads, plan.batch_events, round);
            if side == 0 {
                let t0 = Instant::now();
                for event in &singles {
                    let (global, stream_position) = raw_positions.next();
                    sqlx::query(RAW_PG_INSERT)
                        .bind(global)
                        .bind(event.event_id)
                        .bind(stream.as_str())
                        .bind(stream_position)
                        .bind(&event.event_type)
                        .bind(i64::from(event.schema_version))
                        .bind(&event.data)
                        .bind(Utc::now())
                        .execute(&raw)
                        .await?;
                }
                raw_spent.single += t0.elapsed();
                let t0 = Instant::now();
                let mut columns = (
                    Vec::new(),
                    Vec::new(),
                    Vec::new(),
                    Vec::new(),
                    Vec::new(),
                    Vec::new(),
                    Vec::new(),
                    Vec::new(),
                );
                let now = Utc::now();
                for event in batch {
                    let (global, stream_position) = raw_positions.next();
                    columns.0.push(global);
                    columns.1.push(event.event_id);
                    columns.2.push(stream.as_str().to_owned());
                    columns.3.push(stream_position);
                    columns.4.push(event.event_type);
                    columns.5.push(i64::from(event.schema_version));
                    columns.6.push(event.data);
                    columns.7.push(now);
                }
                let mut tx = raw.begin().await?;
                sqlx::query(RAW_PG_INSERT_MANY)
                    .bind(columns.0)
                    .bind(columns.1)
                    .bind(columns.2)
                    .bind(columns.3)
                    .bind(columns.4)
                    .bind(columns.5)
                    .bind(columns.6)
                    .bind(columns.7)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                raw_spent.batch += t0.elapsed();
            } else {
                stdreg_side(&store, &stream, &mut version, singles, batch, &mut stdreg).await?;
            }
        }
    }
    raw.close().await;
    Ok(figures("postgresql", plan, &stdreg, &raw_spent))
}
