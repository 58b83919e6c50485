//! Opening the event store a command runs on.
//!
//! A store is named by a location: `postgres://…` (or `postgresql://…`),
//! `sqlite://FILE`, `kurrentdb://…` / `esdb://…` (only in builds with the
//! `kurrentdb` feature), or, where a command accepts it, a plain path: a data
//! directory holding the embedded store's file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use event_store::EventStore;

use crate::commands::Failure;

/// File name of the embedded store inside the data directory.
pub const EMBEDDED_FILE: &str = "events.db";

const POSTGRES_SCHEMES: [&str; 2] = ["postgres://", "postgresql://"];
const SQLITE_SCHEME: &str = "sqlite://";
const KURRENTDB_SCHEMES: [&str; 4] = [
    "kurrentdb://",
    "kurrentdb+discover://",
    "esdb://",
    "esdb+discover://",
];

/// Where an event log lives.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    Postgres(String),
    Sqlite(PathBuf),
    KurrentDb(String),
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

/// Shows the location without the password a URL may hold.
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Postgres(url) | Location::KurrentDb(url) => f.write_str(&redact(url)),
            Location::Sqlite(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Replaces the password of `scheme://user:password@host…` with `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

impl Location {
    /// Parses a store URL; with `allow_path`, anything without a scheme is a
    /// data directory (or, if it names an existing file, the SQLite file itself).
    pub fn parse(text: &str, allow_path: bool) -> Result<Self, Failure> {
        let text = text.trim();
        if POSTGRES_SCHEMES.iter().any(|s| text.starts_with(s)) {
            return Ok(Location::Postgres(text.to_owned()));
        }
        if let Some(path) = text.strip_prefix(SQLITE_SCHEME) {
            if path.is_empty() {
                return Err(Failure::User(
                    "sqlite:// needs a file name, e.g. sqlite://stdreg-data/events.db".into(),
                ));
            }
            return Ok(Location::Sqlite(PathBuf::from(path)));
        }
        if KURRENTDB_SCHEMES.iter().any(|s| text.starts_with(s)) {
            return Ok(Location::KurrentDb(text.to_owned()));
        }
        if allow_path && !text.contains("://") && !text.is_empty() {
            let path = Path::new(text);
            return Ok(Location::Sqlite(if path.is_file() {
                path.to_path_buf()
            } else {
                path.join(EMBEDDED_FILE)
            }));
        }
        let paths = if allow_path { ", a data directory" } else { "" };
        Err(Failure::User(format!(
            "unsupported store '{}': use postgres://USER@HOST/DB, sqlite://FILE{paths}, kurrentdb://HOST:2113 (builds with the kurrentdb feature){}",
            redact(text),
            if allow_path {
                ""
            } else {
                ", or omit --store for the embedded store in --data-dir"
            }
        )))
    }
}

/// Whether a command may create the log it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Creates an empty log (and the folder of an embedded one) where there is none.
    Create,
    /// Opens only a log that exists: a command that reads leaves nothing behind.
    Existing,
}

/// Opens the store at `location`.
pub async fn open_at(location: &Location, access: Access) -> Result<Arc<dyn EventStore>, Failure> {
    match location {
        Location::Postgres(url) => store_postgres::PostgresStore::connect(url)
            .await
            .map(|store| Arc::new(store) as Arc<dyn EventStore>)
            .map_err(|e| Failure::User(e.to_string())),
        Location::Sqlite(path) => {
            if access == Access::Existing && !path.is_file() {
                return Err(no_registry(path));
            }
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    Failure::User(format!(
                        "cannot create directory {} for the event log: {e}; choose another location",
                        dir.display()
                    ))
                })?;
            }
            store_sqlite::SqliteStore::open(path)
                .await
                .map(|store| Arc::new(store) as Arc<dyn EventStore>)
                .map_err(|e| Failure::User(e.to_string()))
        }
        Location::KurrentDb(url) => open_kurrentdb(url).await,
    }
}

/// The error of a read-only command pointed at a place without a log.
fn no_registry(path: &Path) -> Failure {
    let place = match path.parent() {
        Some(dir) if path.file_name() == Some(EMBEDDED_FILE.as_ref()) && !dir.is_file() => {
            dir.display().to_string()
        }
        _ => path.display().to_string(),
    };
    Failure::User(format!(
        "no registry here: {place} holds no event log; give --data-dir (or --store) of an existing registry, or create one with `stdreg import`"
    ))
}

#[cfg(feature = "kurrentdb")]
async fn open_kurrentdb(url: &str) -> Result<Arc<dyn EventStore>, Failure> {
    store_kurrentdb::KurrentStore::connect(url)
        .await
        .map(|store| Arc::new(store) as Arc<dyn EventStore>)
        .map_err(|e| Failure::User(e.to_string()))
}

#[cfg(not(feature = "kurrentdb"))]
async fn open_kurrentdb(_url: &str) -> Result<Arc<dyn EventStore>, Failure> {
    Err(Failure::User(
        "this stdreg was built without KurrentDB support: build it with `cargo build --release -p stdreg --features kurrentdb`, or use postgres:// or the embedded store".into(),
    ))
}

/// `--store` when given, else the embedded store in `data_dir`.
pub fn location(data_dir: &Path, store_url: Option<&str>) -> Result<Location, Failure> {
    match store_url {
        Some(url) => Location::parse(url, false),
        None => Ok(Location::Sqlite(data_dir.join(EMBEDDED_FILE))),
    }
}

/// `--store` when given, else the embedded store in `data_dir`.
pub async fn open(
    data_dir: &Path,
    store_url: Option<&str>,
    access: Access,
) -> Result<Arc<dyn EventStore>, Failure> {
    open_at(&location(data_dir, store_url)?, access).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_passwords_only() {
        let cases = [
            (
                "postgres://u:secret@h:5432/db?options=x",
                "postgres://u:***@h:5432/db?options=x",
            ),
            ("postgres://u@h/db", "postgres://u@h/db"),
            ("postgres://h/db", "postgres://h/db"),
            (
                "esdb://admin:changeit@localhost:2113?tls=false",
                "esdb://admin:***@localhost:2113?tls=false",
            ),
            ("sqlite://a/b", "sqlite://a/b"),
            ("plain/path", "plain/path"),
        ];
        for (url, want) in cases {
            assert_eq!(redact(url), want, "{url}");
        }
    }

    #[test]
    fn locations_parse() {
        let cases: [(&str, bool, Option<Location>); 7] = [
            (
                "postgres://u@h/db",
                false,
                Some(Location::Postgres("postgres://u@h/db".into())),
            ),
            (
                "postgresql://u@h/db",
                false,
                Some(Location::Postgres("postgresql://u@h/db".into())),
            ),
            (
                "sqlite://x/events.db",
                false,
                Some(Location::Sqlite("x/events.db".into())),
            ),
            (
                "esdb://h:2113",
                false,
                Some(Location::KurrentDb("esdb://h:2113".into())),
            ),
            ("some-dir", false, None),
            (
                "no-such-dir-here",
                true,
                Some(Location::Sqlite(
                    Path::new("no-such-dir-here").join(EMBEDDED_FILE),
                )),
            ),
            ("mysql://h/db", true, None),
        ];
        for (text, allow_path, want) in cases {
            let got = Location::parse(text, allow_path).ok();
            assert_eq!(got, want, "{text} (paths allowed: {allow_path})");
        }
    }
}
