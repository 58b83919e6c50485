//! What a compliance check answers: plain serialisable values, ready for the
//! command line's JSON and for a GraphQL layer to wrap.

use chrono::{DateTime, NaiveDate, Utc};
use domain::ids::{ItemId, Jurisdiction, RevisionId};
use domain::model::{Known, RevisionInfo, RevisionKind, ServiceStandard};
use domain::text::Text;
use serde::Serialize;

use crate::divisions::DivisionLevel;
use crate::levels::{Outcome, StandardComparison};

/// The overall answer for one locality at one point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplianceStatus {
    /// Every check that applies passes on the record.
    Compliant,
    /// At least one violation is on record.
    NonCompliant,
    /// No violation, but something could not be checked (not on record, not comparable).
    NotDeterminable,
    /// Nothing is due yet: no national edition in force, or no local standard
    /// and the deadline to publish one has not passed.
    NotDue,
}

impl ComplianceStatus {
    pub const ALL: [ComplianceStatus; 4] = [
        ComplianceStatus::Compliant,
        ComplianceStatus::NonCompliant,
        ComplianceStatus::NotDeterminable,
        ComplianceStatus::NotDue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ComplianceStatus::Compliant => "compliant",
            ComplianceStatus::NonCompliant => "non_compliant",
            ComplianceStatus::NotDeterminable => "not_determinable",
            ComplianceStatus::NotDue => "not_due",
        }
    }
}

/// How much a finding weighs in the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A rule is broken on the record.
    Violation,
    /// Whether a rule holds cannot be told from the record.
    Undetermined,
    /// Worth knowing; breaks nothing (a level above the national one, an assessed local item).
    Notice,
}

/// What a finding is about. Each kind has one severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// The deadline passed and no implementation of the national edition in force is on record.
    ImplementationMissing,
    /// The implementation was issued after the deadline.
    PublishedLate,
    /// The issue date is not on record and the effective date is after the deadline.
    PublicationDateNotOnRecord,
    /// A national item has no local counterpart, and the local record is complete.
    NationalItemMissing,
    /// A national item has no local counterpart among the local items on record,
    /// but the local record is incomplete: it may be there.
    NationalItemNotOnRecord,
    /// A local level is below the level of the standard compared against.
    LevelBelow,
    /// Levels that cannot be compared (prose only, not on record, units that do not convert).
    LevelNotComparable,
    /// A local level above the level of the standard compared against.
    LevelAbove,
    /// A local item beyond national scope with no argumentation and risk assessment on record.
    BeyondScopeWithoutAssessment,
    /// A local item beyond national scope with its assessment on record.
    BeyondScopeWithAssessment,
    /// The national item a local item implements was retired, merged or split since.
    CounterpartRetired,
    /// A local item's national counterpart is not on record (not named, or not in the national record).
    CounterpartNotOnRecord,
}

impl FindingKind {
    pub const ALL: [FindingKind; 12] = [
        FindingKind::ImplementationMissing,
        FindingKind::PublishedLate,
        FindingKind::PublicationDateNotOnRecord,
        FindingKind::NationalItemMissing,
        FindingKind::NationalItemNotOnRecord,
        FindingKind::LevelBelow,
        FindingKind::LevelNotComparable,
        FindingKind::LevelAbove,
        FindingKind::BeyondScopeWithoutAssessment,
        FindingKind::BeyondScopeWithAssessment,
        FindingKind::CounterpartRetired,
        FindingKind::CounterpartNotOnRecord,
    ];

    pub fn severity(self) -> Severity {
        match self {
            FindingKind::ImplementationMissing
            | FindingKind::PublishedLate
            | FindingKind::NationalItemMissing
            | FindingKind::LevelBelow
            | FindingKind::BeyondScopeWithoutAssessment
            | FindingKind::CounterpartRetired => Severity::Violation,
            FindingKind::PublicationDateNotOnRecord
            | FindingKind::NationalItemNotOnRecord
            | FindingKind::LevelNotComparable
            | FindingKind::CounterpartNotOnRecord => Severity::Undetermined,
            FindingKind::LevelAbove | FindingKind::BeyondScopeWithAssessment => Severity::Notice,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::ImplementationMissing => "implementation_missing",
            FindingKind::PublishedLate => "published_late",
            FindingKind::PublicationDateNotOnRecord => "publication_date_not_on_record",
            FindingKind::NationalItemMissing => "national_item_missing",
            FindingKind::NationalItemNotOnRecord => "national_item_not_on_record",
            FindingKind::LevelBelow => "level_below",
            FindingKind::LevelNotComparable => "level_not_comparable",
            FindingKind::LevelAbove => "level_above",
            FindingKind::BeyondScopeWithoutAssessment => "beyond_scope_without_assessment",
            FindingKind::BeyondScopeWithAssessment => "beyond_scope_with_assessment",
            FindingKind::CounterpartRetired => "counterpart_retired",
            FindingKind::CounterpartNotOnRecord => "counterpart_not_on_record",
        }
    }
}

/// A revision in brief, as findings cite it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevisionBrief {
    pub id: RevisionId,
    pub jurisdiction: Jurisdiction,
    pub kind: RevisionKind,
    pub title: String,
    pub document_no: Known<String>,
    pub issued_on: Known<NaiveDate>,
    pub effective_from: NaiveDate,
    pub implements: Option<RevisionId>,
}

