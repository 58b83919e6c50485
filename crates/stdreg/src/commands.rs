//! One function per command: open the registry, ask it, print the answer.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use domain::ids::Jurisdiction;
use registry::import::{ImportFile, parse_import};
use registry::preview::PreviewOf;
use registry::query::Point;
use registry::verifiable::{Checkpoints, KeySource};
use registry::view::EventView;
use registry::{ImportOutcome, Registry, RegistryError};
use serde::Serialize;

use crate::cli::{Cli, Command, Global};
use crate::render;
use crate::store::Access;

/// Largest page of the raw log one `stdreg log` prints.
const LOG_LIMIT_MAX: usize = 1_000;

/// How a command failed: the user can fix it (exit 1), or stdreg failed (exit 2).
#[derive(Debug)]
pub enum Failure {
    User(String),
    Internal(anyhow::Error),
}

impl From<RegistryError> for Failure {
    fn from(error: RegistryError) -> Self {
        match error {
            // A log that cannot be decoded is a damaged store, which the
            // message names by position: the operator's to repair.
            RegistryError::Store(_)
            | RegistryError::CatchUpTask(_)
            | RegistryError::Codec(registry::codec::CodecError::NoRandomness(_)) => {
                Failure::Internal(anyhow::Error::new(error))
            }
            other => Failure::User(other.to_string()),
        }
    }
}

