//! The consolidated standard at a point: its tree, its items, its versions.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use domain::model::{self, ServiceStandard};
use domain::text::Text;
use registry::view::{AspectView, CategoryView, EditionView, ItemView, VersionView};

use super::change::ItemField;
use super::revision::RevisionObj;
use super::{known, parse_item, shared};
use crate::error::{ApiResult, IntoGraphql};
use crate::scalars::{Date, DateTime};

/// The consolidated standard at one point of valid and record time.
#[derive(Debug, Clone)]
pub(crate) struct EditionObj(Arc<EditionView>);

impl EditionObj {
    pub fn new(view: EditionView) -> Self {
        Self(Arc::new(view))
    }

    fn aspect_list(&self) -> Vec<AspectObj> {
        (0..self.0.aspects.len())
            .map(|index| AspectObj {
                edition: Arc::clone(&self.0),
                index,
            })
            .collect()
    }
}

#[Object(name = "Edition")]
impl EditionObj {
    async fn jurisdiction(&self) -> &str {
        &self.0.jurisdiction
    }

    /// The day asked about.
    async fn valid_at(&self) -> Date {
        Date(self.0.valid_at)
    }

    /// The record time asked about; `null`: as the registry stands now.
    async fn known_at(&self) -> Option<DateTime> {
        self.0.known_at.map(DateTime)
    }

    /// False when no standard was in force at that point (as known then): every list is empty.
    async fn in_force(&self) -> bool {
        self.0.in_force
    }

    /// First day of the version in force; `null` when none is.
    async fn version_valid_from(&self) -> Option<Date> {
        self.0.version_valid_from.map(Date)
    }

    /// Revisions whose changes took effect on `versionValidFrom`.
    async fn version_revisions(&self, ctx: &Context<'_>) -> ApiResult<Vec<RevisionObj>> {
        self.0
            .version_revisions
            .iter()
            .map(|r| RevisionObj::now(shared(ctx), &r.id))
            .collect()
    }

    /// The number of items the governing document says the standard has (80 for
    /// the 2021 national edition, 81 after the 2023 adjustment); `null`: not on record.
    async fn declared_item_count(&self) -> Option<u32> {
        self.0.declared_item_count
    }

    /// Number of items in force (placed or not).
    async fn item_count(&self) -> usize {
        self.0.item_count
    }

    /// The tree: aspects in printed order, their categories, their items.
    async fn aspects(&self) -> Vec<AspectObj> {
        self.aspect_list()
    }

    /// Every item in force, in printed order (aspect, category, number), then
    /// those no source places in a category.
    async fn items(&self) -> Vec<ItemVersionObj> {
        self.0.items().cloned().map(ItemVersionObj).collect()
    }

    /// Items in force that no source places in a category of this edition.
    async fn unplaced_items(&self) -> Vec<ItemVersionObj> {
        self.0
            .unplaced_items
            .iter()
            .cloned()
            .map(ItemVersionObj)
            .collect()
    }

    /// One item as it stands in this edition; `null` when it is not in force here.
    async fn item(&self, id: ID) -> ApiResult<Option<ItemVersionObj>> {
        let id = parse_item(&id).gql()?;
        Ok(self.0.item(&id).cloned().map(ItemVersionObj))
    }
}

/// The top level of a standard's tree (e.g. 幼有所育).
#[derive(Debug, Clone)]
pub(crate) struct AspectObj {
    edition: Arc<EditionView>,
    index: usize,
}

impl AspectObj {
    fn view(&self) -> &AspectView {
        &self.edition.aspects[self.index]
    }
}

#[Object(name = "Aspect")]
impl AspectObj {
    /// Stable identity of the aspect.
    async fn id(&self) -> ID {
        ID(self.view().id.clone())
    }

    /// Official (Chinese) name.
    async fn name(&self) -> Option<&str> {
        Some(self.view().name.as_str())
    }

    /// Descriptive English name (not official text); `null`: none given.
    async fn name_en(&self) -> Option<&str> {
        self.view().name_en.as_deref()
    }

