//! GraphQL object types. They wrap domain and timeline values; the domain
//! itself knows nothing of GraphQL.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Json, Object, SimpleObject};
use chrono::{NaiveDate, Utc};
use domain::event::{FieldChange, FieldValue, RecordedEvent};
use domain::ids::{AspectId, CategoryId, ItemId, Jurisdiction, RevisionId};
use domain::model::{self, Known, ServiceStandard};
use domain::state::{ItemState, Snapshot, Status};
use domain::text::Text;
use timeline::{Diff, HistoryEntry, ItemChange, LineageLink, StandardTimeline, StructureKind};

use crate::auth::Caller;
use crate::compliance_types::{self, ComplianceHistoryObj, ComplianceReportObj};
use crate::error::{ApiError, ApiResult, IntoGraphql};
use crate::log_proofs;
use crate::scalars::{Date, DateTime};
use crate::shared::{RevisionMeta, Shared, cursor};

pub(crate) fn shared<'a>(ctx: &Context<'a>) -> &'a Arc<Shared> {
    ctx.data_unchecked::<Arc<Shared>>()
}

/// Editors and auditors see who recorded what; the public does not.
fn sees_actors(ctx: &Context<'_>) -> bool {
    ctx.data_opt::<Caller>().is_some_and(Caller::sees_actors)
}

/// Runs `f` on one standard's index, holding the read guard only for the call.
pub(crate) fn with_standard<T>(
    ctx: &Context<'_>,
    jurisdiction: &Jurisdiction,
    f: impl FnOnce(&StandardTimeline) -> Result<T, ApiError>,
) -> ApiResult<T> {
    let timeline = shared(ctx).registry.timeline();
    let standard = timeline.standard(jurisdiction).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no standard is recorded for jurisdiction {jurisdiction}; `standards` lists those that are"
        ))
    });
    standard.and_then(f).gql()
}

pub(crate) fn parse_jurisdiction(text: &str) -> Result<Jurisdiction, ApiError> {
    Jurisdiction::parse(text).map_err(|e| ApiError::BadInput(e.to_string()))
}

fn parse_item(id: &str) -> Result<ItemId, ApiError> {
    ItemId::parse(id).map_err(|e| ApiError::BadInput(e.to_string()))
}

pub(crate) fn parse_revision(id: &str) -> Result<RevisionId, ApiError> {
    RevisionId::parse(id).map_err(|e| ApiError::BadInput(e.to_string()))
}

pub(crate) fn today() -> NaiveDate {
    registry::today(Utc::now())
}

pub(crate) fn known<T: Clone>(value: &Known<T>) -> Option<T> {
    value.as_known().cloned()
}

/// One standard: the national one (`CN`) or a locality's own.
#[derive(Debug, Clone)]
pub(crate) struct StandardObj {
    pub jurisdiction: Jurisdiction,
}

#[Object(name = "Standard")]
impl StandardObj {
    /// `CN` for the national standard, or a six-digit administrative division code.
    async fn jurisdiction(&self) -> &str {
        self.jurisdiction.as_str()
    }

    async fn is_national(&self) -> bool {
        self.jurisdiction.is_national()
    }

    /// Number of events recorded for this standard: pass it as
    /// `publishRevision(expectedVersion:)` to publish only if nobody else did first.
    async fn stream_version(&self, ctx: &Context<'_>) -> ApiResult<u64> {
        with_standard(ctx, &self.jurisdiction, |s| Ok(s.events().len() as u64))
    }

    /// The consolidated standard in force on `validAt` (default: today in China
    /// Standard Time), as the registry stood at `knownAt` (default: now).
    async fn edition(
        &self,
        ctx: &Context<'_>,
        valid_at: Option<Date>,
        known_at: Option<DateTime>,
    ) -> ApiResult<EditionObj> {
        let valid_at = valid_at.map_or_else(today, |d| d.0);
        let known_at = known_at.map(|t| t.0);
        with_standard(ctx, &self.jurisdiction, |s| {
            Ok(EditionObj::new(&s.edition(valid_at, known_at)))
        })
    }

    /// Every point in valid time at which the consolidated text changed, as recorded by `knownAt`.
    async fn versions(
        &self,
        ctx: &Context<'_>,
        known_at: Option<DateTime>,
    ) -> ApiResult<Vec<VersionObj>> {
        let known_at = known_at.map(|t| t.0);
        with_standard(ctx, &self.jurisdiction, |s| {
            Ok(s.versions(known_at)
                .into_iter()
                .map(|v| VersionObj {
                    jurisdiction: self.jurisdiction.clone(),
                    known_at,
                    valid_from: v.valid_from,
                    revisions: v.revisions.clone(),
                    snapshot: Arc::clone(&v.snapshot),
                })
                .collect())
        })
    }

    /// Revisions recorded by `knownAt`, not withdrawn, that take effect after
    /// `validAt` (default: today).
    async fn pending(
        &self,
        ctx: &Context<'_>,
        valid_at: Option<Date>,
        known_at: Option<DateTime>,
    ) -> ApiResult<Vec<RevisionObj>> {
        let valid_at = valid_at.map_or_else(today, |d| d.0);
        let known_at = known_at.map(|t| t.0);
        let records = with_standard(ctx, &self.jurisdiction, |s| {
            Ok(s.pending(valid_at, known_at))
        })?;
        records
            .iter()
            .map(|r| RevisionObj::at(shared(ctx), &r.info.id, r.withdrawn_by.clone()))
            .collect()
    }

    /// Every revision recorded by `knownAt` (default: now), in the order recorded,
    /// with its withdrawal as known then.
    async fn revisions(
        &self,
        ctx: &Context<'_>,
        known_at: Option<DateTime>,
    ) -> ApiResult<Vec<RevisionObj>> {
        let known_at = known_at.map(|t| t.0);
        let records = with_standard(ctx, &self.jurisdiction, |s| Ok(s.revisions(known_at)))?;
        records
            .iter()
            .map(|r| RevisionObj::at(shared(ctx), &r.info.id, r.withdrawn_by.clone()))
            .collect()
    }

