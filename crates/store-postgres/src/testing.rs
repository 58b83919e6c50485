//! A schema of its own per test in one shared test database, for the tests
//! of this crate and of the crates above it that run against PostgreSQL.
//! Tests run in parallel and repeatedly; each schema is dropped with its value.

use std::time::Duration;

use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use crate::{ConnectOptions, PostgresStore, with_search_path};

/// The variable naming the test database; `.ci/postgres.sh` sets it.
pub const URL_VAR: &str = "STDREG_TEST_POSTGRES_URL";

/// The test database URL, or `None` after printing why the test is skipped.
pub fn test_url() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            println!(
                "skipped: {URL_VAR} is not set (run .ci/run or `source .ci/postgres.sh` to run the PostgreSQL cases)"
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
        let base_url = test_url()?;
        let name = format!("t_{}", Uuid::now_v7().simple());
        let mut conn = PgConnection::connect(&base_url)
            .await
            .unwrap_or_else(|e| panic!("{URL_VAR} is set but the database is unreachable: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{name}\"")))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("cannot create test schema {name}: {e}"));
        let _ = conn.close().await;
        let url = with_search_path(&base_url, &name);
        Some(Self {
            base_url,
            name,
            url,
        })
    }

    pub async fn open(&self) -> PostgresStore {
        self.open_with(ConnectOptions::default()).await
    }

    pub async fn open_with(&self, options: ConnectOptions) -> PostgresStore {
        PostgresStore::connect_with(&self.url, options)
            .await
            .unwrap_or_else(|e| panic!("cannot open a store on test schema {}: {e}", self.name))
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot be blocked on, and
        // also while unwinding from a failed assertion; a thread with its own
        // runtime does the cleanup in both cases.
        let base_url = self.base_url.clone();
        let sql = format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name);
        let cleanup = std::thread::spawn(move || -> Result<(), sqlx::Error> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let mut conn = PgConnection::connect(&base_url).await?;
                let dropped = tokio::time::timeout(
                    Duration::from_secs(30),
                    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn),
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