    /// Printed order (1..9 nationally).
    async fn order(&self) -> Option<u32> {
        Some(self.view().order)
    }

    /// Categories of the aspect in printed order.
    async fn categories(&self) -> Vec<CategoryObj> {
        (0..self.view().categories.len())
            .map(|index| {
                CategoryObj(CategorySource::InEdition {
                    edition: Arc::clone(&self.edition),
                    aspect: self.index,
                    index,
                })
            })
            .collect()
    }
}

/// Where a category's view lives: inside an edition's tree, or built for one item.
#[derive(Debug, Clone)]
enum CategorySource {
    InEdition {
        edition: Arc<EditionView>,
        aspect: usize,
        index: usize,
    },
    Alone(Arc<CategoryView>),
}

/// The second level of a standard's tree (e.g. 优孕优生服务).
#[derive(Debug, Clone)]
pub(crate) struct CategoryObj(CategorySource);

impl CategoryObj {
    fn view(&self) -> &CategoryView {
        match &self.0 {
            CategorySource::InEdition {
                edition,
                aspect,
                index,
            } => &edition.aspects[*aspect].categories[*index],
            CategorySource::Alone(view) => view,
        }
    }
}

#[Object(name = "Category")]
impl CategoryObj {
    /// Stable identity of the category.
    async fn id(&self) -> ID {
        ID(self.view().id.clone())
    }

    /// Printed number (1..22 nationally).
    async fn number(&self) -> Option<u32> {
        Some(self.view().number)
    }

    /// Official (Chinese) name.
    async fn name(&self) -> Option<&str> {
        Some(self.view().name.as_str())
    }

    /// Descriptive English name (not official text); `null`: none given.
    async fn name_en(&self) -> Option<&str> {
        self.view().name_en.as_deref()
    }

    /// The aspect the category belongs to.
    async fn aspect_id(&self) -> Option<ID> {
        Some(ID(self.view().aspect.clone()))
    }

    /// Items in force in this category, by printed number.
    async fn items(&self) -> Vec<ItemVersionObj> {
        self.view()
            .items
            .iter()
            .cloned()
            .map(ItemVersionObj)
            .collect()
    }
}

/// One service item as it stands at one point. Every text field is `null` when
/// it is *not on record*: no source the registry holds states it (this is not
/// the same as an empty text).
#[derive(Debug, Clone)]
pub(crate) struct ItemVersionObj(pub ItemView);

#[Object(name = "ItemVersion")]
impl ItemVersionObj {
    /// Stable identity: survives renumbering, renaming and moves.
    async fn id(&self) -> ID {
        ID(self.0.item.id.to_string())
    }

    /// Printed number within its category; `null`: not on record.
    async fn number(&self) -> Option<u32> {
        known(&self.0.item.placement.number)
    }

    /// The category the item sits in; `null`: no source places it.
    async fn category_id(&self) -> Option<ID> {
        self.0
            .item
            .placement
            .category
            .as_known()
            .map(|c| ID(c.to_string()))
    }

    /// Official (Chinese) name; `null`: not on record.
    async fn name(&self) -> Option<&str> {
        self.0.item.name.as_known().map(Text::as_str)
    }

    /// Descriptive English name (not official text); `null`: none given.
    async fn name_en(&self) -> Option<&str> {
        self.0.item.name_en.as_known().map(Text::as_str)
    }

    /// 服务对象: who the service is for; `null`: not on record.
    async fn service_target(&self) -> Option<&str> {
        self.0
            .item
            .fields
            .service_target
            .as_known()
            .map(Text::as_str)
    }

    /// 服务内容: what the service is; `null`: not on record.
    async fn service_content(&self) -> Option<&str> {
        self.0
            .item
            .fields
            .service_content
            .as_known()
            .map(Text::as_str)
    }