    /// One service item of this standard across time: its versions, history and
    /// lineage. `null` with a `NOT_FOUND` error when the standard never had it.
    async fn item(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<ItemObj>> {
        let item = parse_item(&id).gql()?;
        with_standard(ctx, &self.jurisdiction, |s| {
            if s.has_item(&item) {
                Ok(Some(ItemObj {
                    jurisdiction: self.jurisdiction.clone(),
                    id: item,
                }))
            } else {
                Err(ApiError::NotFound(format!(
                    "standard {} has no item {item}; `edition {{ items {{ id }} }}` lists its items",
                    self.jurisdiction
                )))
            }
        })
    }

    /// Compliance of this local standard's locality at `validAt` (default:
    /// today) as the registry stood at `knownAt` (default: now), against the
    /// national edition in force and the standards above it (docs/compliance.md).
    /// `null` for `CN`, the reference every locality is measured against.
    async fn compliance(
        &self,
        ctx: &Context<'_>,
        valid_at: Option<Date>,
        known_at: Option<DateTime>,
    ) -> ApiResult<Option<ComplianceReportObj>> {
        if self.jurisdiction.is_national() {
            return Ok(None);
        }
        compliance_types::report(ctx, &self.jurisdiction, valid_at, known_at).map(Some)
    }

    /// The dates on which this locality's compliance status or findings changed,
    /// as recorded by `knownAt` (default: now). `null` for `CN`.
    async fn compliance_changes(
        &self,
        ctx: &Context<'_>,
        known_at: Option<DateTime>,
    ) -> ApiResult<Option<ComplianceHistoryObj>> {
        if self.jurisdiction.is_national() {
            return Ok(None);
        }
        compliance_types::history(ctx, &self.jurisdiction, known_at).map(Some)
    }

    /// What changed from one point to another (both default to today, as known now).
    async fn diff(
        &self,
        ctx: &Context<'_>,
        from: PointInput,
        to: PointInput,
    ) -> ApiResult<DiffObj> {
        let (from, to) = (from.point(), to.point());
        with_standard(ctx, &self.jurisdiction, |s| {
            let a = s.edition(from.valid_at, from.known_at);
            let b = s.edition(to.valid_at, to.known_at);
            Ok(DiffObj::new(
                &Diff::between(a.snapshot(), b.snapshot()),
                a.snapshot(),
                b.snapshot(),
                from,
                to,
            ))
        })
    }
}

/// A point in both times: valid time (`validAt`, default today) and record
/// time (`knownAt`, default: as the registry stands now).
#[derive(Debug, Clone, InputObject)]
pub(crate) struct PointInput {
    pub valid_at: Option<Date>,
    pub known_at: Option<DateTime>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Point {
    valid_at: NaiveDate,
    known_at: Option<chrono::DateTime<Utc>>,
}

impl PointInput {
    fn point(&self) -> Point {
        Point {
            valid_at: self.valid_at.map_or_else(today, |d| d.0),
            known_at: self.known_at.map(|t| t.0),
        }
    }
}

#[Object(name = "Point")]
impl Point {
    async fn valid_at(&self) -> Date {
        Date(self.valid_at)
    }

    /// `null`: as the registry stands now.
    async fn known_at(&self) -> Option<DateTime> {
        self.known_at.map(DateTime)
    }
}

/// The consolidated standard at one point of valid and record time.
#[derive(Debug, Clone)]
pub(crate) struct EditionObj {
    jurisdiction: Jurisdiction,
    valid_at: NaiveDate,
    known_at: Option<chrono::DateTime<Utc>>,
    valid_from: Option<NaiveDate>,
    revisions: Arc<[RevisionId]>,
    snapshot: Arc<Snapshot>,
}

impl EditionObj {
    pub fn new(edition: &timeline::Edition) -> Self {
        Self {
            jurisdiction: edition.jurisdiction.clone(),
            valid_at: edition.valid_at,
            known_at: edition.known_at,
            valid_from: edition.version.as_ref().map(|v| v.valid_from),
            revisions: edition
                .version
                .as_ref()
                .map(|v| v.revisions.clone())
                .unwrap_or_default(),
            snapshot: edition
                .version
                .as_ref()
                .map(|v| Arc::clone(&v.snapshot))
                .unwrap_or_default(),
        }
    }

    fn item_obj(&self, item: &Arc<ItemState>) -> ItemVersionObj {
        ItemVersionObj {
            snapshot: Arc::clone(&self.snapshot),
            item: Arc::clone(item),
        }
    }
}

/// Active aspects of a snapshot in printed order.
fn aspects(snapshot: &Arc<Snapshot>) -> Vec<AspectObj> {
    let mut aspects: Vec<_> = snapshot
        .aspects
        .values()
        .filter(|a| a.status == Status::Active)
        .collect();
    aspects.sort_by_key(|a| (a.order, a.id.clone()));
    aspects
        .into_iter()
        .map(|a| AspectObj {
            snapshot: Arc::clone(snapshot),
            id: a.id.clone(),
        })
        .collect()
}

/// Whether an item sits in an active category of the snapshot.
fn placed(snapshot: &Snapshot, item: &ItemState) -> bool {
    item.placement
        .category
        .as_known()
        .and_then(|c| snapshot.categories.get(c))
        .is_some_and(|c| c.status == Status::Active)
}

#[Object(name = "Edition")]
impl EditionObj {
    async fn jurisdiction(&self) -> &str {
        self.jurisdiction.as_str()
    }

    /// The day asked about.
    async fn valid_at(&self) -> Date {
        Date(self.valid_at)
    }

    /// The record time asked about; `null`: as the registry stands now.
    async fn known_at(&self) -> Option<DateTime> {
        self.known_at.map(DateTime)
    }

    /// False when no standard was in force at that point (as known then): every list is empty.
    async fn in_force(&self) -> bool {
        self.valid_from.is_some()
    }

    /// First day of the version in force; `null` when none is.
    async fn version_valid_from(&self) -> Option<Date> {
        self.valid_from.map(Date)
    }

    /// Revisions whose changes took effect on `versionValidFrom`.
    async fn version_revisions(&self, ctx: &Context<'_>) -> ApiResult<Vec<RevisionObj>> {
        self.revisions
            .iter()
            .map(|r| RevisionObj::now(shared(ctx), r))
            .collect()
    }

