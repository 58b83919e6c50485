//! GraphQL types of the compliance checks. They wrap the plain values of the
//! `compliance` crate, which knows nothing of GraphQL.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use compliance::levels::{self, Incomparable};
use domain::ids::{ItemId, Jurisdiction, RevisionId};

use crate::error::{ApiResult, IntoGraphql};
use crate::scalars::{Date, DateTime};
use crate::types::{LevelObj, RevisionObj, ServiceStandardObj, known, point, shared};

/// Compliance of a locality at a point; `validAt` defaults to today.
pub(crate) fn report(
    ctx: &Context<'_>,
    jurisdiction: &Jurisdiction,
    valid_at: Option<Date>,
    known_at: Option<DateTime>,
) -> ApiResult<ComplianceReportObj> {
    shared(ctx)
        .registry
        .compliance(jurisdiction, point(valid_at, known_at))
        .map(|r| ComplianceReportObj(Arc::new(r)))
        .gql()
}

/// The dates on which a locality's compliance changed, as recorded by `knownAt`.
pub(crate) fn history(
    ctx: &Context<'_>,
    jurisdiction: &Jurisdiction,
    known_at: Option<DateTime>,
) -> ApiResult<ComplianceHistoryObj> {
    shared(ctx)
        .registry
        .compliance_changes(jurisdiction, known_at.map(|t| t.0))
        .map(ComplianceHistoryObj)
        .gql()
}

/// One line per locality below `parent`.
pub(crate) fn summary(
    ctx: &Context<'_>,
    parent: &Jurisdiction,
    valid_at: Option<Date>,
    known_at: Option<DateTime>,
) -> ApiResult<ComplianceSummaryObj> {
    shared(ctx)
        .registry
        .compliance_summary(parent, point(valid_at, known_at))
        .map(ComplianceSummaryObj)
        .gql()
}

fn revision(ctx: &Context<'_>, id: &RevisionId) -> ApiResult<RevisionObj> {
    RevisionObj::now(shared(ctx), id)
}

fn revisions<'a>(
    ctx: &Context<'_>,
    ids: impl IntoIterator<Item = &'a RevisionId>,
) -> ApiResult<Vec<RevisionObj>> {
    ids.into_iter().map(|id| revision(ctx, id)).collect()
}

fn item_id(id: &ItemId) -> ID {
    ID(id.to_string())
}

/// The overall answer for one locality at one point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "compliance::ComplianceStatus")]
pub(crate) enum ComplianceStatus {
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

/// How much a finding weighs in the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "compliance::Severity")]
pub(crate) enum Severity {
    /// A rule is broken on the record.
    Violation,
    /// Whether a rule holds cannot be told from the record.
    Undetermined,
    /// Worth knowing; breaks nothing.
    Notice,
}

/// What a finding is about; each kind has one severity (docs/compliance.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "compliance::FindingKind")]
pub(crate) enum FindingKind {
    /// The deadline passed and no implementation of the national edition in force is on record.
    ImplementationMissing,
    /// The implementation was issued after the deadline.
    PublishedLate,
    /// The issue date is not on record and the effective date is after the deadline.
    PublicationDateNotOnRecord,
    /// A national item has no local counterpart, and the local record is complete.
    NationalItemMissing,
    /// A national item has no counterpart among the local items on record, but
    /// the local record is incomplete: it may be there.
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

/// How a local level stands against the level it is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "compliance::levels::Outcome")]
pub(crate) enum LevelOutcome {
    /// Stricter than the reference: more of a floor, less of a ceiling.
    Exceeds,
    Meets,
    Below,
    /// Cannot be told from the record; `reason` says why.
    NotComparable,
}

/// The state of the publication deadline for the national edition in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "compliance::DeadlineState")]
pub(crate) enum DeadlineState {
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "compliance::PublishedBasis")]
pub(crate) enum PublishedBasis {
    IssueDate,
    /// The issue date is not on record; a text in force proves publication by its effective date.
    EffectiveDate,
}

/// The level of an administrative division, read from its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "compliance::divisions::DivisionLevel")]
pub(crate) enum DivisionLevel {
    National,
    Province,
    /// Prefecture level (地级).
    City,
    /// County level (县级), including city districts.
    County,
}

/// Why two levels or two service standards cannot be compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub(crate) enum IncomparableCode {
    /// The reference service standard's text is not on record.
    ReferenceNotOnRecord,
    /// The local service standard's text is not on record.
    LocalNotOnRecord,
    /// The reference text states no structured level.
    ReferenceProseOnly,
    /// The local text states no structured level.
    LocalProseOnly,
    /// The local text states no level for this measure and condition.
    NoLocalLevel,
    /// One bounds from below, the other from above.
    ComparatorsDiffer,
    /// The reference states an exact amount, so which way is better is not stated.
    ExactReference,
    /// Units that do not convert into each other.
    UnitsDiffer,
    /// Periods that do not convert exactly, or one side states a period and the other none.
    PeriodsDiffer,
    /// Counted per different beneficiaries.
    PerDiffers,
}

