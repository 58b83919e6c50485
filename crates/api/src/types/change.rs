//! What changed: field changes, an item across time, and the diff between two points.

use async_graphql::{Context, Enum, ID, Json, Object, SimpleObject};
use domain::event::{ChangeKind, FieldValue};
use domain::ids::{ItemId, Jurisdiction};
use domain::model;
use registry::view::{
    DiffView, FieldChangeView, HistoryEntryView, HistoryView, ItemDiffView, LineageView,
};

use super::edition::ItemVersionObj;
use super::event::EventObj;
use super::revision::RevisionObj;
use super::standard::{PointObj, point};
use super::{known, sees_actors, shared};
use crate::error::{ApiResult, IntoGraphql};
use crate::scalars::{Date, DateTime};

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
    pub(crate) fn from_name(name: &str) -> Self {
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
pub(crate) struct FieldChangeObj(FieldChangeView);

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
        ItemField::from_name(self.0.change.field_name())
    }

    /// Whether a text on record changed, or a gap in the record was filled or opened.
    async fn kind(&self) -> FieldChangeKind {
        match self.0.kind {
            ChangeKind::Changed => FieldChangeKind::Changed,
            ChangeKind::FirstOnRecord => FieldChangeKind::FirstOnRecord,
            ChangeKind::NoLongerOnRecord => FieldChangeKind::NoLongerOnRecord,
            ChangeKind::ChangedNotOnRecord => FieldChangeKind::ChangedNotOnRecord,
        }
    }

    async fn before(&self) -> Option<Json<serde_json::Value>> {
        json(self.0.change.sides().0)
    }

    async fn after(&self) -> Option<Json<serde_json::Value>> {
        json(self.0.change.sides().1)
    }

    /// `before` as plain text (lead units joined by 、); `null`: not on record.
    async fn before_text(&self) -> Option<String> {
        self.0.change.sides().0.text()
    }

    /// `after` as plain text (lead units joined by 、); `null`: not on record.
    async fn after_text(&self) -> Option<String> {
        self.0.change.sides().1.text()
    }
}

/// How a field's record changed. *Not on record* is not the same as empty:
/// a text that appears where none was on record may not have changed at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub(crate) enum FieldChangeKind {
    /// One text on record replaced by another.
    Changed,
    /// Not on record before, on record after: a gap in the sources filled.
    FirstOnRecord,
    /// On record before, amended to a text that is not on record.
    NoLongerOnRecord,
    /// Amended, and neither text is on record.
    ChangedNotOnRecord,
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

fn placement_change(value: &Option<registry::view::PlacementChange>) -> Option<PlacementChange> {
    value.as_ref().map(|p| PlacementChange {
        before: (&p.before).into(),
        after: (&p.after).into(),
    })
}

/// One service item across time.
#[derive(Debug, Clone)]
pub(crate) struct ItemObj {
    pub jurisdiction: Jurisdiction,
    pub id: ItemId,
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
        let at = shared(ctx)
            .registry
            .item(
                Some(&self.jurisdiction),
                &self.id,
                point(valid_at, known_at),
                super::today(),
            )
            .gql()?;
        Ok(at.item.map(ItemVersionObj))
    }

    /// Every change to the item in force as the registry stood at `knownAt`
    /// (default: now), in effective order, with each field's before and after.
    async fn history(
        &self,
        ctx: &Context<'_>,
        known_at: Option<DateTime>,
    ) -> ApiResult<Vec<HistoryEntryObj>> {
        Ok(self.history_view(ctx, known_at).map_or_else(Vec::new, |h| {
            h.entries
                .into_iter()
                .map(|entry| HistoryEntryObj {
                    jurisdiction: self.jurisdiction.clone(),
                    entry,
                })
                .collect()
        }))
    }

    /// Predecessors and successors through merges and splits, nearest first.
    async fn lineage(
        &self,
        ctx: &Context<'_>,
        known_at: Option<DateTime>,
    ) -> ApiResult<Vec<LineageLinkObj>> {
        Ok(self.history_view(ctx, known_at).map_or_else(Vec::new, |h| {
            h.lineage.into_iter().map(LineageLinkObj).collect()
        }))
    }
}

impl ItemObj {
    /// The item's history as recorded by `known_at`; `None` when nothing of it
    /// was recorded by then (both lists are then empty, not an error).
    fn history_view(&self, ctx: &Context<'_>, known_at: Option<DateTime>) -> Option<HistoryView> {
        shared(ctx)
            .registry
            .history(Some(&self.jurisdiction), &self.id, known_at.map(|t| t.0))
            .ok()
    }
}