    /// The number of items the governing document says the standard has (80 for
    /// the 2021 national edition, 81 after the 2023 adjustment); `null`: not on record.
    async fn declared_item_count(&self) -> Option<u32> {
        self.snapshot.declared_item_count
    }

    /// Number of items in force (placed or not).
    async fn item_count(&self) -> usize {
        self.snapshot
            .items
            .values()
            .filter(|i| i.is_active())
            .count()
    }

    /// The tree: aspects in printed order, their categories, their items.
    async fn aspects(&self) -> Vec<AspectObj> {
        aspects(&self.snapshot)
    }

    /// Every item in force, in printed order (aspect, category, number), then
    /// those no source places in a category.
    async fn items(&self) -> Vec<ItemVersionObj> {
        let mut placed_items: Vec<ItemVersionObj> = Vec::new();
        for aspect in aspects(&self.snapshot) {
            for category in aspect.category_list() {
                placed_items.extend(category.item_list());
            }
        }
        placed_items.extend(self.unplaced());
        placed_items
    }

    /// Items in force that no source places in a category of this edition.
    async fn unplaced_items(&self) -> Vec<ItemVersionObj> {
        self.unplaced()
    }

    /// One item as it stands in this edition; `null` when it is not in force here.
    async fn item(&self, id: ID) -> ApiResult<Option<ItemVersionObj>> {
        let id = parse_item(&id).gql()?;
        Ok(self
            .snapshot
            .items
            .get(&id)
            .filter(|i| i.is_active())
            .map(|i| self.item_obj(i)))
    }
}

impl EditionObj {
    fn unplaced(&self) -> Vec<ItemVersionObj> {
        let mut items: Vec<&Arc<ItemState>> = self
            .snapshot
            .items
            .values()
            .filter(|i| i.is_active() && !placed(&self.snapshot, i))
            .collect();
        items.sort_by_key(|i| (i.placement.number.as_known().copied(), i.id.clone()));
        items.into_iter().map(|i| self.item_obj(i)).collect()
    }
}

/// The top level of a standard's tree (e.g. 幼有所育).
#[derive(Debug, Clone)]
pub(crate) struct AspectObj {
    snapshot: Arc<Snapshot>,
    id: AspectId,
}

impl AspectObj {
    fn category_list(&self) -> Vec<CategoryObj> {
        let mut categories: Vec<_> = self
            .snapshot
            .categories
            .values()
            .filter(|c| c.aspect == self.id && c.status == Status::Active)
            .collect();
        categories.sort_by_key(|c| (c.number, c.id.clone()));
        categories
            .into_iter()
            .map(|c| CategoryObj {
                snapshot: Arc::clone(&self.snapshot),
                id: c.id.clone(),
            })
            .collect()
    }
}

#[Object(name = "Aspect")]
impl AspectObj {
    /// Stable identity of the aspect.
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// Official (Chinese) name.
    async fn name(&self) -> Option<&str> {
        self.snapshot.aspects.get(&self.id).map(|a| a.name.as_str())
    }

    /// Descriptive English name (not official text); `null`: none given.
    async fn name_en(&self) -> Option<&str> {
        self.snapshot
            .aspects
            .get(&self.id)
            .and_then(|a| a.name_en.as_deref())
    }

    /// Printed order (1..9 nationally).
    async fn order(&self) -> Option<u32> {
        self.snapshot.aspects.get(&self.id).map(|a| a.order)
    }

    /// Categories of the aspect in printed order.
    async fn categories(&self) -> Vec<CategoryObj> {
        self.category_list()
    }
}

/// The second level of a standard's tree (e.g. 优孕优生服务).
#[derive(Debug, Clone)]
pub(crate) struct CategoryObj {
    snapshot: Arc<Snapshot>,
    id: CategoryId,
}

impl CategoryObj {
    fn item_list(&self) -> Vec<ItemVersionObj> {
        let mut items: Vec<&Arc<ItemState>> = self
            .snapshot
            .items
            .values()
            .filter(|i| i.is_active() && i.placement.category.as_known() == Some(&self.id))
            .collect();
        items.sort_by_key(|i| (i.placement.number.as_known().copied(), i.id.clone()));
        items
            .into_iter()
            .map(|i| ItemVersionObj {
                snapshot: Arc::clone(&self.snapshot),
                item: Arc::clone(i),
            })
            .collect()
    }
}

#[Object(name = "Category")]
impl CategoryObj {
    /// Stable identity of the category.
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// Printed number (1..22 nationally).
    async fn number(&self) -> Option<u32> {
        self.snapshot.categories.get(&self.id).map(|c| c.number)
    }

    /// Official (Chinese) name.
    async fn name(&self) -> Option<&str> {
        self.snapshot
            .categories
            .get(&self.id)
            .map(|c| c.name.as_str())
    }

    /// Descriptive English name (not official text); `null`: none given.
    async fn name_en(&self) -> Option<&str> {
        self.snapshot
            .categories
            .get(&self.id)
            .and_then(|c| c.name_en.as_deref())
    }

    /// The aspect the category belongs to.
    async fn aspect_id(&self) -> Option<ID> {
        self.snapshot
            .categories
            .get(&self.id)
            .map(|c| ID(c.aspect.to_string()))
    }

    /// Items in force in this category, by printed number.
    async fn items(&self) -> Vec<ItemVersionObj> {
        self.item_list()
    }
}

/// One service item as it stands at one point. Every text field is `null` when
/// it is *not on record*: no source the registry holds states it (this is not
/// the same as an empty text).
#[derive(Debug, Clone)]
pub(crate) struct ItemVersionObj {
    snapshot: Arc<Snapshot>,
    item: Arc<ItemState>,
}

impl ItemVersionObj {
    /// The item as it stood in `snapshot`.
    pub(crate) fn new(item: Arc<ItemState>, snapshot: Arc<Snapshot>) -> Self {
        Self { snapshot, item }
    }
}

#[Object(name = "ItemVersion")]
impl ItemVersionObj {
    /// Stable identity: survives renumbering, renaming and moves.
    async fn id(&self) -> ID {
        ID(self.item.id.to_string())
    }

