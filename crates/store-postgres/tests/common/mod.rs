//! A fresh schema per test, so tests run in parallel and repeatedly against
//! one database.

#![allow(dead_code)]

use std::time::Duration;

use event_store::{EventStore, NewEvent, StoredEvent};
use sqlx::{Connection, PgConnection};
use store_postgres::{ConnectOptions, PostgresStore};
use uuid::Uuid;

pub const URL_VAR: &str = "STDREG_TEST_POSTGRES_URL";

/// Reads the test database URL, or says why the test is skipped.
pub fn base_url() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            println!(
                "skipped: {URL_VAR} is not set (run .ci/run or export it to run the PostgreSQL suite)"
            );
            None
        }
    }
}

/// A schema of its own in the test database, dropped with this value.
#[derive(Debug)]
pub struct TestSchema {
    base_url: String,
    pub name: String,
    /// Connection URL whose `search_path` is this schema.
    pub url: String,
}

impl TestSchema {
    /// `None` (after printing why) when no test database is configured;
    /// panics when one is configured but unusable, so that is never mistaken for a skip.
    pub async fn create() -> Option<Self> {
        let base_url = base_url()?;
        let name = format!("t_{}", Uuid::now_v7().simple());
        let mut conn = PgConnection::connect(&base_url)
            .await
            .unwrap_or_else(|e| panic!("{URL_VAR} is set but the database is unreachable: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{name}\"")))
            .execute(&mut conn)
            .await
            .expect("create test schema");
        let _ = conn.close().await;
        let separator = if base_url.contains('?') { '&' } else { '?' };
        let url = format!("{base_url}{separator}options=-c%20search_path%3D{name}");
        Some(Self {
            base_url,
            name,
            url,
        })
    }

    pub async fn open(&self) -> PostgresStore {
        PostgresStore::connect(&self.url)
            .await
            .expect("open store on test schema")
    }

    pub async fn open_with(&self, options: ConnectOptions) -> PostgresStore {
        PostgresStore::connect_with(&self.url, options)
            .await
            .expect("open store on test schema")
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot be blocked on, and
        // also while unwinding from a failed assertion; a thread with its own
        // runtime does the cleanup in both cases.
        let base_url = self.base_url.clone();
        let name = self.name.clone();
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("cleanup runtime");
            runtime.block_on(async move {
                let mut conn = PgConnection::connect(&base_url).await?;
                let dropped = tokio::time::timeout(
                    Duration::from_secs(30),
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP SCHEMA IF EXISTS \"{name}\" CASCADE"
                    )))
                    .execute(&mut conn),
                )
                .await;
                let _ = conn.close().await;
                match dropped {
                    Ok(result) => result.map(|_| ()),
                    Err(_) => Err(sqlx::Error::PoolTimedOut),
                }
            })
        });
        match cleanup.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("could not drop test schema {}: {e}", self.name),
            Err(_) => eprintln!("dropping test schema {} panicked", self.name),
        }
    }
}

pub fn event(event_type: &str, data: &[u8]) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: event_type.to_owned(),
        schema_version: 1,
        data: data.to_vec(),
    }
}

/// The whole log, page by page.
pub async fn read_everything(store: &dyn EventStore) -> Vec<StoredEvent> {
    let mut all = Vec::new();
    for _ in 0..1_000_000 {
        let page = store
            .read_all(all.len() as u64 + 1, 100)
            .await
            .expect("read_all");
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
    panic!("the log did not end within a million pages");
}