pub async fn run(cli: Cli) -> Result<(), Failure> {
    let global = &cli.global;
    if let Command::Bench(args) = &cli.command {
        return crate::bench::run(args, global.json).await;
    }
    if let Command::Serve(args) = &cli.command {
        return crate::serve::run(args, global).await;
    }
    if let Command::Mirror(args) = &cli.command {
        return crate::mirror::run(args, global).await;
    }
    if let Command::Token(args) = &cli.command {
        return crate::token::run(args, global.json);
    }
    if let Command::Keygen(args) = &cli.command {
        return crate::keygen::run(args, global.json);
    }
    if let Command::Witness(args) = &cli.command {
        return crate::witness::run(args).await;
    }
    if let Command::Migrate { from, to } = &cli.command {
        return crate::migrate::run(from, to, global.json).await;
    }
    if let Command::Verify {
        export,
        checkpoint,
        key,
        witnesses,
        witness_quorum,
        actors,
    } = &cli.command
    {
        return crate::verify::run(crate::verify::Options {
            export: export.as_deref(),
            checkpoint: checkpoint.as_deref(),
            key: key.as_deref(),
            data_dir: &global.data_dir,
            store: global.store.as_deref(),
            json: global.json,
            witnesses,
            quorum: *witness_quorum,
            actors: actors.as_deref(),
        })
        .await;
    }
    if let Command::Import {
        print_bundled: true,
        ..
    } = &cli.command
    {
        return print_bundled();
    }
    let reads_only = matches!(access(&cli.command), Access::Existing);
    let (registry, checkpoints) = open_registry(global, access(&cli.command)).await?;
    if let registry::snapshot::IndexStart::Rebuilt {
        reason: Some(reason),
    } = registry.index_start()
    {
        // Only `serve` has a log; a command tells the operator on stderr.
        eprintln!(
            "warning: the index snapshot was not used ({reason}); the search index was rebuilt from the log"
        );
    }
    let json = global.json;
    let outcome = match cli.command {
        Command::Import {
            local_examples: true,
            ..
        } => crate::compliance::import_local_examples(&registry, json).await,
        Command::Compliance {
            jurisdiction,
            point,
            changes,
        } => crate::compliance::compliance(&registry, &jurisdiction, &point, changes, json),
        Command::ComplianceSummary { parent, point } => {
            crate::compliance::summary(&registry, &parent, &point, json)
        }
        Command::Import {
            file,
            dry_run: true,
            ..
        } => {
            let file = import_file(file.as_deref())?;
            let previews = registry
                .preview(&file.revisions, "import", PreviewOf::Import)
                .await?;
            crate::table::previews(&previews, json)
        }
        Command::Import { file, .. } => import(&registry, file.as_deref(), json).await,
        Command::Publish {
            file,
            actor,
            dry_run: true,
            ..
        } => {
            let file = read_import(&file)?;
            let previews = registry
                .preview(&file.revisions, &actor, PreviewOf::Publish)
                .await?;
            crate::table::previews(&previews, json)
        }
        Command::Publish {
            file,
            expected_version,
            actor,
            ..
        } => publish(&registry, &file, expected_version, &actor, json).await,
        Command::ImportTable(args) => crate::table::import_table(&registry, &args, json).await,
        Command::ExportTable(args) => crate::table::export_table(&registry, &args, json),
        Command::Edition {
            jurisdiction,
            point,
        } => crate::read::edition(&registry, &jurisdiction, &point, json),
        Command::Item {
            item,
            jurisdiction,
            point,
        } => crate::read::item(&registry, &item, jurisdiction.as_deref(), &point, json),
        Command::Versions {
            jurisdiction,
            known_at,
        } => crate::read::versions(&registry, &jurisdiction, known_at.as_deref(), json),
        Command::Revisions {
            jurisdiction,
            known_at,
        } => crate::read::revisions(&registry, &jurisdiction, known_at.as_deref(), json),
        Command::History {
            item,
            jurisdiction,
            known_at,
        } => crate::read::history(
            &registry,
            &item,
            jurisdiction.as_deref(),
            known_at.as_deref(),
            json,
        ),
        Command::Diff {
            jurisdiction,
            from,
            to,
        } => crate::read::diff(&registry, &jurisdiction, &from, &to, json),
        Command::Search(args) => crate::search::run(&registry, &args, json),
        Command::Bench(_) => Err(Failure::Internal(anyhow::anyhow!(
            "bench is run before a store is opened"
        ))),
        Command::Serve(_)
        | Command::Token(_)
        | Command::Mirror(_)
        | Command::Keygen(_)
        | Command::Witness(_) => Err(Failure::Internal(anyhow::anyhow!(
            "serve, token, keygen, witness and mirror are run before a store is opened"
        ))),
        Command::Snapshot => save_snapshot(&registry, &global.data_dir, json).await,
        Command::Migrate { .. } | Command::Verify { .. } => Err(Failure::Internal(
            anyhow::anyhow!("this command is run before a store is opened"),
        )),
        Command::Export { to, actors_to } => {
            let (signed, key) = match &checkpoints {
                Some(checkpoints) => (checkpoints.sign(&registry).await?, checkpoints.verifier()),
                None => crate::mirror::source_checkpoint(&global.data_dir)?,
            };
            let signed = signed.ok_or_else(|| {
                Failure::User("the log is empty: there is nothing to export".into())
            })?;
            crate::export::run(
                &registry,
                &signed,
                &key,
                to.as_deref(),
                actors_to.as_deref(),
            )
            .await
        }
        Command::Log { from, limit } => {
            if limit == 0 || limit > LOG_LIMIT_MAX {
                return Err(Failure::User(format!(
                    "--limit must be between 1 and {LOG_LIMIT_MAX}"
                )));
            }
            let page = registry
                .store()
                .read_all(from, limit)
                .await
                .map_err(|e| Failure::Internal(e.into()))?;
            let mut views = Vec::new();
            for stored in &page {
                let (_, event) =
                    registry::codec::decode(stored).map_err(|e| Failure::User(e.to_string()))?;
                let data: serde_json::Value =
                    serde_json::from_slice(&stored.data).unwrap_or(serde_json::Value::Null);
                views.push(LogLine {
                    stream: stored.stream.to_string(),
                    stream_position: stored.stream_position,
                    event: EventView::new(&event),
                    stored: data,
                });
            }
            output(json, &views, render::log)
        }
    };
    // A new checkpoint after each revision published by this command.
    if let Some(checkpoints) = &checkpoints {
        checkpoints.sign(&registry).await?;
    }
    if reads_only {
        // The process ends next: freeing the index value by value would
        // take a tenth of the command's time on a large log. A command that
        // only read leaves nothing in the store to close.
        std::mem::forget(registry);
    }
    outcome
}