    /// Printed number within its category; `null`: not on record.
    async fn number(&self) -> Option<u32> {
        known(&self.item.placement.number)
    }

    /// The category the item sits in; `null`: no source places it.
    async fn category_id(&self) -> Option<ID> {
        self.item
            .placement
            .category
            .as_known()
            .map(|c| ID(c.to_string()))
    }

    /// Official (Chinese) name; `null`: not on record.
    async fn name(&self) -> Option<&str> {
        self.item.name.as_known().map(Text::as_str)
    }

    /// Descriptive English name (not official text); `null`: none given.
    async fn name_en(&self) -> Option<&str> {
        self.item.name_en.as_known().map(Text::as_str)
    }

    /// 服务对象: who the service is for; `null`: not on record.
    async fn service_target(&self) -> Option<&str> {
        self.item.fields.service_target.as_known().map(Text::as_str)
    }

    /// 服务内容: what the service is; `null`: not on record.
    async fn service_content(&self) -> Option<&str> {
        self.item
            .fields
            .service_content
            .as_known()
            .map(Text::as_str)
    }

    /// 服务标准: the official text and the levels it states; `null`: not on record.
    async fn service_standard(&self) -> Option<ServiceStandardObj> {
        known(&self.item.fields.service_standard).map(ServiceStandardObj)
    }

    /// 支出责任: who pays; `null`: not on record.
    async fn expenditure_responsibility(&self) -> Option<&str> {
        self.item
            .fields
            .expenditure_responsibility
            .as_known()
            .map(Text::as_str)
    }

    /// 牵头负责单位: the lead units; `null`: not on record (an empty list is never stored).
    async fn lead_units(&self) -> Option<Vec<&str>> {
        self.item
            .fields
            .lead_units
            .as_known()
            .map(|units| units.iter().map(Text::as_str).collect())
    }

    /// For a local item: the national item it implements; `null` for national
    /// items and for local items beyond national scope.
    async fn national_item(&self) -> Option<ID> {
        self.item.national_item.as_ref().map(|i| ID(i.to_string()))
    }

    /// True for a local item beyond national scope.
    async fn beyond_national_scope(&self) -> bool {
        self.item.beyond_national_scope.is_some()
    }

    /// For a local item beyond national scope: the reference of its argumentation
    /// and risk assessment; `null` otherwise or when none is on record.
    async fn assessment(&self) -> Option<&str> {
        self.item
            .beyond_national_scope
            .as_ref()
            .and_then(|a| a.as_known())
            .map(Text::as_str)
    }

    /// False when the item is retired at this point (only `Item.version` shows retired items).
    async fn active(&self) -> bool {
        self.item.is_active()
    }

    /// The revision whose change last touched this item (provenance).
    async fn last_changed_by(&self, ctx: &Context<'_>) -> ApiResult<RevisionObj> {
        RevisionObj::now(shared(ctx), &self.item.last_changed_by)
    }

    /// The revision that introduced the item.
    async fn introduced_by(&self, ctx: &Context<'_>) -> ApiResult<RevisionObj> {
        RevisionObj::now(shared(ctx), &self.item.introduced_by)
    }

    /// Per amended field, the revision that last amended it: shows that a field
    /// changed even when neither text is on record.
    async fn amended_by(&self, ctx: &Context<'_>) -> ApiResult<Vec<FieldProvenance>> {
        self.item
            .amended_by
            .iter()
            .map(|(field, revision)| {
                Ok(FieldProvenance {
                    field: ItemField::from_name(field),
                    revision: RevisionObj::now(shared(ctx), revision)?,
                })
            })
            .collect()
    }

    /// The category the item sits in, when it is in force in this version.
    async fn category(&self) -> Option<CategoryObj> {
        let id = self.item.placement.category.as_known()?;
        self.snapshot
            .categories
            .get(id)
            .filter(|c| c.status == Status::Active)
            .map(|c| CategoryObj {
                snapshot: Arc::clone(&self.snapshot),
                id: c.id.clone(),
            })
    }
}

#[derive(Debug, Clone, SimpleObject)]
pub(crate) struct FieldProvenance {
    field: ItemField,
    revision: RevisionObj,
}

/// 服务标准: the official text plus the levels it states.
#[derive(Debug, Clone)]
pub(crate) struct ServiceStandardObj(pub(crate) ServiceStandard);

#[Object(name = "ServiceStandard")]
impl ServiceStandardObj {
    /// The official text.
    async fn text(&self) -> &str {
        &self.0.text
    }

    /// Comparable levels the text states (e.g. ≥ 200 yuan per person per month);
    /// empty when the text states none (prose only).
    async fn levels(&self) -> Vec<LevelObj> {
        self.0.levels.iter().cloned().map(LevelObj).collect()
    }
}

/// A structured level stated by a service standard.
#[derive(Debug, Clone)]
pub(crate) struct LevelObj(pub(crate) model::Level);

#[Object(name = "Level")]
impl LevelObj {
    /// What is measured, as the text says it (distinguishes several levels of one item).
    async fn measure(&self) -> &str {
        &self.0.measure
    }

    async fn comparator(&self) -> Comparator {
        self.0.comparator.into()
    }

    async fn quantity(&self) -> f64 {
        self.0.quantity
    }

    /// Unit of the quantity (e.g. 元, 套, 次).
    async fn unit(&self) -> &str {
        &self.0.unit
    }

    /// Per whom or what (e.g. 人); `null` when the text names no one.
    async fn per(&self) -> Option<&str> {
        self.0.per.as_deref()
    }

    /// The period the quantity is counted over; `null` when the text names none.
    async fn period(&self) -> Option<Period> {
        self.0.period.map(Into::into)
    }

    /// Where the level applies, when the text restricts it; `null` otherwise.
    async fn condition(&self) -> Option<&str> {
        self.0.condition.as_deref()
    }
}

/// How a level bounds the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub(crate) enum Comparator {
    /// 不少于, 不低于, 至少
    AtLeast,
    /// 不超过, 不高于
    AtMost,
    Exactly,
}

impl From<model::Comparator> for Comparator {
    fn from(value: model::Comparator) -> Self {
        match value {
            model::Comparator::AtLeast => Comparator::AtLeast,
            model::Comparator::AtMost => Comparator::AtMost,
            model::Comparator::Exactly => Comparator::Exactly,
        }
    }
}

/// The period a quantity is counted over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub(crate) enum Period {
    Day,
    Week,
    Month,
    Quarter,
    Year,
    /// Once, not per period.
    Once,
}

