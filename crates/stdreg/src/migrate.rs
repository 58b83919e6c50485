//! `stdreg migrate --from LOCATION --to LOCATION`: copies an event log into an
//! empty store of any backend, keeping event ids, stream positions, global
//! positions, record times and order, then reads both logs back and compares
//! them event by event.
//!
//! Writers should be stopped while a log is migrated: events appended to the
//! source after the copy starts are not copied (the command reports them).

use std::io::IsTerminal;
use std::time::Duration;

use event_store::{EventStore, StoredEvent};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::commands::Failure;
use crate::store::{Access, Location};

/// Events read and imported per round trip: one import transaction each.
pub const MIGRATE_PAGE: usize = 1_000;

/// Plain progress lines (when stderr is not a terminal) every this many percent.
const PLAIN_PROGRESS_STEP: u64 = 10;

#[derive(Debug, Serialize)]
struct Report {
    from: String,
    to: String,
    events: u64,
    /// SHA-256 over the canonical bytes of every event, equal on both sides.
    sha256: String,
    /// Events appended to the source while it was copied, not copied.
    appended_during_copy: u64,
}

pub async fn run(from: &str, to: &str, json: bool) -> Result<(), Failure> {
    let from = Location::parse(from, true)?;
    let to = Location::parse(to, true)?;
    if let Location::Sqlite(path) = &from
        && !path.is_file()
    {
        return Err(Failure::User(format!(
            "--from: there is no event log at {}: name a data directory holding {}, a sqlite://FILE or a postgres:// url",
            path.display(),
            crate::store::EMBEDDED_FILE
        )));
    }
    if from == to {
        return Err(Failure::User(
            "--from and --to name the same store: migrate into another, empty store".into(),
        ));
    }
    let source = crate::store::open_at(&from, Access::Existing).await?;
    let target = crate::store::open_at(&to, Access::Create).await?;
    let source_store = source.as_ref();
    let target_store = target.as_ref();

    let total = source_store.head_position().await.map_err(internal)?;
    if total == 0 {
        return Err(Failure::User(format!(
            "the source log at {from} is empty: nothing to migrate; check --from"
        )));
    }
    let target_head = target_store.head_position().await.map_err(internal)?;
    if target_head != 0 {
        return Err(Failure::User(format!(
            "the target log at {to} already holds {target_head} events: migrate only into an empty store (a new data directory, sqlite file or database schema)"
        )));
    }

    let progress = Progress::start("copying", total);
    let mut next = 1;
    while next <= total {
        let mut page = source_store
            .read_all(next, MIGRATE_PAGE)
            .await
            .map_err(|e| Failure::Internal(anyhow::Error::new(e).context("reading the source")))?;
        page.retain(|e| e.global_position <= total);
        let Some(last) = page.last().map(|e| e.global_position) else {
            return Err(Failure::Internal(anyhow::anyhow!(
                "the source log ended at position {} before its head {total}",
                next - 1
            )));
        };
        target.import_stored(page).await.map_err(|e| {
            Failure::Internal(anyhow::Error::new(e).context(format!(
                "importing events {next}..={last} into the target; it now holds the events before {next}: empty it before trying again"
            )))
        })?;
        next = last + 1;
        progress.set(last);
    }
    progress.finish();

    let digest = verify(source_store, target_store, total).await?;
    let appended_during_copy = source_store
        .head_position()
        .await
        .map_err(internal)?
        .saturating_sub(total);

    let report = Report {
        from: from.to_string(),
        to: to.to_string(),
        events: total,
        sha256: digest,
        appended_during_copy,
    };
    if json {
        let text =
            serde_json::to_string_pretty(&report).map_err(|e| Failure::Internal(e.into()))?;
        crate::commands::print(&format!("{text}\n"))?;
    } else {
        println!(
            "migrated {} events from {} to {}\nverified: both logs hold the same {} events (sha256 {})",
            report.events, report.from, report.to, report.events, report.sha256
        );
        if appended_during_copy > 0 {
            println!(
                "warning: {appended_during_copy} events were appended to the source during the copy and were not copied; stop writers and migrate again into an empty store"
            );
        }
    }
    Ok(())
}

/// Reads both logs up to `total` and compares them event by event, field by
/// field; returns the SHA-256 of the canonical bytes, the same on both sides.
async fn verify(
    source: &dyn EventStore,
    target: &dyn EventStore,
    total: u64,
) -> Result<String, Failure> {
    let target_head = target.head_position().await.map_err(internal)?;
    if target_head != total {
        return Err(mismatch(format!(
            "the target's head is {target_head}, the source's {total}"
        )));
    }
    let progress = Progress::start("verifying", total);
    let mut source_hash = Sha256::new();
    let mut target_hash = Sha256::new();
    let mut next = 1;
    while next <= total {
        let mut theirs = source
            .read_all(next, MIGRATE_PAGE)
            .await
            .map_err(internal)?;
        theirs.retain(|e| e.global_position <= total);
        let ours = target
            .read_all(next, MIGRATE_PAGE)
            .await
            .map_err(internal)?;
        if ours.len() != theirs.len() {
            return Err(mismatch(format!(
                "from position {next} the source gives {} events, the target {}",
                theirs.len(),
                ours.len()
            )));
        }
        let Some(last) = theirs.last().map(|e| e.global_position) else {
            return Err(mismatch(format!(
                "both logs end at {} before {total}",
                next - 1
            )));
        };
        for (a, b) in theirs.iter().zip(&ours) {
            if let Some(field) = first_difference(a, b) {
                return Err(mismatch(format!(
                    "event at global position {} differs in its {field}",
                    a.global_position
                )));
            }
            canonical(a, &mut source_hash);
            canonical(b, &mut target_hash);
        }
        next = last + 1;
        progress.set(last);
    }
    progress.finish();
    let source_digest = hex(&source_hash.finalize());
    let target_digest = hex(&target_hash.finalize());
    if source_digest != target_digest {
        return Err(mismatch(format!(
            "sha256 of the source is {source_digest}, of the target {target_digest}"
        )));
    }
    Ok(source_digest)
}

