//! `stdreg import-table` and `stdreg export-table`: flags in, the `table`
//! crate's reading and writing, the registry's publish and read model, text out.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::Args;
use domain::DomainError;
use domain::command::{ChangeEntry, PublishRevision, RevisionContent};
use domain::ids::{Jurisdiction, RevisionId};
use domain::model::{Known, RevisionInfo, RevisionKind};
use registry::preview::{Preview, PreviewOf};
use registry::query::{Point, QueryError};
use registry::view::EditionView;
use registry::{Registry, RegistryError};
use serde::Serialize;
use table::{Format, Mapping, TABLE_BYTES_MAX};

use crate::cli::PointArgs;
use crate::commands::{Failure, output, parse_date, parse_jurisdiction, print};
use crate::render;

#[derive(Debug, Args)]
pub struct ImportTableArgs {
    /// A table in the official layout (docs/import-format.md, "Tables"): .csv or .xlsx.
    pub file: PathBuf,
    /// The file's format; default: its extension.
    #[arg(long, value_parser = ["csv", "xlsx"])]
    pub format: Option<String>,
    /// The standard: CN, or a six-digit division code.
    #[arg(long)]
    pub jurisdiction: String,
    /// The revision's id (letters, digits, -, _, .).
    #[arg(long)]
    pub id: String,
    /// comprehensive_revision (national), local_implementation (local), or correction or adjustment (recorded as the changes that make the standard what the table states).
    #[arg(long)]
    pub kind: String,
    #[arg(long)]
    pub title: String,
    /// The day the text takes effect (YYYY-MM-DD).
    #[arg(long)]
    pub effective_from: String,
    /// e.g. 发改社会〔2021〕443号; default: not on record.
    #[arg(long)]
    pub document_no: Option<String>,
    /// Default: not on record.
    #[arg(long)]
    pub issuers: Option<String>,
    /// YYYY-MM-DD; default: not on record.
    #[arg(long)]
    pub issued_on: Option<String>,
    /// For a local implementation: the national revision implemented.
    #[arg(long)]
    pub implements: Option<String>,
    /// For a correction or withdrawal: the revision corrected or withdrawn.
    #[arg(long)]
    pub target: Option<String>,
    /// The item count the document states.
    #[arg(long)]
    pub declared_item_count: Option<u32>,
    /// A citation of where the table comes from (repeatable).
    #[arg(long = "source")]
    pub sources: Vec<String>,
    /// Print what would be recorded, as a diff of the edition, and append nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Who is recording (stored as the actor of every event).
    #[arg(long, env = "STDREG_ACTOR", default_value = "cli")]
    pub actor: String,
}

#[derive(Debug, Args)]
pub struct ExportTableArgs {
    /// The standard: CN, or a six-digit division code.
    pub jurisdiction: String,
    #[command(flatten)]
    pub point: PointArgs,
    /// The file's format; default: the extension of --to.
    #[arg(long, value_parser = ["csv", "xlsx"])]
    pub format: Option<String>,
    /// File to write.
    #[arg(long)]
    pub to: PathBuf,
}

fn user(error: impl std::fmt::Display) -> Failure {
    Failure::User(error.to_string())
}

fn format_of(flag: Option<&str>, path: &Path, flag_name: &str) -> Result<Format, Failure> {
    flag.and_then(Format::parse)
        .or_else(|| Format::of_name(&path.display().to_string()))
        .ok_or_else(|| {
            Failure::User(format!(
                "{} is neither .csv nor .xlsx: name its format with {flag_name} csv|xlsx",
                path.display()
            ))
        })
}