impl From<model::Period> for Period {
    fn from(value: model::Period) -> Self {
        match value {
            model::Period::Day => Period::Day,
            model::Period::Week => Period::Week,
            model::Period::Month => Period::Month,
            model::Period::Quarter => Period::Quarter,
            model::Period::Year => Period::Year,
            model::Period::Once => Period::Once,
        }
    }
}

/// The kinds of published change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub(crate) enum RevisionKind {
    /// The five-yearly edition; states the whole standard.
    ComprehensiveRevision,
    /// A mid-term dynamic adjustment of some items.
    Adjustment,
    /// Fixes the record of an earlier revision; usually retroactive.
    Correction,
    /// A locality's own standard, implementing a national edition.
    LocalImplementation,
    /// Cancels a published revision that has not yet taken effect.
    Withdrawal,
}

impl From<model::RevisionKind> for RevisionKind {
    fn from(value: model::RevisionKind) -> Self {
        match value {
            model::RevisionKind::ComprehensiveRevision => RevisionKind::ComprehensiveRevision,
            model::RevisionKind::Adjustment => RevisionKind::Adjustment,
            model::RevisionKind::Correction => RevisionKind::Correction,
            model::RevisionKind::LocalImplementation => RevisionKind::LocalImplementation,
            model::RevisionKind::Withdrawal => RevisionKind::Withdrawal,
        }
    }
}

impl From<RevisionKind> for model::RevisionKind {
    fn from(value: RevisionKind) -> Self {
        match value {
            RevisionKind::ComprehensiveRevision => model::RevisionKind::ComprehensiveRevision,
            RevisionKind::Adjustment => model::RevisionKind::Adjustment,
            RevisionKind::Correction => model::RevisionKind::Correction,
            RevisionKind::LocalImplementation => model::RevisionKind::LocalImplementation,
            RevisionKind::Withdrawal => model::RevisionKind::Withdrawal,
        }
    }
}

/// A revision's status on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub(crate) enum RevisionStatus {
    InForce,
    /// Recorded, takes effect later.
    Pending,
    Withdrawn,
}

/// A published change to a standard (a document) and its legal basis.
#[derive(Debug, Clone)]
pub(crate) struct RevisionObj {
    meta: Arc<RevisionMeta>,
    /// As known at the record time the revision was asked about.
    withdrawn_by: Option<RevisionId>,
}

impl RevisionObj {
    /// The revision as the registry stands now.
    pub fn now(shared: &Shared, id: &RevisionId) -> ApiResult<Self> {
        let meta = shared.revision(id).ok_or_else(|| {
            ApiError::NotFound(format!("revision {id} is not recorded")).into_graphql()
        })?;
        Ok(Self {
            withdrawn_by: meta.withdrawn_by.clone(),
            meta,
        })
    }

    /// The revision with its withdrawal as known at some record time.
    pub fn at(
        shared: &Shared,
        id: &RevisionId,
        withdrawn_by: Option<RevisionId>,
    ) -> ApiResult<Self> {
        let mut revision = Self::now(shared, id)?;
        revision.withdrawn_by = withdrawn_by;
        Ok(revision)
    }
}

#[Object(name = "Revision")]
impl RevisionObj {
    /// Identity of the revision, unique in the registry (e.g. `cn-2021`).
    async fn id(&self) -> ID {
        ID(self.meta.info.id.to_string())
    }

    /// The standard it revises.
    async fn jurisdiction(&self) -> &str {
        self.meta.info.jurisdiction.as_str()
    }

    async fn kind(&self) -> RevisionKind {
        self.meta.info.kind.into()
    }

    async fn title(&self) -> &str {
        &self.meta.info.title
    }

    /// Document number, e.g. 发改社会〔2021〕443号; `null`: not on record.
    async fn document_no(&self) -> Option<&str> {
        self.meta.info.document_no.as_known().map(String::as_str)
    }

    /// Issuing bodies; `null`: not on record.
    async fn issuers(&self) -> Option<&str> {
        self.meta.info.issuers.as_known().map(String::as_str)
    }

    /// Day the document was issued; `null`: not on record.
    async fn issued_on(&self) -> Option<Date> {
        self.meta.info.issued_on.as_known().copied().map(Date)
    }

    /// Valid time: the day the revision's text takes effect.
    async fn effective_from(&self) -> Date {
        Date(self.meta.info.effective_from)
    }

    /// Number of items the document says the standard has; `null`: the document does not say.
    async fn declared_item_count(&self) -> Option<u32> {
        self.meta.info.declared_item_count
    }

    /// For a local implementation: the national revision it implements.
    async fn implements(&self) -> Option<ID> {
        self.meta
            .info
            .implements
            .as_ref()
            .map(|r| ID(r.to_string()))
    }

    /// For a correction or withdrawal: the revision it corrects or withdraws.
    async fn target(&self) -> Option<ID> {
        self.meta.info.target.as_ref().map(|r| ID(r.to_string()))
    }

    /// Where the text of this revision comes from (citations, addresses).
    async fn sources(&self) -> &[String] {
        &self.meta.info.sources
    }

    /// Record time: when the registry recorded the revision.
    async fn recorded_at(&self) -> DateTime {
        DateTime(self.meta.recorded_at)
    }

    /// Who recorded it (the token's principal). Visible to editors and
    /// auditors; `null` for the public.
    async fn actor(&self, ctx: &Context<'_>) -> Option<&str> {
        sees_actors(ctx).then_some(self.meta.actor.as_str())
    }

    /// The withdrawal that cancelled it, as known at the record time asked about; `null`: none.
    async fn withdrawn_by(&self) -> Option<ID> {
        self.withdrawn_by.as_ref().map(|r| ID(r.to_string()))
    }