/// The reason a comparison could not be made.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(name = "Incomparable")]
pub(crate) struct IncomparableObj {
    code: IncomparableCode,
    /// One sentence for people, naming the units, periods or beneficiaries that differ.
    description: String,
}

impl From<&Incomparable> for IncomparableObj {
    fn from(value: &Incomparable) -> Self {
        let code = match value {
            Incomparable::ReferenceNotOnRecord => IncomparableCode::ReferenceNotOnRecord,
            Incomparable::LocalNotOnRecord => IncomparableCode::LocalNotOnRecord,
            Incomparable::ReferenceProseOnly => IncomparableCode::ReferenceProseOnly,
            Incomparable::LocalProseOnly => IncomparableCode::LocalProseOnly,
            Incomparable::NoLocalLevel => IncomparableCode::NoLocalLevel,
            Incomparable::ComparatorsDiffer => IncomparableCode::ComparatorsDiffer,
            Incomparable::ExactReference => IncomparableCode::ExactReference,
            Incomparable::UnitsDiffer { .. } => IncomparableCode::UnitsDiffer,
            Incomparable::PeriodsDiffer { .. } => IncomparableCode::PeriodsDiffer,
            Incomparable::PerDiffers { .. } => IncomparableCode::PerDiffers,
        };
        Self {
            code,
            description: value.describe(),
        }
    }
}

/// Compliance of one locality at one point of valid and record time
/// (docs/compliance.md): against the national edition in force and against the
/// standards of its province and city in force then.
#[derive(Debug, Clone)]
pub(crate) struct ComplianceReportObj(Arc<compliance::ComplianceReport>);

#[Object(name = "ComplianceReport")]
impl ComplianceReportObj {
    /// The locality: a six-digit division code.
    async fn jurisdiction(&self) -> &str {
        self.0.jurisdiction.as_str()
    }