fn first_difference(a: &StoredEvent, b: &StoredEvent) -> Option<&'static str> {
    [
        ("event id", a.event_id == b.event_id),
        ("stream", a.stream == b.stream),
        ("stream position", a.stream_position == b.stream_position),
        ("global position", a.global_position == b.global_position),
        ("event type", a.event_type == b.event_type),
        ("schema version", a.schema_version == b.schema_version),
        ("data", a.data == b.data),
        ("record time", a.recorded_at == b.recorded_at),
    ]
    .into_iter()
    .find_map(|(field, same)| (!same).then_some(field))
}

/// Every field, length-prefixed where variable, so that no two different
/// events feed the hash the same bytes.
fn canonical(event: &StoredEvent, hash: &mut Sha256) {
    let bytes = |hash: &mut Sha256, b: &[u8]| {
        hash.update((b.len() as u64).to_be_bytes());
        hash.update(b);
    };
    hash.update(event.global_position.to_be_bytes());
    hash.update(event.event_id.as_bytes());
    bytes(hash, event.stream.as_str().as_bytes());
    hash.update(event.stream_position.to_be_bytes());
    bytes(hash, event.event_type.as_bytes());
    hash.update(event.schema_version.to_be_bytes());
    bytes(hash, &event.data);
    hash.update(event.recorded_at.timestamp_micros().to_be_bytes());
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn mismatch(what: String) -> Failure {
    Failure::Internal(anyhow::anyhow!(
        "the migrated log differs from the source: {what}; do not use the target"
    ))
}

fn internal(error: event_store::StoreError) -> Failure {
    Failure::Internal(error.into())
}

/// A bar on a terminal; a line every [`PLAIN_PROGRESS_STEP`] percent otherwise,
/// so logs of non-interactive runs stay readable.
enum Progress {
    Bar(ProgressBar),
    Plain {
        what: &'static str,
        total: u64,
        reported: std::cell::Cell<u64>,
    },
}

impl Progress {
    fn start(what: &'static str, total: u64) -> Self {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(total);
            let style = ProgressStyle::with_template(
                "{msg:>9} [{bar:40}] {pos}/{len} events ({elapsed} so far, {eta} left)",
            )
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_message(what);
            bar.enable_steady_tick(Duration::from_millis(200));
            Progress::Bar(bar)
        } else {
            eprintln!("{what} {total} events");
            Progress::Plain {
                what,
                total,
                reported: std::cell::Cell::new(0),
            }
        }
    }

    fn set(&self, done: u64) {
        match self {
            Progress::Bar(bar) => bar.set_position(done),
            Progress::Plain {
                what,
                total,
                reported,
            } => {
                let percent = done.saturating_mul(100) / (*total).max(1);
                if percent >= reported.get() + PLAIN_PROGRESS_STEP && done < *total {
                    reported.set(percent - percent % PLAIN_PROGRESS_STEP);
                    eprintln!("{what}: {done}/{total} events ({percent}%)");
                }
            }
        }
    }

    fn finish(self) {
        match self {
            Progress::Bar(bar) => bar.finish(),
            Progress::Plain { what, total, .. } => eprintln!("{what}: {total}/{total} events done"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use event_store::StreamId;
    use uuid::Uuid;

    fn sample() -> StoredEvent {
        StoredEvent {
            event_id: Uuid::from_u128(7),
            stream: StreamId::new("standard-CN"),
            stream_position: 0,
            global_position: 1,
            event_type: "RevisionPublished".into(),
            schema_version: 1,
            data: b"{}".to_vec(),
            recorded_at: Utc
                .timestamp_opt(1_700_000_000, 123_000)
                .single()
                .expect("time"),
        }
    }

    #[test]
    fn differences_name_the_field() {
        let base = sample();
        let cases: Vec<(StoredEvent, Option<&str>)> = vec![
            (base.clone(), None),
            (
                StoredEvent {
                    event_id: Uuid::from_u128(8),
                    ..base.clone()
                },
                Some("event id"),
            ),
            (
                StoredEvent {
                    stream_position: 1,
                    ..base.clone()
                },
                Some("stream position"),
            ),
            (
                StoredEvent {
                    data: b"{ }".to_vec(),
                    ..base.clone()
                },
                Some("data"),
            ),
            (
                StoredEvent {
                    recorded_at: base.recorded_at + chrono::Duration::microseconds(1),
                    ..base.clone()
                },
                Some("record time"),
            ),
        ];
        for (other, want) in cases {
            assert_eq!(first_difference(&base, &other), want);
        }
    }

    #[test]
    fn canonical_bytes_do_not_run_together() {
        let digest = |e: &StoredEvent| {
            let mut hash = Sha256::new();
            canonical(e, &mut hash);
            hex(&hash.finalize())
        };
        let a = StoredEvent {
            stream: StreamId::new("ab"),
            event_type: "c".into(),
            ..sample()
        };
        let b = StoredEvent {
            stream: StreamId::new("a"),
            event_type: "bc".into(),
            ..sample()
        };
        assert_ne!(digest(&a), digest(&b));
        assert_eq!(digest(&a), digest(&a.clone()));
    }
}