    /// Its status on `validAt` (default: today).
    async fn status(&self, valid_at: Option<Date>) -> RevisionStatus {
        let day = valid_at.map_or_else(today, |d| d.0);
        if self.withdrawn_by.is_some() {
            RevisionStatus::Withdrawn
        } else if self.meta.info.effective_from > day {
            RevisionStatus::Pending
        } else {
            RevisionStatus::InForce
        }
    }
}

/// One point at which the consolidated text changed.
#[derive(Debug, Clone)]
pub(crate) struct VersionObj {
    jurisdiction: Jurisdiction,
    known_at: Option<chrono::DateTime<Utc>>,
    valid_from: NaiveDate,
    revisions: Arc<[RevisionId]>,
    snapshot: Arc<Snapshot>,
}

#[Object(name = "Version")]
impl VersionObj {
    /// First day this version is in force.
    async fn valid_from(&self) -> Date {
        Date(self.valid_from)
    }

    /// Revisions whose changes take effect on `validFrom`.
    async fn revisions(&self, ctx: &Context<'_>) -> ApiResult<Vec<RevisionObj>> {
        self.revisions
            .iter()
            .map(|r| RevisionObj::now(shared(ctx), r))
            .collect()
    }

    /// Items in force in this version.
    async fn item_count(&self) -> usize {
        self.snapshot
            .items
            .values()
            .filter(|i| i.is_active())
            .count()
    }

    /// The standard as this version states it.
    async fn edition(&self) -> EditionObj {
        EditionObj {
            jurisdiction: self.jurisdiction.clone(),
            valid_at: self.valid_from,
            known_at: self.known_at,
            valid_from: Some(self.valid_from),
            revisions: self.revisions.clone(),
            snapshot: Arc::clone(&self.snapshot),
        }
    }
}

/// The fields of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub(crate) enum ItemField {
    Name,
    NameEn,
    ServiceTarget,
    ServiceContent,
    ServiceStandard,
    ExpenditureResponsibility,
    LeadUnits,
}

impl ItemField {
    fn from_name(name: &str) -> Self {
        match name {
            "name" => ItemField::Name,
            "name_en" => ItemField::NameEn,
            "service_target" => ItemField::ServiceTarget,
            "service_content" => ItemField::ServiceContent,
            "service_standard" => ItemField::ServiceStandard,
            "expenditure_responsibility" => ItemField::ExpenditureResponsibility,
            _ => ItemField::LeadUnits,
        }
    }
}

/// One field's value before and after a change. `before`/`after` are the
/// values as JSON (a string; `{text, levels}` for the service standard; a list
/// for lead units); `null` means *not on record*, which is why a change can
/// show `null` on both sides: the text changed, and what it became is not on record.
#[derive(Debug, Clone)]
pub(crate) struct FieldChangeObj(FieldChange);

/// A side of a change as JSON; `None` when not on record.
fn json(value: FieldValue<'_>) -> Option<Json<serde_json::Value>> {
    value
        .is_known()
        .then(|| serde_json::to_value(value).ok())
        .flatten()
        .map(Json)
}

#[Object(name = "FieldChange")]
impl FieldChangeObj {
    async fn field(&self) -> ItemField {
        ItemField::from_name(self.0.field_name())
    }

    async fn before(&self) -> Option<Json<serde_json::Value>> {
        json(self.0.sides().0)
    }

    async fn after(&self) -> Option<Json<serde_json::Value>> {
        json(self.0.sides().1)
    }

    /// `before` as plain text (lead units joined by 、); `null`: not on record.
    async fn before_text(&self) -> Option<String> {
        self.0.sides().0.text()
    }

    /// `after` as plain text (lead units joined by 、); `null`: not on record.
    async fn after_text(&self) -> Option<String> {
        self.0.sides().1.text()
    }
}

/// Where an item sits: its category and printed number (each `null` when not on record).
#[derive(Debug, Clone, SimpleObject)]
pub(crate) struct Placement {
    category_id: Option<ID>,
    number: Option<u32>,
}

impl From<&model::Placement> for Placement {
    fn from(value: &model::Placement) -> Self {
        Self {
            category_id: value.category.as_known().map(|c| ID(c.to_string())),
            number: known(&value.number),
        }
    }
}

/// A renumbering or move.
#[derive(Debug, Clone, SimpleObject)]
pub(crate) struct PlacementChange {
    before: Placement,
    after: Placement,
}

fn placement_change(
    value: &Option<(model::Placement, model::Placement)>,
) -> Option<PlacementChange> {
    value.as_ref().map(|(b, a)| PlacementChange {
        before: b.into(),
        after: a.into(),
    })
}

/// One service item across time.
#[derive(Debug, Clone)]
pub(crate) struct ItemObj {
    jurisdiction: Jurisdiction,
    id: ItemId,
}

#[Object(name = "Item")]
impl ItemObj {
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    async fn jurisdiction(&self) -> &str {
        self.jurisdiction.as_str()
    }

    /// The item at a point (defaults: today, as known now); retired items are
    /// shown with `active: false`; `null` when it did not exist then.
    async fn version(
        &self,
        ctx: &Context<'_>,
        valid_at: Option<Date>,
        known_at: Option<DateTime>,
    ) -> ApiResult<Option<ItemVersionObj>> {
        let valid_at = valid_at.map_or_else(today, |d| d.0);
        let known_at = known_at.map(|t| t.0);
        with_standard(ctx, &self.jurisdiction, |s| {
            let edition = s.edition(valid_at, known_at);
            Ok(edition.version.and_then(|v| {
                v.snapshot.items.get(&self.id).map(|i| ItemVersionObj {
                    item: Arc::clone(i),
                    snapshot: Arc::clone(&v.snapshot),
                })
            }))
        })
    }

    /// Every change to the item in force as the registry stood at `knownAt`
    /// (default: now), in effective order, with each field's before and after.
    async fn history(
        &self,
        ctx: &Context<'_>,
        known_at: Option<DateTime>,
    ) -> ApiResult<Vec<HistoryEntryObj>> {
        let known_at = known_at.map(|t| t.0);
        with_standard(ctx, &self.jurisdiction, |s| {
            Ok(s.history(&self.id, known_at)
                .map(|h| {
                    h.entries
                        .into_iter()
                        .map(|entry| HistoryEntryObj {
                            jurisdiction: self.jurisdiction.clone(),
                            entry,
                        })
                        .collect()
                })
                .unwrap_or_default())
        })
    }