    /// The division's name; `null` for cities and counties (only the provinces' names are on record).
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }

    async fn level(&self) -> DivisionLevel {
        self.0.level.into()
    }

    /// The day asked about.
    async fn valid_at(&self) -> Date {
        Date(self.0.valid_at)
    }

    /// The record time asked about; `null`: as the registry stands now.
    async fn known_at(&self) -> Option<DateTime> {
        self.0.known_at.map(DateTime)
    }

    async fn status(&self) -> ComplianceStatus {
        self.0.status.into()
    }

    /// The national edition in force (the latest comprehensive revision or
    /// adjustment); `null` when none was in force.
    async fn national_edition(&self, ctx: &Context<'_>) -> ApiResult<Option<RevisionObj>> {
        self.0
            .national_edition
            .as_ref()
            .map(|r| revision(ctx, &r.id))
            .transpose()
    }

    /// The national standard as it stands at the point; `null` when none is in force.
    async fn national(&self) -> Option<StandardAtPointObj> {
        self.0.national.clone().map(StandardAtPointObj)
    }

    /// The locality's own standard in force; `null` when none is.
    async fn local(&self) -> Option<StandardAtPointObj> {
        self.0.local.clone().map(StandardAtPointObj)
    }

    /// The province's and city's standards in force that the locality was also compared with.
    async fn above(&self) -> Vec<StandardAtPointObj> {
        self.0
            .above
            .iter()
            .cloned()
            .map(StandardAtPointObj)
            .collect()
    }

    /// The publication deadline of the national edition in force; `null` when none is in force.
    async fn deadline(&self) -> Option<DeadlineObj> {
        self.0.deadline.clone().map(DeadlineObj)
    }

    /// How much of each side the record holds.
    async fn coverage(&self) -> Coverage {
        let c = &self.0.coverage;
        Coverage {
            national_items_on_record: c.national_items_on_record,
            national_items_declared: c.national_items_declared,
            local_items_on_record: c.local_items_on_record,
            local_items_declared: c.local_items_declared,
            local_record_complete: c.local_record_complete,
            national_items_matched: c.national_items_matched,
        }
    }

    /// Every local item compared with an item above it, including those that meet it.
    async fn items(&self) -> Vec<ItemCheck> {
        self.0
            .items
            .iter()
            .map(|i| ItemCheck {
                against: i.against.to_string(),
                national_item: item_id(&i.national_item),
                reference_item: item_id(&i.reference_item),
                local_item: item_id(&i.local_item),
                outcome: i.outcome.into(),
            })
            .collect()
    }

    /// The findings, violations first, then what cannot be told, then notices;
    /// only those of `severity` and `kind` when given.
    async fn findings(
        &self,
        severity: Option<Severity>,
        kind: Option<FindingKind>,
    ) -> Vec<FindingObj> {
        self.0
            .findings
            .iter()
            .filter(|f| severity.is_none_or(|s| s == f.severity.into()))
            .filter(|f| kind.is_none_or(|k| k == f.kind.into()))
            .cloned()
            .map(FindingObj)
            .collect()
    }

    /// Number of violations.
    async fn violations(&self) -> u32 {
        self.0.count(compliance::Severity::Violation)
    }

    /// Number of findings that cannot be told from the record.
    async fn undetermined(&self) -> u32 {
        self.0.count(compliance::Severity::Undetermined)
    }

    /// Number of notices.
    async fn notices(&self) -> u32 {
        self.0.count(compliance::Severity::Notice)
    }
}

/// A standard as it stands at the point asked about.
#[derive(Debug, Clone)]
pub(crate) struct StandardAtPointObj(compliance::StandardAtPoint);

#[Object(name = "StandardAtPoint")]
impl StandardAtPointObj {
    async fn jurisdiction(&self) -> &str {
        self.0.jurisdiction.as_str()
    }

    /// First day of the version in force.
    async fn valid_from(&self) -> Date {
        Date(self.0.valid_from)
    }

    /// Revisions whose events make up the version in force, oldest first.
    async fn revisions(&self, ctx: &Context<'_>) -> ApiResult<Vec<RevisionObj>> {
        revisions(ctx, self.0.revisions.iter().map(|r| &r.id))
    }

    /// Items the standard declares it has; `null`: not on record.
    async fn declared_item_count(&self) -> Option<u32> {
        self.0.declared_item_count
    }

    /// Active items on record.
    async fn items_on_record(&self) -> u32 {
        self.0.items_on_record
    }
}

/// The deadline rule applied at one point: six months after the national
/// edition takes effect, inclusive.
#[derive(Debug, Clone)]
pub(crate) struct DeadlineObj(compliance::Deadline);

#[Object(name = "Deadline")]
impl DeadlineObj {
    /// The national edition in force, which every locality must implement.
    async fn national_revision(&self, ctx: &Context<'_>) -> ApiResult<RevisionObj> {
        revision(ctx, &self.0.national_revision)
    }

    async fn national_effective_from(&self) -> Date {
        Date(self.0.national_effective_from)
    }

    /// Last day to publish.
    async fn due_by(&self) -> Date {
        Date(self.0.due_by)
    }

    async fn state(&self) -> DeadlineState {
        self.0.state.into()
    }

