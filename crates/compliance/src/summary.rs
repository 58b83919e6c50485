//! One line per locality below a jurisdiction: what an oversight body scans first.

use chrono::{DateTime, NaiveDate, Utc};
use domain::ids::{Jurisdiction, RevisionId};
use serde::Serialize;
use timeline::Timeline;

use crate::ComplianceError;
use crate::divisions::{self, DivisionLevel};
use crate::evaluate::{evaluate_checked, national};
use crate::limits::SUMMARY_ROWS_MAX;
use crate::report::{ComplianceStatus, DeadlineState, FindingKind, RevisionBrief, Severity};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummaryRow {
    pub jurisdiction: Jurisdiction,
    pub name: Option<String>,
    pub level: DivisionLevel,
    pub status: ComplianceStatus,
    pub deadline: Option<DeadlineState>,
    /// Revisions of the local standard in force, oldest first.
    pub local_revisions: Vec<RevisionId>,
    pub violations: u32,
    pub undetermined: u32,
    pub notices: u32,
    /// The kinds of violation found, each once.
    pub violation_kinds: Vec<FindingKind>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusCount {
    pub status: ComplianceStatus,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComplianceSummary {
    pub parent: Jurisdiction,
    pub parent_name: Option<String>,
    pub valid_at: NaiveDate,
    pub known_at: Option<DateTime<Utc>>,
    pub national_edition: Option<RevisionBrief>,
    /// Every provincial-level division (below `CN`) and every registered locality below the parent, by code.
    pub rows: Vec<SummaryRow>,
    pub totals: Vec<StatusCount>,
    /// True when more localities lie below the parent than one summary lists.
    pub truncated: bool,
}

/// Compliance of every locality below `parent` at (`valid_at`, `known_at`).
///
/// Below `CN` that is the 31 provincial-level divisions whether or not a standard
/// is on record for them, and every city and county with a standard on record;
/// below a province or city, the registered localities within it.
pub fn summarize(
    timeline: &Timeline,
    parent: &Jurisdiction,
    valid_at: NaiveDate,
    known_at: Option<DateTime<Utc>>,
) -> Result<ComplianceSummary, ComplianceError> {
    if !parent.is_national() && divisions::province_of(parent).is_none() {
        return Err(ComplianceError::UnknownProvince(parent.clone()));
    }
    let national = national(timeline)?;
    let mut below: Vec<Jurisdiction> = timeline
        .standards()
        .map(|s| s.jurisdiction().clone())
        .filter(|j| divisions::is_below(j, parent) && divisions::province_of(j).is_some())
        .collect();
    if parent.is_national() {
        below.extend(divisions::provinces());
    }
    below.sort();
    below.dedup();
    let truncated = below.len() > SUMMARY_ROWS_MAX;
    below.truncate(SUMMARY_ROWS_MAX);

    let mut rows = Vec::with_capacity(below.len());
    let mut national_edition = None;
    for jurisdiction in below {
        let report = evaluate_checked(timeline, national, &jurisdiction, valid_at, known_at);
        national_edition = report.national_edition.clone();
        let mut violation_kinds: Vec<FindingKind> = report
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Violation)
            .map(|f| f.kind)
            .collect();
        violation_kinds.dedup();
        rows.push(SummaryRow {
            name: report.name.clone(),
            level: report.level,
            status: report.status,
            deadline: report.deadline.as_ref().map(|d| d.state),
            local_revisions: report
                .local
                .as_ref()
                .map(|l| l.revisions.iter().map(|r| r.id.clone()).collect())
                .unwrap_or_default(),
            violations: report.count(Severity::Violation),
            undetermined: report.count(Severity::Undetermined),
            notices: report.count(Severity::Notice),
            violation_kinds,
            jurisdiction,
        });
    }
    let totals = ComplianceStatus::ALL
        .iter()
        .map(|status| StatusCount {
            status: *status,
            count: rows.iter().filter(|r| r.status == *status).count() as u32,
        })
        .collect();
    Ok(ComplianceSummary {
        parent: parent.clone(),
        parent_name: divisions::name(parent).map(str::to_owned),
        valid_at,
        known_at,
        national_edition,
        rows,
        totals,
        truncated,
    })
}