    /// Predecessors and successors through merges and splits, nearest first.
    async fn lineage(
        &self,
        ctx: &Context<'_>,
        known_at: Option<DateTime>,
    ) -> ApiResult<Vec<LineageLinkObj>> {
        let known_at = known_at.map(|t| t.0);
        with_standard(ctx, &self.jurisdiction, |s| {
            Ok(s.history(&self.id, known_at)
                .map(|h| h.lineage.into_iter().map(LineageLinkObj).collect())
                .unwrap_or_default())
        })
    }
}

/// One change to an item.
#[derive(Debug, Clone)]
pub(crate) struct HistoryEntryObj {
    jurisdiction: Jurisdiction,
    entry: HistoryEntry,
}

#[Object(name = "HistoryEntry")]
impl HistoryEntryObj {
    /// The event that made the change.
    async fn event(&self) -> EventObj {
        EventObj {
            jurisdiction: self.jurisdiction.clone(),
            event: self.entry.event.clone(),
        }
    }

    /// The event's type, e.g. `item_amended`.
    #[graphql(name = "type")]
    async fn event_type(&self) -> &str {
        self.entry.event.event.type_name()
    }

    /// The revision that made the change.
    async fn revision(&self, ctx: &Context<'_>) -> ApiResult<RevisionObj> {
        RevisionObj::now(shared(ctx), &self.entry.event.context.revision)
    }

    /// Valid time: from when the change is in force.
    async fn effective_from(&self) -> Date {
        Date(self.entry.event.context.effective_from)
    }

    /// Record time of the change.
    async fn recorded_at(&self) -> DateTime {
        DateTime(self.entry.event.recorded_at)
    }

    /// Who recorded it; visible to editors and auditors, `null` for the public.
    async fn actor(&self, ctx: &Context<'_>) -> Option<&str> {
        sees_actors(ctx).then_some(self.entry.event.context.actor.as_str())
    }

    /// The reason given for the change.
    async fn reason(&self) -> &str {
        &self.entry.event.context.reason
    }

    /// Field-level before and after.
    async fn changes(&self) -> Vec<FieldChangeObj> {
        self.entry
            .changes
            .iter()
            .cloned()
            .map(FieldChangeObj)
            .collect()
    }

    /// Set when the change renumbered or moved the item.
    async fn placement(&self) -> Option<PlacementChange> {
        placement_change(&self.entry.placement)
    }

    /// True when the change retired the item.
    async fn retired(&self) -> bool {
        self.entry.retired
    }
}

/// Which way a lineage link points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub(crate) enum LineageRelation {
    /// The linked item became (part of) this one.
    Predecessor,
    /// This item became (part of) the linked one.
    Successor,
}

/// One link of an item's lineage, through a merge or split.
#[derive(Debug, Clone)]
pub(crate) struct LineageLinkObj(LineageLink);

#[Object(name = "LineageLink")]
impl LineageLinkObj {
    async fn relation(&self) -> LineageRelation {
        match self.0.relation {
            timeline::LineageRelation::Predecessor => LineageRelation::Predecessor,
            timeline::LineageRelation::Successor => LineageRelation::Successor,
        }
    }

    /// The linked item.
    async fn item(&self) -> ID {
        ID(self.0.item.to_string())
    }

    /// Distance from the item asked about (1 = direct).
    async fn depth(&self) -> u32 {
        self.0.depth
    }

    /// `items_merged` or `item_split`.
    async fn event_type(&self) -> &str {
        self.0.event_type
    }

    async fn revision(&self, ctx: &Context<'_>) -> ApiResult<RevisionObj> {
        RevisionObj::now(shared(ctx), &self.0.revision)
    }
}

/// One event of the global log.
#[derive(Debug, Clone)]
pub(crate) struct EventObj {
    pub jurisdiction: Jurisdiction,
    pub event: RecordedEvent,
}

#[Object(name = "Event")]
impl EventObj {
    /// The event's id.
    async fn id(&self) -> ID {
        ID(self.event.event_id.to_string())
    }

    /// Position in the global log (1-based, gapless).
    async fn global_position(&self) -> u64 {
        self.event.global_position
    }

    /// The cursor of this event for `events(after:)` and the subscription.
    async fn cursor(&self) -> String {
        cursor(self.event.global_position)
    }

    /// The event's leaf in the log's Merkle tree, base64 of SHA-256(0x00 ‖ its
    /// canonical bytes) (docs/verification.md): what `inclusionProof` proves.
    /// `null` only for an event the server has not indexed yet.
    async fn leaf_hash(&self, ctx: &Context<'_>) -> Option<String> {
        log_proofs::leaf_hash(shared(ctx), self.event.global_position)
    }

    /// The event's type, e.g. `revision_published`, `item_amended`.
    #[graphql(name = "type")]
    async fn event_type(&self) -> &str {
        self.event.event.type_name()
    }

    /// The standard the event belongs to.
    async fn jurisdiction(&self) -> &str {
        self.jurisdiction.as_str()
    }

    async fn revision_id(&self) -> ID {
        ID(self.event.context.revision.to_string())
    }

    /// The revision the event belongs to.
    async fn revision(&self, ctx: &Context<'_>) -> ApiResult<RevisionObj> {
        RevisionObj::now(shared(ctx), &self.event.context.revision)
    }

    /// Valid time: from when the change is in force.
    async fn effective_from(&self) -> Date {
        Date(self.event.context.effective_from)
    }

    /// Record time.
    async fn recorded_at(&self) -> DateTime {
        DateTime(self.event.recorded_at)
    }

    /// The reason given for the change.
    async fn reason(&self) -> &str {
        &self.event.context.reason
    }

    /// Who recorded it; visible to editors and auditors, `null` for the public.
    async fn actor(&self, ctx: &Context<'_>) -> Option<&str> {
        sees_actors(ctx).then_some(self.event.context.actor.as_str())
    }

