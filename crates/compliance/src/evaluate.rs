//! Compliance of one locality at one point, read from the timeline.

use std::collections::BTreeMap;

use chrono::{DateTime, Months, NaiveDate, Utc};
use domain::ids::{ItemId, Jurisdiction};
use domain::model::{Known, RevisionInfo, RevisionKind};
use domain::state::{ItemState, Snapshot};
use timeline::{StandardTimeline, Timeline};

use crate::divisions;
use crate::levels::{Outcome, compare_standards, describe_level};
use crate::limits::DEADLINE_MONTHS;
use crate::report::{
    ComplianceReport, ComplianceStatus, Coverage, Deadline, DeadlineState, Finding, FindingKind,
    ItemCheck, ItemSide, PublishedBasis, RevisionBrief, Severity, StandardAtPoint,
};
use crate::{ComplianceError, levels::StandardComparison};

/// Compliance of `jurisdiction` at (`valid_at`, `known_at`): against the national
/// edition in force at that point and against the standards of its province and
/// city in force then. `known_at = None` asks about the registry as it stands.
pub fn evaluate(
    timeline: &Timeline,
    jurisdiction: &Jurisdiction,
    valid_at: NaiveDate,
    known_at: Option<DateTime<Utc>>,
) -> Result<ComplianceReport, ComplianceError> {
    check_locality(jurisdiction)?;
    let national = national(timeline)?;
    Ok(evaluate_checked(
        timeline,
        national,
        jurisdiction,
        valid_at,
        known_at,
    ))
}

pub(crate) fn check_locality(jurisdiction: &Jurisdiction) -> Result<(), ComplianceError> {
    if jurisdiction.is_national() {
        return Err(ComplianceError::NationalIsReference);
    }
    if divisions::province_of(jurisdiction).is_none() {
        return Err(ComplianceError::UnknownProvince(jurisdiction.clone()));
    }
    Ok(())
}

pub(crate) fn national(timeline: &Timeline) -> Result<&StandardTimeline, ComplianceError> {
    timeline
        .standard(&Jurisdiction::national())
        .ok_or(ComplianceError::NoNationalStandard)
}

/// Kinds of national revision that make an edition every locality must implement.
pub fn is_edition(kind: RevisionKind) -> bool {
    matches!(
        kind,
        RevisionKind::ComprehensiveRevision | RevisionKind::Adjustment
    )
}

/// The last day to publish an implementation of an edition effective on `effective_from`.
pub fn due_by(effective_from: NaiveDate) -> NaiveDate {
    effective_from
        .checked_add_months(Months::new(DEADLINE_MONTHS))
        .unwrap_or(NaiveDate::MAX)
}

/// The national edition in force: the latest comprehensive revision or adjustment
/// in effect at `valid_at`, as recorded by `known_at`, not withdrawn.
pub fn national_edition(
    national: &StandardTimeline,
    valid_at: NaiveDate,
    known_at: Option<DateTime<Utc>>,
) -> Option<RevisionInfo> {
    national
        .revisions(known_at)
        .into_iter()
        .filter(|r| {
            r.withdrawn_by.is_none() && is_edition(r.info.kind) && r.info.effective_from <= valid_at
        })
        // Ties on the date go to the later record (max_by_key keeps the last maximum).
        .max_by_key(|r| r.info.effective_from)
        .map(|r| r.info)
}

