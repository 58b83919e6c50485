//! What readers see: editions, items with their citations, versions,
//! revisions, histories and diffs as plain serialisable values. The query
//! layer (`crate::query`) builds them; every front end renders them as they
//! are, in the order they come: the ordering rules live here and nowhere else.

use std::cmp::Ordering;
use std::sync::Arc;

use domain::ids::RevisionId;
use domain::model::RevisionInfo;
use domain::state::{ItemState, Snapshot};
use serde::Serialize;

mod change;
mod edition;
mod revision;

pub use change::{
    CountChange, DiffView, EventView, FieldChangeView, HistoryEntryView, HistoryView, ItemDiffView,
    LineageView, PlacementChange, StructureView,
};
pub use edition::{AspectView, CategoryView, EditionView, VersionView, active_items};
pub use revision::{
    FieldCitation, ItemAtPoint, RevisionDetail, RevisionEffect, RevisionStatus, RevisionView,
    StandardSummary,
};

/// The actor as a view shows it: the codec leaves it empty when this copy of
/// the log does not know it (an event of schema version 3 without its sealed
/// bytes), and no front end may print that as if it were a name.
pub fn known_actor(actor: &str) -> Option<String> {
    (!actor.is_empty()).then(|| actor.to_owned())
}

/// The fields an item's citation covers, in printed order.
const CITED_FIELDS: [&str; 7] = [
    "name",
    "name_en",
    "service_target",
    "service_content",
    "service_standard",
    "expenditure_responsibility",
    "lead_units",
];

/// The one display order of items: by printed number, items whose number is
/// not on record last, then by id so that the order never depends on a map.
pub fn item_order(a: &ItemState, b: &ItemState) -> Ordering {
    let number = |i: &ItemState| i.placement.number.as_known().copied();
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
    .then_with(|| a.id.cmp(&b.id))
}

/// A revision an item or version cites: its reference when the state holds the
/// revision, its id alone otherwise. Shares the state's `RevisionInfo`, so an
/// edition's ~80 citations copy nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionLink {
    pub id: RevisionId,
    pub info: Option<Arc<RevisionInfo>>,
}

impl RevisionLink {
    pub fn lookup(snapshot: &Snapshot, id: &RevisionId) -> Self {
        Self {
            id: id.clone(),
            info: snapshot.revisions.get(id).cloned(),
        }
    }

    /// The revision's title; empty when the state does not hold the revision.
    pub fn title(&self) -> &str {
        self.info.as_ref().map_or("", |info| info.title.as_str())
    }
}

impl Serialize for RevisionLink {
    // The fields of `RevisionRef` in name order: the stored JSON of views keeps that order.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let Some(info) = &self.info else {
            let mut map = serializer.serialize_map(Some(1))?;
            map.serialize_entry("id", &self.id)?;
            return map.end();
        };
        let mut map = serializer.serialize_map(Some(5))?;
        map.serialize_entry("document_no", &info.document_no)?;
        map.serialize_entry("effective_from", &info.effective_from)?;
        map.serialize_entry("id", &info.id)?;
        map.serialize_entry("kind", &info.kind)?;
        map.serialize_entry("title", &info.title)?;
        map.end()
    }
}

/// One item as it stands at a point, with the revision that last changed it.
///
/// Shares the item state and the snapshot rather than copying: an edition's
/// view is ~80 of these, built for every query. Its JSON holds the item's
/// fields (`id`, `category`, `number`, `name`, `name_en`, the five fields,
/// `national_item` and `beyond_national_scope` when present) and
/// `last_changed_by`.
#[derive(Debug, Clone)]
pub struct ItemView {
    pub item: Arc<ItemState>,
    pub last_changed_by: RevisionLink,
    snapshot: Arc<Snapshot>,
}

impl ItemView {
    pub fn new(item: &Arc<ItemState>, snapshot: &Arc<Snapshot>) -> Self {
        Self {
            item: Arc::clone(item),
            last_changed_by: RevisionLink::lookup(snapshot, &item.last_changed_by),
            snapshot: Arc::clone(snapshot),
        }
    }

    /// The category the item sits in, with its items, when it is in force at this point.
    pub fn category(&self) -> Option<CategoryView> {
        let id = self.item.placement.category.as_known()?;
        let category = self
            .snapshot
            .categories
            .get(id)
            .filter(|c| c.status == domain::state::Status::Active)?;
        Some(CategoryView::new(category, &self.snapshot))
    }

    /// The revision behind each field, in printed order: the one that last
    /// amended it, else the one that introduced the item.
    pub fn cited_revisions(&self) -> impl Iterator<Item = (&'static str, &RevisionId)> {
        CITED_FIELDS.iter().map(|field| {
            (
                *field,
                self.item
                    .amended_by
                    .get(field)
                    .unwrap_or(&self.item.introduced_by),
            )
        })
    }

    /// A revision of the standard at this point, when the state holds it.
    pub fn revision(&self, id: &RevisionId) -> RevisionLink {
        RevisionLink::lookup(&self.snapshot, id)
    }
}

impl Serialize for ItemView {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let item = &self.item;
        let fields = &item.fields;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", &item.id)?;
        map.serialize_entry("category", &item.placement.category)?;
        map.serialize_entry("number", &item.placement.number)?;
        map.serialize_entry("name", &item.name)?;
        map.serialize_entry("name_en", &item.name_en)?;
        map.serialize_entry("service_target", &fields.service_target)?;
        map.serialize_entry("service_content", &fields.service_content)?;
        map.serialize_entry("service_standard", &fields.service_standard)?;
        map.serialize_entry(
            "expenditure_responsibility",
            &fields.expenditure_responsibility,
        )?;
        map.serialize_entry("lead_units", &fields.lead_units)?;
        if let Some(national) = &item.national_item {
            map.serialize_entry("national_item", national)?;
        }
        // Present for local items beyond national scope: the assessment reference (null: none on record).
        if let Some(assessment) = &item.beyond_national_scope {
            map.serialize_entry("beyond_national_scope", assessment)?;
        }
        map.serialize_entry("last_changed_by", &self.last_changed_by)?;
        map.end()
    }
}