impl RevisionBrief {
    pub fn new(info: &RevisionInfo) -> Self {
        Self {
            id: info.id.clone(),
            jurisdiction: info.jurisdiction.clone(),
            kind: info.kind,
            title: info.title.clone(),
            document_no: info.document_no.clone(),
            issued_on: info.issued_on.clone(),
            effective_from: info.effective_from,
            implements: info.implements.clone(),
        }
    }
}

/// One side of an item comparison: which item, its value, and where the value comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemSide {
    pub jurisdiction: Jurisdiction,
    pub item: ItemId,
    pub name: Known<Text>,
    pub service_standard: Known<ServiceStandard>,
    /// The revision the service standard comes from: the one that last amended
    /// it, else the one that introduced the item.
    pub revision: RevisionId,
    /// Whether the item is retired at the point (merged, split or dropped).
    pub retired: bool,
}

/// The state of the publication deadline for the national edition in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineState {
    /// The deadline has not passed and no implementation is on record yet.
    NotYetDue,
    /// An implementation was published on or before the deadline.
    Met,
    /// The deadline passed and no implementation is on record.
    Missing,
    /// Issued after the deadline.
    Late,
    /// Issue date not on record, effective after the deadline.
    NotDeterminable,
}

/// Which date counted as the implementation's publication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PublishedBasis {
    IssueDate,
    /// The issue date is not on record; a text in force proves publication by its effective date.
    EffectiveDate,
}

/// The deadline rule applied at one point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deadline {
    /// The national edition in force, which every locality must implement.
    pub national_revision: RevisionId,
    pub national_effective_from: NaiveDate,
    /// Last day to publish: the national effective date plus six months.
    pub due_by: NaiveDate,
    pub state: DeadlineState,
    /// The local revision that implements the national edition, when one is on record.
    pub local_revision: Option<RevisionId>,
    pub local_issued_on: Known<NaiveDate>,
    pub local_effective_from: Option<NaiveDate>,
    pub published_on: Option<NaiveDate>,
    pub published_basis: Option<PublishedBasis>,
}

/// One thing the oversight body should look at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub severity: Severity,
    /// The standard compared against: `CN`, or the province or city above the locality.
    pub against: Jurisdiction,
    /// The national item the two sides are matched on.
    pub national_item: Option<ItemId>,
    /// The item of the standard compared against.
    pub reference: Option<ItemSide>,
    /// The locality's item.
    pub local: Option<ItemSide>,
    /// Level by level, for level findings.
    pub comparison: Option<StandardComparison>,
    /// For deadline findings.
    pub deadline: Option<Deadline>,
    /// For a retired counterpart: the national items that took its place.
    pub successors: Vec<ItemId>,
    /// One sentence for people, naming items, values and revisions.
    pub message: String,
}

impl Finding {
    /// What identifies a finding across points in time.
    pub fn key(&self) -> (FindingKind, &Jurisdiction, Option<&ItemId>, Option<&ItemId>) {
        (
            self.kind,
            &self.against,
            self.national_item.as_ref(),
            self.local.as_ref().map(|l| &l.item),
        )
    }
}

/// One local item compared with one item of a standard above it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemCheck {
    pub against: Jurisdiction,
    pub national_item: ItemId,
    pub reference_item: ItemId,
    pub local_item: ItemId,
    pub outcome: Outcome,
}

/// A standard as it stands at the point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StandardAtPoint {
    pub jurisdiction: Jurisdiction,
    /// First day of the version in force.
    pub valid_from: NaiveDate,
    /// Revisions whose events make up the version in force, oldest first.
    pub revisions: Vec<RevisionBrief>,
    /// Items the standard declares it has, where on record.
    pub declared_item_count: Option<u32>,
    /// Active items on record.
    pub items_on_record: u32,
}

/// How much of each side the record holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    pub national_items_on_record: u32,
    pub national_items_declared: Option<u32>,
    pub local_items_on_record: u32,
    pub local_items_declared: Option<u32>,
    /// True when the local standard declares its item count and the record holds
    /// that many: only then is a national item's absence a violation.
    pub local_record_complete: bool,
    /// National items on record with at least one local counterpart.
    pub national_items_matched: u32,
}

/// Compliance of one locality at (`valid_at`, `known_at`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComplianceReport {
    pub jurisdiction: Jurisdiction,
    /// The division's name where on record (the provinces' names ship with stdreg).
    pub name: Option<String>,
    pub level: DivisionLevel,
    pub valid_at: NaiveDate,
    pub known_at: Option<DateTime<Utc>>,
    pub status: ComplianceStatus,
    /// The national edition in force (the latest comprehensive revision or adjustment).
    pub national_edition: Option<RevisionBrief>,
    pub national: Option<StandardAtPoint>,
    /// The locality's own standard in force, if any.
    pub local: Option<StandardAtPoint>,
    /// The province's and city's standards in force that the locality was also compared with.
    pub above: Vec<StandardAtPoint>,
    pub deadline: Option<Deadline>,
    pub coverage: Coverage,
    /// Every local item compared with an item above it, including those that meet it.
    pub items: Vec<ItemCheck>,
    /// Violations first, then what cannot be told, then notices.
    pub findings: Vec<Finding>,
}

impl ComplianceReport {
    pub fn count(&self, severity: Severity) -> u32 {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count() as u32
    }
}