pub(crate) fn evaluate_checked(
    timeline: &Timeline,
    national: &StandardTimeline,
    jurisdiction: &Jurisdiction,
    valid_at: NaiveDate,
    known_at: Option<DateTime<Utc>>,
) -> ComplianceReport {
    let edition = national_edition(national, valid_at, known_at);
    let national_now = national.edition(valid_at, known_at);
    let national_snapshot = national_now.snapshot();
    let local_timeline = timeline.standard(jurisdiction);
    let local_now = local_timeline.map(|s| s.edition(valid_at, known_at));
    let local_snapshot = local_now.as_ref().and_then(|e| e.snapshot());

    let mut findings = Vec::new();
    let mut items = Vec::new();
    let deadline = edition
        .as_ref()
        .map(|e| deadline_check(e, local_timeline, valid_at, known_at));
    if let Some(deadline) = &deadline {
        findings.extend(deadline_finding(jurisdiction, deadline));
    }

    let local_complete = local_snapshot.is_some_and(record_complete);
    let mut matched = 0;
    if let (Some(reference), Some(local)) = (national_snapshot, local_snapshot) {
        let national_id = Jurisdiction::national();
        matched = check_national_items(
            &national_id,
            reference,
            jurisdiction,
            local,
            local_complete,
            &mut items,
            &mut findings,
        );
        check_local_items(&national_id, reference, jurisdiction, local, &mut findings);
    }

    let mut above = Vec::new();
    if let Some(local) = local_snapshot {
        for ancestor in jurisdiction
            .ancestors()
            .into_iter()
            .filter(|a| !a.is_national())
        {
            let Some(standard) = timeline.standard(&ancestor) else {
                continue;
            };
            let at = standard.edition(valid_at, known_at);
            let (Some(version), Some(reference)) = (&at.version, at.snapshot()) else {
                continue;
            };
            above.push(standard_at_point(&ancestor, version.valid_from, reference));
            compare_with_above(
                &ancestor,
                reference,
                jurisdiction,
                local,
                &mut items,
                &mut findings,
            );
        }
    }

    findings.sort_by(|a, b| {
        (a.severity, a.kind, &a.against, &a.national_item)
            .cmp(&(b.severity, b.kind, &b.against, &b.national_item))
            .then_with(|| {
                let local = |f: &Finding| f.local.as_ref().map(|l| l.item.clone());
                local(a).cmp(&local(b))
            })
    });
    let has = |severity| findings.iter().any(|f: &Finding| f.severity == severity);
    let status = if edition.is_none() {
        ComplianceStatus::NotDue
    } else if has(Severity::Violation) {
        ComplianceStatus::NonCompliant
    } else if has(Severity::Undetermined) {
        // Without a local text in force only the deadline can be undetermined:
        // an implementation on record whose issue date is not.
        ComplianceStatus::NotDeterminable
    } else if local_snapshot.is_none() {
        ComplianceStatus::NotDue
    } else {
        ComplianceStatus::Compliant
    };

    let active = |s: &Snapshot| s.items.values().filter(|i| i.is_active()).count() as u32;
    ComplianceReport {
        jurisdiction: jurisdiction.clone(),
        name: divisions::name(jurisdiction).map(str::to_owned),
        level: divisions::level(jurisdiction),
        valid_at,
        known_at,
        status,
        national_edition: edition.as_ref().map(RevisionBrief::new),
        national: national_now
            .version
            .as_ref()
            .zip(national_snapshot)
            .map(|(v, s)| standard_at_point(&Jurisdiction::national(), v.valid_from, s)),
        local: local_now
            .as_ref()
            .and_then(|e| e.version.as_ref().zip(e.snapshot()))
            .map(|(v, s)| standard_at_point(jurisdiction, v.valid_from, s)),
        above,
        deadline,
        coverage: Coverage {
            national_items_on_record: national_snapshot.map_or(0, active),
            national_items_declared: national_snapshot.and_then(|s| s.declared_item_count),
            local_items_on_record: local_snapshot.map_or(0, active),
            local_items_declared: local_snapshot.and_then(|s| s.declared_item_count),
            local_record_complete: local_complete,
            national_items_matched: matched,
        },
        items,
        findings,
    }
}

/// Only a local record that holds every item its standard declares can prove an absence.
fn record_complete(local: &Snapshot) -> bool {
    let active = local.items.values().filter(|i| i.is_active()).count();
    local
        .declared_item_count
        .is_some_and(|declared| active >= declared as usize)
}

fn standard_at_point(
    jurisdiction: &Jurisdiction,
    valid_from: NaiveDate,
    snapshot: &Snapshot,
) -> StandardAtPoint {
    let mut revisions: Vec<RevisionBrief> = snapshot
        .revisions
        .values()
        .map(|info| RevisionBrief::new(info))
        .collect();
    revisions.sort_by_key(|r| r.effective_from);
    StandardAtPoint {
        jurisdiction: jurisdiction.clone(),
        valid_from,
        revisions,
        declared_item_count: snapshot.declared_item_count,
        items_on_record: snapshot.items.values().filter(|i| i.is_active()).count() as u32,
    }
}