/// The file's bytes, refusing one larger than a table may be before reading it.
fn read_bounded(path: &Path) -> Result<Vec<u8>, Failure> {
    let cannot = |e: std::io::Error| Failure::User(format!("cannot read {}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(cannot)?;
    let size = file.metadata().map_err(cannot)?.len();
    let too_large = || {
        user(table::TableError::TooLarge {
            source_name: path.display().to_string(),
            size,
        })
    };
    if size > TABLE_BYTES_MAX as u64 {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(TABLE_BYTES_MAX as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() > TABLE_BYTES_MAX {
        return Err(too_large());
    }
    Ok(bytes)
}

fn revision_id(text: &str, flag: &str) -> Result<RevisionId, Failure> {
    RevisionId::parse(text).map_err(|e| Failure::User(format!("{flag}: {e}")))
}

fn revision_info(args: &ImportTableArgs) -> Result<RevisionInfo, Failure> {
    let kind = RevisionKind::ALL
        .into_iter()
        .find(|k| k.as_str() == args.kind)
        .ok_or_else(|| {
            Failure::User(format!(
                "--kind '{}' is not a kind of revision; a table states a whole standard: comprehensive_revision (national) or local_implementation (local)",
                domain::input::quote(&args.kind)
            ))
        })?;
    if kind == RevisionKind::Withdrawal {
        return Err(Failure::User(
            "--kind withdrawal: a withdrawal states no text; publish it as a file (docs/import-format.md)".into(),
        ));
    }
    Ok(RevisionInfo {
        id: revision_id(&args.id, "--id")?,
        jurisdiction: parse_jurisdiction(&args.jurisdiction)?,
        kind,
        title: args.title.clone(),
        document_no: Known::from(args.document_no.clone()),
        issuers: Known::from(args.issuers.clone()),
        issued_on: Known::from(
            args.issued_on
                .as_deref()
                .map(|d| parse_date(d, "--issued-on"))
                .transpose()?,
        ),
        effective_from: parse_date(&args.effective_from, "--effective-from")?,
        declared_item_count: args.declared_item_count,
        implements: args
            .implements
            .as_deref()
            .map(|r| revision_id(r, "--implements"))
            .transpose()?,
        target: args
            .target
            .as_deref()
            .map(|r| revision_id(r, "--target"))
            .transpose()?,
        sources: args.sources.clone(),
    })
}

/// The edition in force at `at`, if any standard of the jurisdiction is.
fn in_force(
    registry: &Registry,
    jurisdiction: &Jurisdiction,
    at: Point,
) -> Result<Option<EditionView>, Failure> {
    match registry.edition(jurisdiction, at) {
        Ok(edition) => Ok(edition.in_force.then_some(edition)),
        Err(QueryError::NoSuchStandard { .. }) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// The national edition a local table's rows may name: the one the implemented
/// revision states, from its effective date (or the table's, if later).
fn national_edition(
    registry: &Registry,
    info: &RevisionInfo,
) -> Result<Option<EditionView>, Failure> {
    let Some(implements) = info.implements.as_ref() else {
        return Ok(None);
    };
    let Ok(entry) = registry.revision_entry(implements) else {
        return Ok(None);
    };
    let valid_at = entry.info.effective_from.max(info.effective_from);
    in_force(
        registry,
        &entry.info.jurisdiction,
        Point::new(valid_at, None),
    )
}

#[derive(Debug, Serialize)]
struct Imported {
    revision: String,
    /// `published`, `changes_nothing` (the table restates the standard as recorded), or `would_publish`.
    outcome: &'static str,
    events: usize,
    items: usize,
    last_global_position: Option<u64>,
    /// Only for --dry-run.
    #[serde(skip_serializing_if = "Option::is_none")]
    preview: Option<Preview>,
}

pub async fn import_table(
    registry: &Registry,
    args: &ImportTableArgs,
    json: bool,
) -> Result<(), Failure> {
    let source_name = args.file.display().to_string();
    let format = format_of(args.format.as_deref(), &args.file, "--format")?;
    let info = revision_info(args)?;
    let bytes = read_bounded(&args.file)?;
    let table = table::read_table(&source_name, &bytes, format).map_err(user)?;
    let current = in_force(
        registry,
        &info.jurisdiction,
        Point::new(info.effective_from, None),
    )?;
    let national = national_edition(registry, &info)?;
    let mapping = Mapping {
        current: current.as_ref(),
        national: national.as_ref(),
    };
    let whole = table::whole_standard(&source_name, &table, &mapping).map_err(user)?;
    let items = whole.items.len();
    let id = info.id.to_string();
    let changes_nothing = Imported {
        revision: id.clone(),
        outcome: "changes_nothing",
        events: 0,
        items,
        last_global_position: None,
        preview: None,
    };
    let content = if info.kind.states_whole_standard() {
        RevisionContent::Whole(whole)
    } else {
        let changes = registry.restating_changes(&info, &whole).await?;
        if changes.is_empty() {
            return output(json, &changes_nothing, render_imported);
        }
        RevisionContent::Changes(
            changes
                .into_iter()
                .map(|change| ChangeEntry {
                    change,
                    reason: None,
                })
                .collect(),
        )
    };
    let command = PublishRevision {
        revision: info,
        content,
    };
    let result = if args.dry_run {
        registry
            .preview(
                std::slice::from_ref(&command),
                &args.actor,
                PreviewOf::Publish,
            )
            .await
            .map(|mut previews| Imported {
                revision: id.clone(),
                outcome: "would_publish",
                events: previews.first().map_or(0, |p| p.event_count),
                items,
                last_global_position: None,
                preview: previews.pop(),
            })
    } else {
        registry
            .publish(&command, &args.actor, None)
            .await
            .map(|published| Imported {
                revision: id.clone(),
                outcome: "published",
                events: published.event_count,
                items,
                last_global_position: Some(published.last_global_position),
                preview: None,
            })
    };
    let imported = match result {
        Ok(imported) => imported,
        Err(RegistryError::Rejected { source, .. })
            if matches!(*source, DomainError::NothingChanges(_)) =>
        {
            changes_nothing
        }
        Err(other) => return Err(other.into()),
    };
    output(json, &imported, render_imported)
}

fn render_imported(i: &Imported) -> String {
    let mut out = match i.outcome {
        "published" => format!(
            "{}: published ({} events; the table states {} items)\n",
            i.revision, i.events, i.items
        ),
        "would_publish" => format!(
            "{}: would publish {} events (the table states {} items); nothing appended\n",
            i.revision, i.events, i.items
        ),
        _ => format!(
            "{}: the table restates the standard as recorded ({} items): no differences, nothing appended\n",
            i.revision, i.items
        ),
    };
    if let Some(preview) = &i.preview {
        out.push_str(&render::preview(std::slice::from_ref(preview)));
    }
    out
}

/// `import --dry-run` and `publish --dry-run`.
pub fn previews(previews: &[Preview], json: bool) -> Result<(), Failure> {
    output(json, previews, render::preview)
}

pub fn export_table(
    registry: &Registry,
    args: &ExportTableArgs,
    json: bool,
) -> Result<(), Failure> {
    let format = format_of(args.format.as_deref(), &args.to, "--format")?;
    let jurisdiction = parse_jurisdiction(&args.jurisdiction)?;
    let at = crate::read::point(&args.point)?;
    let edition = registry.edition(&jurisdiction, at)?;
    if !edition.in_force {
        return Err(Failure::User(format!(
            "no revision of {jurisdiction} is in force on {at}: there is no table to export; `stdreg versions {jurisdiction}` lists the dates its text changed"
        )));
    }
    let bytes = table::write_table(&edition, format).map_err(user)?;
    std::fs::write(&args.to, &bytes)
        .map_err(|e| Failure::User(format!("cannot write {}: {e}", args.to.display())))?;
    #[derive(Serialize)]
    struct Exported {
        jurisdiction: String,
        at: Point,
        items: usize,
        to: String,
    }
    let exported = Exported {
        jurisdiction: jurisdiction.to_string(),
        at,
        items: edition.item_count,
        to: args.to.display().to_string(),
    };
    if json {
        output(json, &exported, |_| String::new())
    } else {
        print(&format!(
            "wrote {} items of {} in force on {} to {}\n",
            exported.items, exported.jurisdiction, at, exported.to
        ))
    }
}