    /// Items whose state the event changes.
    async fn items(&self) -> Vec<ID> {
        self.event
            .event
            .items_touched()
            .into_iter()
            .map(|i| ID(i.to_string()))
            .collect()
    }

    /// The event's payload as stored (its JSON form, with `type`).
    async fn payload(&self) -> Json<serde_json::Value> {
        Json(serde_json::to_value(&self.event.event).unwrap_or_default())
    }
}

/// How an item differs between two points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub(crate) enum ItemChangeKind {
    Added,
    Retired,
    /// Retired into the `related` item by a merge.
    MergedInto,
    /// Added (or grown) by a merge of the `related` items.
    MergedFrom,
    /// Retired by a split into the `related` items.
    SplitInto,
    /// Added by a split of the `related` item.
    SplitFrom,
    /// Present at both points; fields or placement differ.
    Changed,
}

/// One item's difference between two points.
#[derive(Debug, Clone, SimpleObject)]
pub(crate) struct ItemDiff {
    item: ID,
    /// The item's name at `to` (else at `from`); `null`: not on record.
    name: Option<String>,
    change: ItemChangeKind,
    /// Items on the other side of a merge or split.
    related: Vec<ID>,
    fields: Vec<FieldChangeObj>,
    placement: Option<PlacementChange>,
}

/// What changed in the tree of aspects and categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub(crate) enum StructureChangeKind {
    AspectAdded,
    AspectRenamed,
    AspectRetired,
    CategoryAdded,
    CategoryRenamed,
    CategoryRetired,
}

impl From<StructureKind> for StructureChangeKind {
    fn from(kind: StructureKind) -> Self {
        match kind {
            StructureKind::AspectAdded => Self::AspectAdded,
            StructureKind::AspectRenamed => Self::AspectRenamed,
            StructureKind::AspectRetired => Self::AspectRetired,
            StructureKind::CategoryAdded => Self::CategoryAdded,
            StructureKind::CategoryRenamed => Self::CategoryRenamed,
            StructureKind::CategoryRetired => Self::CategoryRetired,
        }
    }
}

/// A change in the tree of aspects and categories.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(name = "StructureChange")]
pub(crate) struct StructureChangeObj {
    kind: StructureChangeKind,
    /// The aspect or category.
    id: ID,
    /// For a rename: the old name.
    before: Option<String>,
    /// For a rename: the new name.
    after: Option<String>,
}

/// A change of the declared item count (`null`: not stated).
#[derive(Debug, Clone, SimpleObject)]
pub(crate) struct CountChange {
    before: Option<u32>,
    after: Option<u32>,
}

/// Differences between the standard at two points; a side where no standard
/// was in force counts as empty.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(name = "Diff")]
pub(crate) struct DiffObj {
    from: Point,
    to: Point,
    is_empty: bool,
    /// Every item that differs, in id order.
    items: Vec<ItemDiff>,
    added: Vec<ItemDiff>,
    retired: Vec<ItemDiff>,
    /// Both sides of merges (`MERGED_INTO`, `MERGED_FROM`).
    merged: Vec<ItemDiff>,
    /// Both sides of splits (`SPLIT_INTO`, `SPLIT_FROM`).
    split: Vec<ItemDiff>,
    changed: Vec<ItemDiff>,
    structure: Vec<StructureChangeObj>,
    declared_item_count: Option<CountChange>,
}

impl DiffObj {
    fn new(
        diff: &Diff,
        from_snapshot: Option<&Snapshot>,
        to_snapshot: Option<&Snapshot>,
        from: Point,
        to: Point,
    ) -> Self {
        let ids = |v: &[ItemId]| v.iter().map(|i| ID(i.to_string())).collect::<Vec<_>>();
        let items: Vec<ItemDiff> = diff
            .items
            .iter()
            .map(|d| {
                let name = to_snapshot
                    .and_then(|s| s.items.get(&d.item))
                    .or_else(|| from_snapshot.and_then(|s| s.items.get(&d.item)))
                    .and_then(|i| i.name.as_known().map(Text::to_string));
                let (change, related) = match &d.change {
                    ItemChange::Added => (ItemChangeKind::Added, vec![]),
                    ItemChange::Retired => (ItemChangeKind::Retired, vec![]),
                    ItemChange::MergedInto(to) => {
                        (ItemChangeKind::MergedInto, ids(std::slice::from_ref(to)))
                    }
                    ItemChange::MergedFrom(from) => (ItemChangeKind::MergedFrom, ids(from)),
                    ItemChange::SplitInto(to) => (ItemChangeKind::SplitInto, ids(to)),
                    ItemChange::SplitFrom(from) => {
                        (ItemChangeKind::SplitFrom, ids(std::slice::from_ref(from)))
                    }
                    ItemChange::Changed => (ItemChangeKind::Changed, vec![]),
                };
                ItemDiff {
                    item: ID(d.item.to_string()),
                    name,
                    change,
                    related,
                    fields: d.fields.iter().cloned().map(FieldChangeObj).collect(),
                    placement: placement_change(&d.placement),
                }
            })
            .collect();
        let pick = |kinds: &[ItemChangeKind]| -> Vec<ItemDiff> {
            items
                .iter()
                .filter(|i| kinds.contains(&i.change))
                .cloned()
                .collect()
        };
        Self {
            from,
            to,
            is_empty: diff.is_empty(),
            added: pick(&[ItemChangeKind::Added]),
            retired: pick(&[ItemChangeKind::Retired]),
            merged: pick(&[ItemChangeKind::MergedInto, ItemChangeKind::MergedFrom]),
            split: pick(&[ItemChangeKind::SplitInto, ItemChangeKind::SplitFrom]),
            changed: pick(&[ItemChangeKind::Changed]),
            items,
            structure: diff
                .structure
                .iter()
                .map(|s| {
                    let (kind, id, rename) = s.parts();
                    StructureChangeObj {
                        kind: kind.into(),
                        id: ID(id.to_owned()),
                        before: rename.map(|(before, _)| before.to_owned()),
                        after: rename.map(|(_, after)| after.to_owned()),
                    }
                })
                .collect(),
            declared_item_count: diff
                .declared_item_count
                .map(|(before, after)| CountChange { before, after }),
        }
    }
}