/// The deadline rule for the edition in force. A local revision of any kind that
/// names the edition in `implements` implements it. Its publication date is its
/// issue date; without one, a text in force proves publication by its effective
/// date, but an effective date after the deadline cannot prove lateness, and a
/// revision on record that takes effect later may already have been issued: past
/// the deadline it makes the answer not determinable, never "missing".
fn deadline_check(
    edition: &RevisionInfo,
    local: Option<&StandardTimeline>,
    valid_at: NaiveDate,
    known_at: Option<DateTime<Utc>>,
) -> Deadline {
    let due = due_by(edition.effective_from);
    let published = local
        .map(|s| s.revisions(known_at))
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.withdrawn_by.is_none() && r.info.implements.as_ref() == Some(&edition.id))
        .filter_map(|r| {
            let (on, basis) = match r.info.issued_on {
                Known::Known(issued) => (issued, PublishedBasis::IssueDate),
                Known::Unknown => (r.info.effective_from, PublishedBasis::EffectiveDate),
            };
            let may_be_issued = basis == PublishedBasis::EffectiveDate && valid_at > due;
            (on <= valid_at || may_be_issued).then_some((on, basis, r.info))
        })
        .min_by_key(|(on, _, _)| *on);
    let mut deadline = Deadline {
        national_revision: edition.id.clone(),
        national_effective_from: edition.effective_from,
        due_by: due,
        state: if valid_at > due {
            DeadlineState::Missing
        } else {
            DeadlineState::NotYetDue
        },
        local_revision: None,
        local_issued_on: Known::Unknown,
        local_effective_from: None,
        published_on: None,
        published_basis: None,
    };
    if let Some((on, basis, info)) = published {
        deadline.state = match (on <= due, basis) {
            (true, _) => DeadlineState::Met,
            (false, PublishedBasis::IssueDate) => DeadlineState::Late,
            (false, PublishedBasis::EffectiveDate) => DeadlineState::NotDeterminable,
        };
        deadline.local_revision = Some(info.id.clone());
        deadline.local_issued_on = info.issued_on.clone();
        deadline.local_effective_from = Some(info.effective_from);
        deadline.published_on = Some(on);
        deadline.published_basis = Some(basis);
    }
    deadline
}

fn deadline_finding(jurisdiction: &Jurisdiction, deadline: &Deadline) -> Option<Finding> {
    let national = &deadline.national_revision;
    let due = deadline.due_by;
    let local = deadline
        .local_revision
        .as_ref()
        .map(|r| r.to_string())
        .unwrap_or_default();
    let (kind, message) = match deadline.state {
        DeadlineState::NotYetDue | DeadlineState::Met => return None,
        DeadlineState::Missing => (
            FindingKind::ImplementationMissing,
            format!(
                "no implementation standard of {jurisdiction} for national edition {national} (in force from {}) is on record; it was due by {due}",
                deadline.national_effective_from
            ),
        ),
        DeadlineState::Late => (
            FindingKind::PublishedLate,
            format!(
                "local revision {local} implementing {national} was issued on {}, after the deadline {due}",
                show_date(deadline.published_on)
            ),
        ),
        DeadlineState::NotDeterminable => (
            FindingKind::PublicationDateNotOnRecord,
            format!(
                "the issue date of local revision {local} implementing {national} is not on record and it took effect on {}, after the deadline {due}: whether it was published in time cannot be told",
                show_date(deadline.local_effective_from)
            ),
        ),
    };
    Some(Finding {
        kind,
        severity: kind.severity(),
        against: Jurisdiction::national(),
        national_item: None,
        reference: None,
        local: None,
        comparison: None,
        deadline: Some(deadline.clone()),
        successors: Vec::new(),
        message,
    })
}

fn show_date(date: Option<NaiveDate>) -> String {
    date.map_or_else(|| "(not on record)".to_owned(), |d| d.to_string())
}

fn side(jurisdiction: &Jurisdiction, item: &ItemState) -> ItemSide {
    ItemSide {
        jurisdiction: jurisdiction.clone(),
        item: item.id.clone(),
        name: item.name.clone(),
        service_standard: item.fields.service_standard.clone(),
        revision: item
            .amended_by
            .get("service_standard")
            .unwrap_or(&item.introduced_by)
            .clone(),
        retired: !item.is_active(),
    }
}

fn label(side: &ItemSide) -> String {
    match &side.name {
        Known::Known(name) => format!("{} {} ({name})", side.jurisdiction, side.item),
        Known::Unknown => format!("{} {} (name not on record)", side.jurisdiction, side.item),
    }
}