/// One change to an item.
#[derive(Debug, Clone)]
pub(crate) struct HistoryEntryObj {
    jurisdiction: Jurisdiction,
    entry: HistoryEntryView,
}

#[Object(name = "HistoryEntry")]
impl HistoryEntryObj {
    /// The event that made the change.
    async fn event(&self) -> EventObj {
        EventObj {
            jurisdiction: self.jurisdiction.clone(),
            event: self.entry.recorded.clone(),
        }
    }

    /// The event's type, e.g. `item_amended`.
    #[graphql(name = "type")]
    async fn event_type(&self) -> &str {
        self.entry.event.event_type
    }

    /// The revision that made the change.
    async fn revision(&self, ctx: &Context<'_>) -> ApiResult<RevisionObj> {
        RevisionObj::now(shared(ctx), &self.entry.event.revision)
    }

    /// Valid time: from when the change is in force.
    async fn effective_from(&self) -> Date {
        Date(self.entry.event.effective_from)
    }

    /// Record time of the change.
    async fn recorded_at(&self) -> DateTime {
        DateTime(self.entry.event.recorded_at)
    }

    /// Who recorded it; visible to editors and auditors, `null` for the
    /// public and when this copy of the log does not know it.
    async fn actor(&self, ctx: &Context<'_>) -> Option<&str> {
        sees_actors(ctx)
            .then_some(self.entry.event.actor.as_deref())
            .flatten()
    }

    /// The reason given for the change.
    async fn reason(&self) -> &str {
        &self.entry.event.reason
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
pub(crate) struct LineageLinkObj(LineageView);

#[Object(name = "LineageLink")]
impl LineageLinkObj {
    async fn relation(&self) -> LineageRelation {
        if self.0.relation == "predecessor" {
            LineageRelation::Predecessor
        } else {
            LineageRelation::Successor
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
    /// Present at both points; every difference is text first on record (not
    /// on record before): a gap in the sources filled, not necessarily a change.
    FirstOnRecord,
}

impl ItemChangeKind {
    fn from_name(name: &str) -> Self {
        match name {
            "added" => Self::Added,
            "retired" => Self::Retired,
            "merged_into" => Self::MergedInto,
            "merged_from" => Self::MergedFrom,
            "split_into" => Self::SplitInto,
            "split_from" => Self::SplitFrom,
            "first_on_record" => Self::FirstOnRecord,
            _ => Self::Changed,
        }
    }
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

impl StructureChangeKind {
    fn from_name(name: &str) -> Self {
        match name {
            "aspect_added" => Self::AspectAdded,
            "aspect_renamed" => Self::AspectRenamed,
            "aspect_retired" => Self::AspectRetired,
            "category_added" => Self::CategoryAdded,
            "category_renamed" => Self::CategoryRenamed,
            _ => Self::CategoryRetired,
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
    from: PointObj,
    to: PointObj,
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
    /// Items whose only differences are texts first on record (`FIRST_ON_RECORD`).
    first_on_record: Vec<ItemDiff>,
    structure: Vec<StructureChangeObj>,
    declared_item_count: Option<CountChange>,
}

impl DiffObj {
    pub fn new(view: DiffView) -> Self {
        let items = |list: &[ItemDiffView]| list.iter().map(ItemDiff::new).collect::<Vec<_>>();
        Self {
            from: PointObj(view.from),
            to: PointObj(view.to),
            is_empty: view.is_empty(),
            items: view.items().into_iter().map(ItemDiff::new).collect(),
            added: items(&view.added),
            retired: items(&view.retired),
            merged: items(&view.merged),
            split: items(&view.split),
            changed: items(&view.changed),
            first_on_record: items(&view.first_on_record),
            structure: view
                .structure
                .iter()
                .map(|s| StructureChangeObj {
                    kind: StructureChangeKind::from_name(s.change),
                    id: ID(s.id.clone()),
                    before: s.before.clone(),
                    after: s.after.clone(),
                })
                .collect(),
            declared_item_count: view.declared_item_count.map(|c| CountChange {
                before: c.before,
                after: c.after,
            }),
        }
    }
}

impl ItemDiff {
    fn new(view: &ItemDiffView) -> Self {
        Self {
            item: ID(view.item.to_string()),
            name: view.name.as_known().map(|n| n.to_string()),
            change: ItemChangeKind::from_name(view.change),
            related: view.related.iter().map(|i| ID(i.to_string())).collect(),
            fields: view.fields.iter().cloned().map(FieldChangeObj).collect(),
            placement: placement_change(&view.placement),
        }
    }
}