    /// 服务标准: the official text and the levels it states; `null`: not on record.
    async fn service_standard(&self) -> Option<ServiceStandardObj> {
        known(&self.0.item.fields.service_standard).map(ServiceStandardObj)
    }

    /// 支出责任: who pays; `null`: not on record.
    async fn expenditure_responsibility(&self) -> Option<&str> {
        self.0
            .item
            .fields
            .expenditure_responsibility
            .as_known()
            .map(Text::as_str)
    }

    /// 牵头负责单位: the lead units; `null`: not on record (an empty list is never stored).
    async fn lead_units(&self) -> Option<Vec<&str>> {
        self.0
            .item
            .fields
            .lead_units
            .as_known()
            .map(|units| units.iter().map(Text::as_str).collect())
    }

    /// For a local item: the national item it implements; `null` for national
    /// items and for local items beyond national scope.
    async fn national_item(&self) -> Option<ID> {
        self.0
            .item
            .national_item
            .as_ref()
            .map(|i| ID(i.to_string()))
    }

    /// True for a local item beyond national scope.
    async fn beyond_national_scope(&self) -> bool {
        self.0.item.beyond_national_scope.is_some()
    }

    /// For a local item beyond national scope: the reference of its argumentation
    /// and risk assessment; `null` otherwise or when none is on record.
    async fn assessment(&self) -> Option<&str> {
        self.0
            .item
            .beyond_national_scope
            .as_ref()
            .and_then(|a| a.as_known())
            .map(Text::as_str)
    }

    /// False when the item is retired at this point (only `Item.version` shows retired items).
    async fn active(&self) -> bool {
        self.0.item.is_active()
    }

    /// The revision whose change last touched this item (provenance).
    async fn last_changed_by(&self, ctx: &Context<'_>) -> ApiResult<RevisionObj> {
        RevisionObj::now(shared(ctx), &self.0.item.last_changed_by)
    }

    /// The revision that introduced the item.
    async fn introduced_by(&self, ctx: &Context<'_>) -> ApiResult<RevisionObj> {
        RevisionObj::now(shared(ctx), &self.0.item.introduced_by)
    }

    /// Per amended field, the revision that last amended it: shows that a field
    /// changed even when neither text is on record.
    async fn amended_by(&self, ctx: &Context<'_>) -> ApiResult<Vec<FieldProvenance>> {
        self.0
            .item
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

    /// The citation of every field: the revision (document) that made it what it
    /// is here, the one that last amended it or else the one that introduced the item.
    async fn citations(&self, ctx: &Context<'_>) -> ApiResult<Vec<FieldProvenance>> {
        self.0
            .cited_revisions()
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
        self.0
            .category()
            .map(|c| CategoryObj(CategorySource::Alone(Arc::new(c))))
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
#[graphql(remote = "domain::model::Comparator")]
pub(crate) enum Comparator {
    /// 不少于, 不低于, 至少
    AtLeast,
    /// 不超过, 不高于
    AtMost,
    Exactly,
}

/// The period a quantity is counted over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "domain::model::Period")]
pub(crate) enum Period {
    Day,
    Week,
    Month,
    Quarter,
    Year,
    /// Once, not per period.
    Once,
}

/// One point at which the consolidated text changed.
#[derive(Debug, Clone)]
pub(crate) struct VersionObj(pub VersionView);

#[Object(name = "Version")]
impl VersionObj {
    /// First day this version is in force.
    async fn valid_from(&self) -> Date {
        Date(self.0.valid_from)
    }

    /// Revisions whose changes take effect on `validFrom`.
    async fn revisions(&self, ctx: &Context<'_>) -> ApiResult<Vec<RevisionObj>> {
        self.0
            .revisions
            .iter()
            .map(|r| RevisionObj::now(shared(ctx), &r.id))
            .collect()
    }

    /// Items in force in this version.
    async fn item_count(&self) -> usize {
        self.0.item_count
    }

    /// The standard as this version states it.
    async fn edition(&self) -> EditionObj {
        EditionObj::new(self.0.edition())
    }
}