    /// The local revision implementing the national edition; `null`: none on record.
    async fn local_revision(&self, ctx: &Context<'_>) -> ApiResult<Option<RevisionObj>> {
        self.0
            .local_revision
            .as_ref()
            .map(|r| revision(ctx, r))
            .transpose()
    }

    /// Its issue date; `null`: not on record (or no local revision).
    async fn local_issued_on(&self) -> Option<Date> {
        known(&self.0.local_issued_on).map(Date)
    }

    async fn local_effective_from(&self) -> Option<Date> {
        self.0.local_effective_from.map(Date)
    }

    /// The date that counts as published; `null` when none can be told.
    async fn published_on(&self) -> Option<Date> {
        self.0.published_on.map(Date)
    }

    /// Which date `publishedOn` is.
    async fn published_basis(&self) -> Option<PublishedBasis> {
        self.0.published_basis.map(Into::into)
    }
}

/// How much of each side the record holds.
#[derive(Debug, Clone, SimpleObject)]
pub(crate) struct Coverage {
    national_items_on_record: u32,
    /// `null`: the national standard's item count is not on record.
    national_items_declared: Option<u32>,
    local_items_on_record: u32,
    /// `null`: the local standard does not declare its item count (on record).
    local_items_declared: Option<u32>,
    /// True when the local standard declares its item count and the record
    /// holds that many: only then is a national item's absence a violation.
    local_record_complete: bool,
    /// National items on record with at least one local counterpart.
    national_items_matched: u32,
}

/// One local item compared with one item of a standard above it.
#[derive(Debug, Clone, SimpleObject)]
pub(crate) struct ItemCheck {
    /// The standard compared against: `CN`, or the province or city above.
    against: String,
    national_item: ID,
    reference_item: ID,
    local_item: ID,
    outcome: LevelOutcome,
}

/// One thing an oversight body should look at.
#[derive(Debug, Clone)]
pub(crate) struct FindingObj(compliance::Finding);

#[Object(name = "Finding")]
impl FindingObj {
    async fn kind(&self) -> FindingKind {
        self.0.kind.into()
    }

    async fn severity(&self) -> Severity {
        self.0.severity.into()
    }

    /// The standard compared against: `CN`, or the province or city above the locality.
    async fn against(&self) -> &str {
        self.0.against.as_str()
    }

    /// The national item the two sides are matched on; `null` when none is.
    async fn national_item(&self) -> Option<ID> {
        self.0.national_item.as_ref().map(item_id)
    }

    /// The item of the standard compared against.
    async fn reference(&self) -> Option<ItemSideObj> {
        self.0.reference.clone().map(ItemSideObj)
    }

    /// The locality's item.
    async fn local(&self) -> Option<ItemSideObj> {
        self.0.local.clone().map(ItemSideObj)
    }

    /// Level by level, for level findings.
    async fn comparison(&self) -> Option<StandardComparisonObj> {
        self.0.comparison.clone().map(StandardComparisonObj)
    }

    /// For deadline findings.
    async fn deadline(&self) -> Option<DeadlineObj> {
        self.0.deadline.clone().map(DeadlineObj)
    }

    /// For a retired counterpart: the national items that took its place.
    async fn successors(&self) -> Vec<ID> {
        self.0.successors.iter().map(item_id).collect()
    }

    /// One sentence for people, naming items, values and revisions.
    async fn message(&self) -> &str {
        &self.0.message
    }
}

/// One side of an item comparison: the item, its value, and where the value comes from.
#[derive(Debug, Clone)]
pub(crate) struct ItemSideObj(compliance::ItemSide);

#[Object(name = "ItemSide")]
impl ItemSideObj {
    async fn jurisdiction(&self) -> &str {
        self.0.jurisdiction.as_str()
    }

    async fn item(&self) -> ID {
        item_id(&self.0.item)
    }

    /// Official (Chinese) name; `null`: not on record.
    async fn name(&self) -> Option<&str> {
        self.0.name.as_known().map(|name| name.as_str())
    }

    /// 服务标准 at the point; `null`: not on record.
    async fn service_standard(&self) -> Option<ServiceStandardObj> {
        known(&self.0.service_standard).map(ServiceStandardObj)
    }