/// Saves the index snapshot of an existing registry (read-only ones too: it
/// is not part of the log, and every server keeps its own).
async fn save_snapshot(registry: &Registry, data_dir: &Path, json: bool) -> Result<(), Failure> {
    std::fs::create_dir_all(data_dir).map_err(|e| {
        Failure::User(format!(
            "cannot create data directory {}: {e}; choose another with --data-dir",
            data_dir.display()
        ))
    })?;
    if registry
        .store()
        .head_position()
        .await
        .map_err(|e| Failure::Internal(e.into()))?
        == 0
    {
        return Err(Failure::User(
            "the log is empty: there is nothing to index yet".into(),
        ));
    }
    let events = registry.save_index_snapshot(data_dir).await?;
    let path = data_dir.join(registry::snapshot::SNAPSHOT_FILE);
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    if json {
        let line = serde_json::json!({ "path": path, "events": events, "bytes": bytes });
        print(&format!("{line}\n"))
    } else {
        print(&format!(
            "index snapshot of {events} events saved to {} ({bytes} bytes)\n",
            path.display()
        ))
    }
}

/// Whether a command may create a registry: those that record may, those
/// that only read leave nothing behind where there is no registry.
fn access(command: &Command) -> Access {
    match command {
        Command::Import { .. } | Command::Publish { .. } | Command::ImportTable(_) => {
            Access::Create
        }
        _ => Access::Existing,
    }
}

/// Opens the registry of `--store` or `--data-dir` as `access` allows.
async fn open_registry(
    global: &Global,
    access: Access,
) -> Result<(Registry, Option<Checkpoints>), Failure> {
    match access {
        Access::Create => {
            let (registry, checkpoints) = open_to_write(global).await?;
            if let Some(reason) = checkpoints.read_only() {
                return Err(Failure::User(format!(
                    "refusing to record: this registry cannot sign the log's checkpoints ({reason})"
                )));
            }
            Ok((registry, Some(checkpoints)))
        }
        Access::Existing => {
            let store =
                crate::store::open(&global.data_dir, global.store.as_deref(), access).await?;
            Ok(
                registry::verifiable::open_existing(store, &global.data_dir, key(global).as_ref())
                    .await?,
            )
        }
    }
}

/// Opens (creating where there is none) the registry of `--store` or
/// `--data-dir` with its data directory, signing key and leaf record,
/// refusing a log changed after the fact.
pub(crate) async fn open_to_write(global: &Global) -> Result<(Registry, Checkpoints), Failure> {
    let data_dir = &global.data_dir;
    std::fs::create_dir_all(data_dir).map_err(|e| {
        Failure::User(format!(
            "cannot create data directory {}: {e}; choose another with --data-dir",
            data_dir.display()
        ))
    })?;
    let store = crate::store::open(data_dir, global.store.as_deref(), Access::Create).await?;
    Ok(registry::verifiable::open_verified(store, data_dir, key(global).as_ref()).await?)
}

/// The signing key given on the command line or in the environment.
pub(crate) fn key(global: &Global) -> Option<KeySource> {
    global.signing_key.as_deref().map(KeySource::from_arg)
}

#[derive(Debug, Serialize)]
pub struct LogLine {
    pub stream: String,
    pub stream_position: u64,
    #[serde(flatten)]
    pub event: EventView,
    /// The stored envelope as written.
    pub stored: serde_json::Value,
}

pub(crate) fn output<T: Serialize + ?Sized>(
    json: bool,
    value: &T,
    human: fn(&T) -> String,
) -> Result<(), Failure> {
    if json {
        let mut text =
            serde_json::to_string_pretty(value).map_err(|e| Failure::Internal(e.into()))?;
        text.push('\n');
        print(&text)
    } else {
        print(&human(value))
    }
}

/// Writes to standard output. A reader that went away (`stdreg log | head -1`)
/// ends the command quietly: what it wanted was written.
pub(crate) fn print(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::Internal(
            anyhow::Error::new(e).context("writing to standard output"),
        )),
        _ => Ok(()),
    }
}

pub(crate) fn parse_jurisdiction(text: &str) -> Result<Jurisdiction, Failure> {
    Jurisdiction::parse(text).map_err(|e| Failure::User(e.to_string()))
}

pub(crate) fn parse_date(text: &str, flag: &str) -> Result<NaiveDate, Failure> {
    domain::input::parse_date(text).map_err(|e| Failure::User(format!("{flag} {e}")))
}

/// RFC 3339, or a date-time without offset taken as UTC.
fn parse_instant(text: &str, flag: &str) -> Result<DateTime<Utc>, Failure> {
    let text = text.trim();
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").map(|t| t.and_utc())
        })
        .map_err(|_| {
            Failure::User(format!(
                "{flag} '{}' is not an instant: use RFC 3339, e.g. 2023-01-01T00:00:00Z",
                domain::input::quote(text)
            ))
        })
}

