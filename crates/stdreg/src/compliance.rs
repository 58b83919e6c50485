//! `stdreg compliance`, `stdreg compliance-summary` and `stdreg import --local-examples`.

use std::fmt::Write as _;

use compliance::levels::describe_level;
use compliance::{ComplianceHistory, ComplianceReport, ComplianceSummary, Finding, Severity};
use registry::import::ImportFile;
use registry::{ImportOutcome, Registry};
use serde::Serialize;

use crate::cli::PointArgs;
use crate::commands::{Failure, output, parse_jurisdiction, parse_known_at};

/// Most findings of one kind printed in full; the rest are counted (`--json` has them all).
const FINDINGS_PER_KIND_SHOWN: usize = 5;

/// `stdreg compliance JURISDICTION [--valid-at] [--known-at] [--changes]`.
pub fn compliance(
    registry: &Registry,
    jurisdiction: &str,
    at: &PointArgs,
    changes: bool,
    json: bool,
) -> Result<(), Failure> {
    let jurisdiction = parse_jurisdiction(jurisdiction)?;
    if changes {
        let known_at = parse_known_at(at.known_at.as_deref())?;
        let history = registry.compliance_changes(&jurisdiction, known_at)?;
        return output(json, &history, render_history);
    }
    let report = registry.compliance(&jurisdiction, crate::read::point(at)?)?;
    output(json, &report, render_report)
}

/// `stdreg compliance-summary PARENT [--valid-at] [--known-at]`.
pub fn summary(
    registry: &Registry,
    parent: &str,
    at: &PointArgs,
    json: bool,
) -> Result<(), Failure> {
    let parent = parse_jurisdiction(parent)?;
    let summary = registry.compliance_summary(&parent, crate::read::point(at)?)?;
    output(json, &summary, render_summary)
}

#[derive(Debug, Serialize)]
struct ImportedExamples {
    revisions: Vec<ImportedRevision>,
    /// Examples in the data file that form no revision, with the reason.
    skipped: Vec<Skipped>,
}

#[derive(Debug, Serialize)]
struct ImportedRevision {
    revision: String,
    outcome: &'static str,
    events: usize,
}

#[derive(Debug, Serialize)]
struct Skipped {
    example: &'static str,
    reason: &'static str,
}

/// `stdreg import --local-examples`: the bundled national data (skipped when
/// already recorded), then the bundled local examples that implement it.
pub async fn import_local_examples(registry: &Registry, json: bool) -> Result<(), Failure> {
    let national =
        registry::bundled::national_revisions().map_err(|e| Failure::Internal(e.into()))?;
    let local =
        registry::bundled_local::local_revisions().map_err(|e| Failure::Internal(e.into()))?;
    let mut outcomes = registry
        .import(&ImportFile::new(national), "import")
        .await?;
    outcomes.extend(registry.import(&ImportFile::new(local), "import").await?);
    let result = ImportedExamples {
        revisions: outcomes
            .iter()
            .map(|o| match o {
                ImportOutcome::Published(p) => ImportedRevision {
                    revision: p.revision.to_string(),
                    outcome: "published",
                    events: p.event_count,
                },
                ImportOutcome::AlreadyRecorded(id) => ImportedRevision {
                    revision: id.to_string(),
                    outcome: "already recorded, nothing appended",
                    events: 0,
                },
            })
            .collect(),
        skipped: registry::bundled_local::SKIPPED
            .iter()
            .map(|(example, reason)| Skipped { example, reason })
            .collect(),
    };
    output(json, &result, |r| {
        let mut out = String::new();
        for line in &r.revisions {
            let _ = write!(out, "{}: {}", line.revision, line.outcome);
            if line.events > 0 {
                let _ = write!(out, " ({} events)", line.events);
            }
            out.push('\n');
        }
        for s in &r.skipped {
            let _ = writeln!(out, "not imported: {}: {}", s.example, s.reason);
        }
        out
    })
}

fn status_word(status: compliance::ComplianceStatus) -> &'static str {
    match status {
        compliance::ComplianceStatus::Compliant => "COMPLIANT",
        compliance::ComplianceStatus::NonCompliant => "NON-COMPLIANT",
        compliance::ComplianceStatus::NotDeterminable => "NOT DETERMINABLE",
        compliance::ComplianceStatus::NotDue => "NOT DUE",
    }
}

fn deadline_word(state: compliance::DeadlineState) -> &'static str {
    match state {
        compliance::DeadlineState::NotYetDue => "not yet due",
        compliance::DeadlineState::Met => "met",
        compliance::DeadlineState::Missing => "missing",
        compliance::DeadlineState::Late => "published late",
        compliance::DeadlineState::NotDeterminable => "cannot be told (issue date not on record)",
    }
}