    /// The revision the service standard comes from: the one that last amended
    /// it, else the one that introduced the item.
    async fn revision(&self, ctx: &Context<'_>) -> ApiResult<RevisionObj> {
        revision(ctx, &self.0.revision)
    }

    /// True when the item is retired at the point (merged, split or dropped).
    async fn retired(&self) -> bool {
        self.0.retired
    }
}

/// A local service standard against a reference one, level by level.
#[derive(Debug, Clone)]
pub(crate) struct StandardComparisonObj(levels::StandardComparison);

#[Object(name = "StandardComparison")]
impl StandardComparisonObj {
    /// Below if any level is below; else not comparable if any is; else exceeds if any does.
    async fn outcome(&self) -> LevelOutcome {
        self.0.outcome.into()
    }

    /// Set when the texts as a whole cannot be compared (not on record, prose only).
    async fn reason(&self) -> Option<IncomparableObj> {
        self.0.reason.as_ref().map(Into::into)
    }

    async fn levels(&self) -> Vec<LevelComparisonObj> {
        self.0
            .levels
            .iter()
            .cloned()
            .map(LevelComparisonObj)
            .collect()
    }

    /// Local levels whose measure the reference does not state (extra provisions, not compared).
    async fn additional_local_levels(&self) -> Vec<LevelObj> {
        self.0
            .additional_local_levels
            .iter()
            .cloned()
            .map(LevelObj)
            .collect()
    }
}

/// One reference level and the local level compared with it.
#[derive(Debug, Clone)]
pub(crate) struct LevelComparisonObj(levels::LevelComparison);

#[Object(name = "LevelComparison")]
impl LevelComparisonObj {
    async fn measure(&self) -> &str {
        &self.0.measure
    }

    async fn condition(&self) -> Option<&str> {
        self.0.condition.as_deref()
    }

    async fn reference(&self) -> LevelObj {
        LevelObj(self.0.reference.clone())
    }

    /// `null` when the local text states no level for this measure.
    async fn local(&self) -> Option<LevelObj> {
        self.0.local.clone().map(LevelObj)
    }

    async fn outcome(&self) -> LevelOutcome {
        self.0.outcome.into()
    }

    async fn reason(&self) -> Option<IncomparableObj> {
        self.0.reason.as_ref().map(Into::into)
    }

    /// The local quantity in the reference's unit and period, when it had to be converted.
    async fn local_converted(&self) -> Option<f64> {
        self.0.local_converted
    }
}

/// A locality's compliance over valid time, as recorded by `knownAt`.
#[derive(Debug, Clone)]
pub(crate) struct ComplianceHistoryObj(compliance::ComplianceHistory);

#[Object(name = "ComplianceHistory")]
impl ComplianceHistoryObj {
    async fn jurisdiction(&self) -> &str {
        self.0.jurisdiction.as_str()
    }

    /// `null`: as the registry stands now.
    async fn known_at(&self) -> Option<DateTime> {
        self.0.known_at.map(DateTime)
    }

    /// The dates on which the status or the findings changed, oldest first.
    async fn changes(&self) -> Vec<ComplianceChangeObj> {
        self.0
            .changes
            .iter()
            .cloned()
            .map(ComplianceChangeObj)
            .collect()
    }

    /// True when the history had more dates to evaluate than one answer visits.
    async fn truncated(&self) -> bool {
        self.0.truncated
    }
}

/// One date on which the status or the findings changed.
#[derive(Debug, Clone)]
pub(crate) struct ComplianceChangeObj(compliance::ComplianceChange);

#[Object(name = "ComplianceChange")]
impl ComplianceChangeObj {
    async fn valid_from(&self) -> Date {
        Date(self.0.valid_from)
    }

    async fn status(&self) -> ComplianceStatus {
        self.0.status.into()
    }

    /// `null` for the first entry.
    async fn previous_status(&self) -> Option<ComplianceStatus> {
        self.0.previous_status.map(Into::into)
    }