pub(crate) fn parse_known_at(text: Option<&str>) -> Result<Option<DateTime<Utc>>, Failure> {
    text.map(|t| parse_instant(t, "--known-at")).transpose()
}

/// `DATE` or `DATE@INSTANT`.
pub(crate) fn parse_point(text: &str, flag: &str) -> Result<Point, Failure> {
    match text.split_once('@') {
        Some((date, instant)) => Ok(Point::new(
            parse_date(date, flag)?,
            Some(parse_instant(instant, flag)?),
        )),
        None => Ok(Point::new(parse_date(text, flag)?, None)),
    }
}

fn read_import(path: &Path) -> Result<ImportFile, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::User(format!("cannot read {}: {e}", path.display())))?;
    parse_import(&path.display().to_string(), &text).map_err(|e| Failure::User(e.to_string()))
}

fn print_bundled() -> Result<(), Failure> {
    let revisions =
        registry::bundled::national_revisions().map_err(|e| Failure::Internal(e.into()))?;
    let text = serde_json::to_string_pretty(&ImportFile::new(revisions))
        .map_err(|e| Failure::Internal(e.into()))?;
    print(&format!("{text}\n"))
}

#[derive(Debug, Serialize)]
struct ImportLine {
    revision: String,
    outcome: &'static str,
    events: usize,
    last_global_position: Option<u64>,
}

/// The file named, or the bundled national data.
fn import_file(file: Option<&Path>) -> Result<ImportFile, Failure> {
    Ok(match file {
        Some(path) => read_import(path)?,
        None => ImportFile::new(
            registry::bundled::national_revisions().map_err(|e| Failure::Internal(e.into()))?,
        ),
    })
}

async fn import(registry: &Registry, file: Option<&Path>, json: bool) -> Result<(), Failure> {
    let file = import_file(file)?;
    let outcomes = registry.import(&file, "import").await?;
    let lines: Vec<ImportLine> = outcomes
        .iter()
        .map(|o| match o {
            ImportOutcome::Published(p) => ImportLine {
                revision: p.revision.to_string(),
                outcome: "published",
                events: p.event_count,
                last_global_position: Some(p.last_global_position),
            },
            ImportOutcome::AlreadyRecorded(id) => ImportLine {
                revision: id.to_string(),
                outcome: "already recorded, nothing appended",
                events: 0,
                last_global_position: None,
            },
        })
        .collect();
    output(json, &lines, |lines| {
        let mut out = String::new();
        for l in lines {
            out.push_str(&format!("{}: {}", l.revision, l.outcome));
            if l.events > 0 {
                out.push_str(&format!(" ({} events)", l.events));
            }
            out.push('\n');
        }
        out
    })
}

async fn publish(
    registry: &Registry,
    path: &Path,
    expected_version: Option<u64>,
    actor: &str,
    json: bool,
) -> Result<(), Failure> {
    let file = read_import(path)?;
    if expected_version.is_some() && file.revisions.len() > 1 {
        return Err(Failure::User(
            "--expected-version applies to one revision; put one revision in the file".into(),
        ));
    }
    // All or nothing: the file's revisions are decided together and recorded in one append.
    let published = registry
        .publish_all(&file.revisions, actor, expected_version)
        .await?;
    let lines: Vec<ImportLine> = published
        .into_iter()
        .map(|published| ImportLine {
            revision: published.revision.to_string(),
            outcome: "published",
            events: published.event_count,
            last_global_position: Some(published.last_global_position),
        })
        .collect();
    output(json, &lines, |lines| {
        lines
            .iter()
            .map(|l| format!("{}: published ({} events)\n", l.revision, l.events))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_errors_are_the_users_or_stdregs() {
        let internal = [
            RegistryError::CatchUpTask("the task panicked".into()),
            RegistryError::Store(event_store::StoreError::Corrupt("bad row".into())),
        ];
        for error in internal {
            let text = error.to_string();
            assert!(
                matches!(Failure::from(error), Failure::Internal(_)),
                "{text}"
            );
        }
        let user = [
            RegistryError::NoSuchStandard(Jurisdiction::parse("110000").expect("a code")),
            RegistryError::LogFault {
                position: 3,
                problem: "changed".into(),
            },
        ];
        for error in user {
            let text = error.to_string();
            assert!(matches!(Failure::from(error), Failure::User(_)), "{text}");
        }
    }
}