fn finding(kind: FindingKind, against: &Jurisdiction, message: String) -> Finding {
    Finding {
        kind,
        severity: kind.severity(),
        against: against.clone(),
        national_item: None,
        reference: None,
        local: None,
        comparison: None,
        deadline: None,
        successors: Vec::new(),
        message,
    }
}

/// Local active items by the national item they implement.
fn by_national_item(local: &Snapshot) -> BTreeMap<&ItemId, Vec<&ItemState>> {
    let mut map: BTreeMap<&ItemId, Vec<&ItemState>> = BTreeMap::new();
    for item in local.items.values().filter(|i| i.is_active()) {
        if let Some(national) = &item.national_item {
            map.entry(national).or_default().push(item);
        }
    }
    map
}

/// Every national item in force: has it a local counterpart, and is its level kept?
/// Returns how many national items have a counterpart.
fn check_national_items(
    national_id: &Jurisdiction,
    reference: &Snapshot,
    jurisdiction: &Jurisdiction,
    local: &Snapshot,
    local_complete: bool,
    items: &mut Vec<ItemCheck>,
    findings: &mut Vec<Finding>,
) -> u32 {
    let counterparts = by_national_item(local);
    let mut matched = 0;
    for national_item in reference.items.values().filter(|i| i.is_active()) {
        let reference_side = side(national_id, national_item);
        let Some(locals) = counterparts.get(&national_item.id) else {
            let (kind, why) = if local_complete {
                (
                    FindingKind::NationalItemMissing,
                    "has no counterpart in the local standard".to_owned(),
                )
            } else {
                (
                    FindingKind::NationalItemNotOnRecord,
                    format!(
                        "has no counterpart among the {} local items on record; the local record is incomplete ({}), so it may be there",
                        local.items.values().filter(|i| i.is_active()).count(),
                        match local.declared_item_count {
                            Some(n) => format!("the standard declares {n} items"),
                            None => "the standard's item count is not on record".to_owned(),
                        }
                    ),
                )
            };
            let mut f = finding(
                kind,
                national_id,
                format!("national item {} {why}", label(&reference_side)),
            );
            f.national_item = Some(national_item.id.clone());
            f.reference = Some(reference_side);
            findings.push(f);
            continue;
        };
        matched += 1;
        for local_item in locals {
            compare_pair(
                national_id,
                &national_item.id,
                national_item,
                jurisdiction,
                local_item,
                items,
                findings,
            );
        }
    }
    matched
}

/// Compares one local item with one item of the standard above; records the check and any finding.
fn compare_pair(
    against: &Jurisdiction,
    national_item: &ItemId,
    reference_item: &ItemState,
    jurisdiction: &Jurisdiction,
    local_item: &ItemState,
    items: &mut Vec<ItemCheck>,
    findings: &mut Vec<Finding>,
) {
    let comparison = compare_standards(
        &local_item.fields.service_standard,
        &reference_item.fields.service_standard,
    );
    items.push(ItemCheck {
        against: against.clone(),
        national_item: national_item.clone(),
        reference_item: reference_item.id.clone(),
        local_item: local_item.id.clone(),
        outcome: comparison.outcome,
    });
    let kind = match comparison.outcome {
        Outcome::Meets => return,
        Outcome::Below => FindingKind::LevelBelow,
        Outcome::Exceeds => FindingKind::LevelAbove,
        Outcome::NotComparable => FindingKind::LevelNotComparable,
    };
    let reference_side = side(against, reference_item);
    let local_side = side(jurisdiction, local_item);
    let message = level_message(kind, &reference_side, &local_side, &comparison);
    let mut f = finding(kind, against, message);
    f.national_item = Some(national_item.clone());
    f.reference = Some(reference_side);
    f.local = Some(local_side);
    f.comparison = Some(comparison);
    findings.push(f);
}

