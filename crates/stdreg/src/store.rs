//! Opening the event store a command runs on.

use std::path::Path;
use std::sync::Arc;

use event_store::EventStore;

use crate::commands::Failure;

/// File name of the embedded store inside the data directory.
pub const EMBEDDED_FILE: &str = "events.db";

/// `--store` when given (postgres://…), else the embedded store in `data_dir`.
pub async fn open(
    data_dir: &Path,
    store_url: Option<&str>,
) -> Result<Arc<dyn EventStore>, Failure> {
    match store_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            let store = store_postgres::PostgresStore::connect(url)
                .await
                .map_err(|e| Failure::User(e.to_string()))?;
            Ok(Arc::new(store))
        }
        Some(url) if url.starts_with("sqlite://") => {
            let path = &url["sqlite://".len()..];
            open_sqlite(Path::new(path)).await
        }
        Some(other) => Err(Failure::User(format!(
            "unsupported store '{other}': use postgres://USER@HOST/DB, sqlite://FILE, or omit --store for the embedded store in --data-dir"
        ))),
        None => {
            std::fs::create_dir_all(data_dir).map_err(|e| {
                Failure::User(format!(
                    "cannot create data directory {}: {e}; choose another with --data-dir",
                    data_dir.display()
                ))
            })?;
            open_sqlite(&data_dir.join(EMBEDDED_FILE)).await
        }
    }
}

async fn open_sqlite(path: &Path) -> Result<Arc<dyn EventStore>, Failure> {
    let store = store_sqlite::SqliteStore::open(path)
        .await
        .map_err(|e| Failure::User(e.to_string()))?;
    Ok(Arc::new(store))
}