fn render_report(report: &ComplianceReport) -> String {
    let mut out = String::new();
    let name = report.name.as_deref().unwrap_or("name not on record");
    let _ = writeln!(
        out,
        "{} {name}: {} at {}{}",
        report.jurisdiction,
        status_word(report.status),
        report.valid_at,
        report
            .known_at
            .map(|t| format!(" as recorded at {}", t.to_rfc3339()))
            .unwrap_or_default()
    );
    match &report.national_edition {
        Some(edition) => {
            let _ = writeln!(
                out,
                "national edition in force: {} {} (from {})",
                edition.id, edition.title, edition.effective_from
            );
        }
        None => out.push_str("no national edition in force\n"),
    }
    if let Some(deadline) = &report.deadline {
        let _ = writeln!(
            out,
            "implementation due by {}: {}{}",
            deadline.due_by,
            deadline_word(deadline.state),
            deadline
                .local_revision
                .as_ref()
                .map(|r| format!(" (local revision {r})"))
                .unwrap_or_default()
        );
    }
    match &report.local {
        Some(local) => {
            let ids: Vec<String> = local.revisions.iter().map(|r| r.id.to_string()).collect();
            let _ = writeln!(
                out,
                "local standard in force since {}: {} item(s) on record, {} declared; revisions {}",
                local.valid_from,
                local.items_on_record,
                local
                    .declared_item_count
                    .map_or("count not".to_owned(), |n| n.to_string()),
                ids.join(", ")
            );
        }
        None => out.push_str("no local standard in force on record\n"),
    }
    for above in &report.above {
        let _ = writeln!(
            out,
            "also compared with {} (in force since {})",
            above.jurisdiction, above.valid_from
        );
    }
    let c = &report.coverage;
    let _ = writeln!(
        out,
        "coverage: {} of {} national items on record, {} with a local counterpart",
        c.national_items_on_record,
        c.national_items_declared
            .map_or("an unknown number of".to_owned(), |n| n.to_string()),
        c.national_items_matched
    );
    render_findings(&mut out, &report.findings);
    out
}

fn render_findings(out: &mut String, findings: &[Finding]) {
    if findings.is_empty() {
        out.push_str("no findings\n");
        return;
    }
    for severity in [
        Severity::Violation,
        Severity::Undetermined,
        Severity::Notice,
    ] {
        let of: Vec<&Finding> = findings.iter().filter(|f| f.severity == severity).collect();
        if of.is_empty() {
            continue;
        }
        let heading = match severity {
            Severity::Violation => "violations",
            Severity::Undetermined => "cannot be told from the record",
            Severity::Notice => "notices",
        };
        let _ = writeln!(out, "\n{heading} ({}):", of.len());
        list_findings(out, "  ", &of);
    }
}

fn by_kind(list: &[Finding]) -> Vec<&Finding> {
    let mut list: Vec<&Finding> = list.iter().collect();
    list.sort_by_key(|f| f.kind);
    list
}

/// Prints findings grouped by kind, at most `FINDINGS_PER_KIND_SHOWN` of each.
fn list_findings(out: &mut String, prefix: &str, findings: &[&Finding]) {
    let mut index = 0;
    while index < findings.len() {
        let kind = findings[index].kind;
        let same = findings[index..]
            .iter()
            .take_while(|f| f.kind == kind)
            .count();
        for f in &findings[index..index + same.min(FINDINGS_PER_KIND_SHOWN)] {
            let _ = writeln!(out, "{prefix}[{}] {}", kind.as_str(), f.message);
            if let Some(comparison) = &f.comparison {
                for extra in &comparison.additional_local_levels {
                    let _ = writeln!(
                        out,
                        "{prefix}    local level with no counterpart: {}",
                        describe_level(extra)
                    );
                }
            }
        }
        if same > FINDINGS_PER_KIND_SHOWN {
            let _ = writeln!(
                out,
                "{prefix}[{}] … and {} more (see --json)",
                kind.as_str(),
                same - FINDINGS_PER_KIND_SHOWN
            );
        }
        index += same;
    }
}

fn render_history(history: &ComplianceHistory) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "compliance of {} over time:", history.jurisdiction);
    for change in &history.changes {
        let mut why: Vec<String> = change
            .revisions
            .iter()
            .map(|r| format!("revision {r}"))
            .collect();
        if let Some(r) = &change.deadline_passed_for {
            why.push(format!("deadline for {r} passed"));
        }
        let _ = writeln!(
            out,
            "{}  {}{}",
            change.valid_from,
            status_word(change.status),
            if why.is_empty() {
                String::new()
            } else {
                format!("  ({})", why.join(", "))
            }
        );
        list_findings(&mut out, "    + ", &by_kind(&change.added));
        list_findings(&mut out, "    - ", &by_kind(&change.resolved));
    }
    if history.truncated {
        out.push_str("(more dates than one answer lists)\n");
    }
    out
}

fn render_summary(summary: &ComplianceSummary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "localities below {} {} at {}{}",
        summary.parent,
        summary.parent_name.as_deref().unwrap_or(""),
        summary.valid_at,
        summary
            .national_edition
            .as_ref()
            .map(|e| format!(" (national edition {})", e.id))
            .unwrap_or_default()
    );
    for row in &summary.rows {
        let kinds: Vec<&str> = row.violation_kinds.iter().map(|k| k.as_str()).collect();
        let _ = writeln!(
            out,
            "{} {:<10} {:<16} violations {:>3}  undetermined {:>3}  notices {:>2}  {}",
            row.jurisdiction,
            row.name.as_deref().unwrap_or("-"),
            status_word(row.status),
            row.violations,
            row.undetermined,
            row.notices,
            kinds.join(", ")
        );
    }
    let totals: Vec<String> = summary
        .totals
        .iter()
        .map(|t| format!("{} {}", t.status.as_str(), t.count))
        .collect();
    let _ = writeln!(out, "totals: {}", totals.join(", "));
    out
}