fn level_message(
    kind: FindingKind,
    reference: &ItemSide,
    local: &ItemSide,
    comparison: &StandardComparison,
) -> String {
    let head = format!(
        "{} (revision {}) against {} (revision {})",
        label(local),
        local.revision,
        label(reference),
        reference.revision
    );
    let pairs = |outcome: Outcome| -> Vec<String> {
        comparison
            .levels
            .iter()
            .filter(|l| l.outcome == outcome)
            .map(|l| {
                let local = l
                    .local
                    .as_ref()
                    .map_or_else(|| "no level".to_owned(), describe_level);
                let converted = l
                    .local_converted
                    .map(|q| format!(" (= {q} {} in the reference's terms)", l.reference.unit))
                    .unwrap_or_default();
                let why = l
                    .reason
                    .as_ref()
                    .map(|r| format!(": {}", r.describe()))
                    .unwrap_or_default();
                format!(
                    "{local}{converted} vs {}{why}",
                    describe_level(&l.reference)
                )
            })
            .collect()
    };
    match kind {
        FindingKind::LevelBelow => format!("{head}: below: {}", pairs(Outcome::Below).join("; ")),
        FindingKind::LevelAbove => {
            format!("{head}: above: {}", pairs(Outcome::Exceeds).join("; "))
        }
        _ => match &comparison.reason {
            Some(reason) => format!("{head}: not comparable: {}", reason.describe()),
            None => format!(
                "{head}: not comparable: {}",
                pairs(Outcome::NotComparable).join("; ")
            ),
        },
    }
}

/// Every local item: beyond national scope with or without assessment, or a
/// counterpart that is retired or not on record.
fn check_local_items(
    national_id: &Jurisdiction,
    reference: &Snapshot,
    jurisdiction: &Jurisdiction,
    local: &Snapshot,
    findings: &mut Vec<Finding>,
) {
    for item in local.items.values().filter(|i| i.is_active()) {
        let local_side = side(jurisdiction, item);
        let mut f = match (&item.beyond_national_scope, &item.national_item) {
            (Some(Known::Unknown), _) => finding(
                FindingKind::BeyondScopeWithoutAssessment,
                national_id,
                format!(
                    "local item {} goes beyond national scope and no argumentation and risk assessment is on record",
                    label(&local_side)
                ),
            ),
            (Some(Known::Known(assessment)), _) => finding(
                FindingKind::BeyondScopeWithAssessment,
                national_id,
                format!(
                    "local item {} goes beyond national scope; assessment on record: {assessment}",
                    label(&local_side)
                ),
            ),
            (None, None) => finding(
                FindingKind::CounterpartNotOnRecord,
                national_id,
                format!(
                    "local item {} names no national item and is not recorded as beyond national scope",
                    label(&local_side)
                ),
            ),
            (None, Some(national_item)) => match reference.items.get(national_item) {
                Some(counterpart) if counterpart.is_active() => continue,
                Some(counterpart) => {
                    let reference_side = side(national_id, counterpart);
                    let successors = counterpart.lineage.successors.clone();
                    let after = if successors.is_empty() {
                        "retired".to_owned()
                    } else {
                        let names: Vec<String> =
                            successors.iter().map(ToString::to_string).collect();
                        format!("retired into {}", names.join(", "))
                    };
                    let mut f = finding(
                        FindingKind::CounterpartRetired,
                        national_id,
                        format!(
                            "local item {} implements national item {}, which was {after} (revision {})",
                            label(&local_side),
                            label(&reference_side),
                            counterpart.last_changed_by
                        ),
                    );
                    f.successors = successors;
                    f.reference = Some(reference_side);
                    f
                }
                None => finding(
                    FindingKind::CounterpartNotOnRecord,
                    national_id,
                    format!(
                        "local item {} implements national item {national_item}, which is not in the national record at this point",
                        label(&local_side)
                    ),
                ),
            },
        };
        f.national_item = item.national_item.clone();
        f.local = Some(local_side);
        findings.push(f);
    }
}

/// A locality's items against the province's or city's standard: matched on the
/// national item both implement. Items only the standard above has beyond
/// national scope are not matched (no national item links them).
fn compare_with_above(
    ancestor: &Jurisdiction,
    reference: &Snapshot,
    jurisdiction: &Jurisdiction,
    local: &Snapshot,
    items: &mut Vec<ItemCheck>,
    findings: &mut Vec<Finding>,
) {
    let above = by_national_item(reference);
    for (national_item, locals) in by_national_item(local) {
        for reference_item in above.get(national_item).into_iter().flatten() {
            for local_item in &locals {
                compare_pair(
                    ancestor,
                    national_item,
                    reference_item,
                    jurisdiction,
                    local_item,
                    items,
                    findings,
                );
            }
        }
    }
}