    /// Revisions (national, local, or above) that take effect on this date.
    async fn revisions(&self, ctx: &Context<'_>) -> ApiResult<Vec<RevisionObj>> {
        revisions(ctx, &self.0.revisions)
    }

    /// Set when this is the first day after a national edition's deadline: that edition.
    async fn deadline_passed_for(&self, ctx: &Context<'_>) -> ApiResult<Option<RevisionObj>> {
        self.0
            .deadline_passed_for
            .as_ref()
            .map(|r| revision(ctx, r))
            .transpose()
    }

    /// Findings that hold from this date and did not the day before.
    async fn added(&self) -> Vec<FindingObj> {
        self.0.added.iter().cloned().map(FindingObj).collect()
    }

    /// Findings that held the day before and no longer do.
    async fn resolved(&self) -> Vec<FindingObj> {
        self.0.resolved.iter().cloned().map(FindingObj).collect()
    }
}

/// One line per locality below a jurisdiction.
#[derive(Debug, Clone)]
pub(crate) struct ComplianceSummaryObj(compliance::ComplianceSummary);

#[Object(name = "ComplianceSummary")]
impl ComplianceSummaryObj {
    async fn parent(&self) -> &str {
        self.0.parent.as_str()
    }

    /// `null` for cities and counties (only the provinces' names are on record).
    async fn parent_name(&self) -> Option<&str> {
        self.0.parent_name.as_deref()
    }

    async fn valid_at(&self) -> Date {
        Date(self.0.valid_at)
    }

    /// `null`: as the registry stands now.
    async fn known_at(&self) -> Option<DateTime> {
        self.0.known_at.map(DateTime)
    }

    /// The national edition in force; `null` when none is.
    async fn national_edition(&self, ctx: &Context<'_>) -> ApiResult<Option<RevisionObj>> {
        self.0
            .national_edition
            .as_ref()
            .map(|r| revision(ctx, &r.id))
            .transpose()
    }

    /// Below `CN`: every provincial-level division, whether or not a standard is
    /// on record for it, and every city and county with one; below a province
    /// or city: the localities within it with a standard on record. By code.
    async fn rows(&self) -> Vec<SummaryRowObj> {
        self.0.rows.iter().cloned().map(SummaryRowObj).collect()
    }

    /// Rows per status, every status listed.
    async fn totals(&self) -> Vec<StatusCount> {
        self.0
            .totals
            .iter()
            .map(|t| StatusCount {
                status: t.status.into(),
                count: t.count,
            })
            .collect()
    }

    /// True when more localities lie below the parent than one summary lists.
    async fn truncated(&self) -> bool {
        self.0.truncated
    }
}

/// One locality's compliance in brief.
#[derive(Debug, Clone)]
pub(crate) struct SummaryRowObj(compliance::SummaryRow);

#[Object(name = "SummaryRow")]
impl SummaryRowObj {
    async fn jurisdiction(&self) -> &str {
        self.0.jurisdiction.as_str()
    }

    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }

    async fn level(&self) -> DivisionLevel {
        self.0.level.into()
    }

    async fn status(&self) -> ComplianceStatus {
        self.0.status.into()
    }

    /// `null` when no national edition is in force.
    async fn deadline(&self) -> Option<DeadlineState> {
        self.0.deadline.map(Into::into)
    }

    /// Revisions of the local standard in force, oldest first.
    async fn local_revisions(&self, ctx: &Context<'_>) -> ApiResult<Vec<RevisionObj>> {
        revisions(ctx, &self.0.local_revisions)
    }

    async fn violations(&self) -> u32 {
        self.0.violations
    }

    async fn undetermined(&self) -> u32 {
        self.0.undetermined
    }

    async fn notices(&self) -> u32 {
        self.0.notices
    }

    /// The kinds of violation found, each once.
    async fn violation_kinds(&self) -> Vec<FindingKind> {
        self.0.violation_kinds.iter().map(|k| (*k).into()).collect()
    }
}

/// How many rows have a status.
#[derive(Debug, Clone, SimpleObject)]
pub(crate) struct StatusCount {
    status: ComplianceStatus,
    count: u32,
}
