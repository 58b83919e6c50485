//! Compliance over time: the dates on which a locality's answer changed.

use std::collections::BTreeSet;

use chrono::{DateTime, Days, NaiveDate, Utc};
use domain::ids::{Jurisdiction, RevisionId};
use serde::Serialize;
use timeline::{StandardTimeline, Timeline};

use crate::ComplianceError;
use crate::evaluate::{check_locality, due_by, evaluate_checked, is_edition, national};
use crate::limits::EVALUATION_POINTS_MAX;
use crate::report::{ComplianceStatus, Finding};

/// One date on which the status or the findings changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComplianceChange {
    pub valid_from: NaiveDate,
    pub status: ComplianceStatus,
    /// `None` for the first entry.
    pub previous_status: Option<ComplianceStatus>,
    /// Revisions (national, local, or above) that take effect on this date.
    pub revisions: Vec<RevisionId>,
    /// Set when this is the first day after a national edition's deadline.
    pub deadline_passed_for: Option<RevisionId>,
    /// Findings that hold from this date and did not the day before.
    pub added: Vec<Finding>,
    /// Findings that held the day before and no longer do.
    pub resolved: Vec<Finding>,
}

/// The compliance timeline of one locality as recorded by `known_at`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComplianceHistory {
    pub jurisdiction: Jurisdiction,
    pub known_at: Option<DateTime<Utc>>,
    pub changes: Vec<ComplianceChange>,
    /// True when the history had more evaluation points than one answer visits.
    pub truncated: bool,
}

/// Evaluates at every date the answer can change: each version date of the
/// national standard, the local one and those above it, each local issue date,
/// and the first day after each national edition's deadline. Keeps the dates
/// where the status or the set of findings changed.
pub fn over_time(
    timeline: &Timeline,
    jurisdiction: &Jurisdiction,
    known_at: Option<DateTime<Utc>>,
) -> Result<ComplianceHistory, ComplianceError> {
    check_locality(jurisdiction)?;
    let national = national(timeline)?;
    let mut standards: Vec<&StandardTimeline> = vec![national];
    for j in jurisdiction
        .ancestors()
        .iter()
        .filter(|j| !j.is_national())
        .chain(std::iter::once(jurisdiction))
    {
        standards.extend(timeline.standard(j));
    }

    let mut points: BTreeSet<NaiveDate> = BTreeSet::new();
    let mut deadlines: Vec<(NaiveDate, RevisionId)> = Vec::new();
    for standard in &standards {
        points.extend(standard.all_versions(known_at).iter().map(|v| v.valid_from));
        for record in standard.revisions(known_at) {
            if record.withdrawn_by.is_some() {
                continue;
            }
            if let Some(issued) = record.info.issued_on.as_known() {
                points.insert(*issued);
            }
            if standard.jurisdiction().is_national()
                && is_edition(record.info.kind)
                && let Some(after) =
                    due_by(record.info.effective_from).checked_add_days(Days::new(1))
            {
                points.insert(after);
                deadlines.push((after, record.info.id.clone()));
            }
        }
    }
    let truncated = points.len() > EVALUATION_POINTS_MAX;

    let mut changes: Vec<ComplianceChange> = Vec::new();
    let mut previous: Option<(ComplianceStatus, Vec<Finding>)> = None;
    for valid_at in points.into_iter().take(EVALUATION_POINTS_MAX) {
        let report = evaluate_checked(timeline, national, jurisdiction, valid_at, known_at);
        let (added, resolved) = match &previous {
            None => (report.findings.clone(), Vec::new()),
            Some((_, before)) => (
                missing_from(&report.findings, before),
                missing_from(before, &report.findings),
            ),
        };
        let status_changed = previous.as_ref().is_none_or(|(s, _)| *s != report.status);
        if status_changed || !added.is_empty() || !resolved.is_empty() {
            let revisions = standards
                .iter()
                .flat_map(|s| s.all_versions(known_at))
                .filter(|v| v.valid_from == valid_at)
                .flat_map(|v| v.revisions.iter().cloned())
                .collect();
            changes.push(ComplianceChange {
                valid_from: valid_at,
                status: report.status,
                previous_status: previous.as_ref().map(|(s, _)| *s),
                revisions,
                deadline_passed_for: deadlines
                    .iter()
                    .find(|(d, _)| *d == valid_at)
                    .map(|(_, r)| r.clone()),
                added,
                resolved,
            });
        }
        previous = Some((report.status, report.findings));
    }
    Ok(ComplianceHistory {
        jurisdiction: jurisdiction.clone(),
        known_at,
        changes,
        truncated,
    })
}

/// Findings of `a` whose key is not among `b`'s.
fn missing_from(a: &[Finding], b: &[Finding]) -> Vec<Finding> {
    let keys: BTreeSet<_> = b.iter().map(Finding::key).collect();
    a.iter()
        .filter(|f| !keys.contains(&f.key()))
        .cloned()
        .collect()
}
