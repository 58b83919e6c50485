//! `stdreg migrate --from LOCATION --to LOCATION`: copies an event log into an
//! empty store of any backend, keeping event ids, stream positions, global
//! positions, record times and order, then reads both logs back and compares
//! them event by event by leaf hash (`transparency::LogComparison`).
//!
//! Writers should be stopped while a log is migrated: events appended to the
//! source after the copy starts are not copied (the command reports them).

use std::io::IsTerminal;
use std::time::Duration;

use event_store::EventStore;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use transparency::LogComparison;

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
    /// The Merkle root over every event (hex), the same on both sides: the
    /// root the registry signs in its checkpoints.
    root: String,
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

    let root = verify(source_store, target_store, total).await?;
    let appended_during_copy = source_store
        .head_position()
        .await
        .map_err(internal)?
        .saturating_sub(total);

    let report = Report {
        from: from.to_string(),
        to: to.to_string(),
        events: total,
        root,
        appended_during_copy,
    };
    let mut text = if json {
        serde_json::to_string_pretty(&report).map_err(|e| Failure::Internal(e.into()))? + "\n"
    } else {
        format!(
            "migrated {} events from {} to {}\nverified: both logs hold the same {} events (root {})\n",
            report.events, report.from, report.to, report.events, report.root
        )
    };
    if !json && appended_during_copy > 0 {
        text += &format!(
            "warning: {appended_during_copy} events were appended to the source during the copy and were not copied; stop writers and migrate again into an empty store\n"
        );
    }
    crate::commands::print(&text)
}

/// Reads both logs up to `total` and compares them event by event
/// (`transparency::LogComparison`); returns the root both share, in hex.
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
    let mut comparison = LogComparison::new();
    while comparison.size() < total {
        let next = comparison.size() + 1;
        let mut theirs = source
            .read_all(next, MIGRATE_PAGE)
            .await
            .map_err(internal)?;
        theirs.retain(|e| e.global_position <= total);
        let ours = target
            .read_all(next, MIGRATE_PAGE)
            .await
            .map_err(internal)?;
        if theirs.is_empty() {
            return Err(mismatch(format!(
                "the source ends at {} before {total}",
                next - 1
            )));
        }
        // Sealed bytes lie outside the leaves the comparison checks.
        if let Some((theirs, _)) = theirs
            .iter()
            .zip(&ours)
            .find(|(theirs, ours)| theirs.sealed != ours.sealed)
        {
            return Err(mismatch(format!(
                "the sealed bytes (who recorded it) of the event at position {} differ",
                theirs.global_position
            )));
        }
        comparison
            .compare(&theirs, &ours)
            .map_err(|e| mismatch(e.to_string()))?;
        progress.set(comparison.size());
    }
    progress.finish();
    Ok(hex(&comparison.root()))
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
