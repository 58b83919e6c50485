//! What readers see: the editions, versions, histories and diffs as plain
//! serialisable values, shared by the command line's JSON output and tests.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use domain::event::{FieldChange, RecordedEvent};
use domain::ids::{ItemId, RevisionId};
use domain::model::{Known, Placement, RevisionInfo, RevisionKind};
use domain::state::{ItemState, Snapshot, Status};
use domain::text::Text;
use serde::Serialize;
use timeline::{Diff, Edition, ItemChange, ItemHistory, RevisionRecord, StandardTimeline, Version};

#[derive(Debug, Clone, Serialize)]
pub struct RevisionRef {
    pub id: RevisionId,
    pub kind: RevisionKind,
    pub title: String,
    pub document_no: Known<String>,
    pub effective_from: NaiveDate,
}

impl RevisionRef {
    pub fn new(info: &RevisionInfo) -> Self {
        Self {
            id: info.id.clone(),
            kind: info.kind,
            title: info.title.clone(),
            document_no: info.document_no.clone(),
            effective_from: info.effective_from,
        }
    }
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
/// Shares the item state of the snapshot rather than copying its fields: an
/// edition's view is ~80 of these, built for every query. Its JSON holds the
/// item's fields (`id`, `category`, `number`, `name`, `name_en`, the five
/// fields, `national_item` and `beyond_national_scope` when present) and
/// `last_changed_by`.
#[derive(Debug, Clone)]
pub struct ItemView {
    pub item: Arc<ItemState>,
    pub last_changed_by: RevisionLink,
}

impl ItemView {
    pub fn new(item: &Arc<ItemState>, snapshot: &Snapshot) -> Self {
        Self {
            item: Arc::clone(item),
            last_changed_by: RevisionLink::lookup(snapshot, &item.last_changed_by),
        }
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

#[derive(Debug, Clone, Serialize)]
pub struct CategoryView {
    pub id: String,
    pub number: u32,
    pub name: String,
    pub name_en: Option<String>,
    pub items: Vec<ItemView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AspectView {
    pub id: String,
    pub order: u32,
    pub name: String,
    pub name_en: Option<String>,
    pub categories: Vec<CategoryView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EditionView {
    pub jurisdiction: String,
    pub valid_at: NaiveDate,
    /// `null`: as the registry stands now.
    pub known_at: Option<DateTime<Utc>>,
    /// False when no revision was in force at that point (as known then).
    pub in_force: bool,
    pub declared_item_count: Option<u32>,
    pub item_count: usize,
    /// The version in force: since when, and by which revisions.
    pub version_valid_from: Option<NaiveDate>,
    pub aspects: Vec<AspectView>,
    /// Items no source places in a category.
    pub unplaced_items: Vec<ItemView>,
}

/// Active items of a snapshot in display order: category number, then item number.
pub fn active_items(snapshot: &Snapshot) -> Vec<&Arc<ItemState>> {
    let mut items: Vec<&Arc<ItemState>> =
        snapshot.items.values().filter(|i| i.is_active()).collect();
    // By reference: a key closure would clone every id at every comparison.
    let number = |i: &ItemState| i.placement.number.as_known().copied().unwrap_or(u32::MAX);
    items.sort_by(|a, b| (number(a), &a.id).cmp(&(number(b), &b.id)));
    items
}

impl EditionView {
    pub fn new(edition: &Edition) -> Self {
        let empty = Snapshot::default();
        let snapshot = edition.snapshot().unwrap_or(&empty);
        let items = active_items(snapshot);
        let mut aspects: Vec<AspectView> = snapshot
            .aspects
            .values()
            .filter(|a| a.status == Status::Active)
            .map(|a| AspectView {
                id: a.id.to_string(),
                order: a.order,
                name: a.name.clone(),
                name_en: a.name_en.clone(),
                categories: {
                    let mut categories: Vec<CategoryView> = snapshot
                        .categories
                        .values()
                        .filter(|c| c.aspect == a.id && c.status == Status::Active)
                        .map(|c| CategoryView {
                            id: c.id.to_string(),
                            number: c.number,
                            name: c.name.clone(),
                            name_en: c.name_en.clone(),
                            items: items
                                .iter()
                                .filter(|i| i.placement.category.as_known() == Some(&c.id))
                                .map(|i| ItemView::new(i, snapshot))
                                .collect(),
                        })
                        .collect();
                    categories.sort_by_key(|c| c.number);
                    categories
                },
            })
            .collect();
        aspects.sort_by_key(|a| a.order);
        let placed = |i: &&&Arc<ItemState>| {
            i.placement.category.as_known().is_some_and(|c| {
                snapshot
                    .categories
                    .get(c)
                    .is_some_and(|c| c.status == Status::Active)
            })
        };
        Self {
            jurisdiction: edition.jurisdiction.to_string(),
            valid_at: edition.valid_at,
            known_at: edition.known_at,
            in_force: edition.version.is_some(),
            declared_item_count: snapshot.declared_item_count,
            item_count: items.len(),
            version_valid_from: edition.version.as_ref().map(|v| v.valid_from),
            aspects,
            unplaced_items: items
                .iter()
                .filter(|i| !placed(i))
                .map(|i| ItemView::new(i, snapshot))
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct VersionView {
    pub valid_from: NaiveDate,
    pub revisions: Vec<RevisionLink>,
    pub item_count: usize,
}

impl VersionView {
    pub fn new(version: &Version) -> Self {
        Self {
            valid_from: version.valid_from,
            revisions: version
                .revisions
                .iter()
                .map(|r| RevisionLink::lookup(&version.snapshot, r))
                .collect(),
            item_count: active_items(&version.snapshot).len(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RevisionView {
    #[serde(flatten)]
    pub info: RevisionInfo,
    pub recorded_at: DateTime<Utc>,
    pub actor: String,
    pub withdrawn_by: Option<RevisionId>,
    /// "in_force", "pending" (future-dated) or "withdrawn", relative to `today`.
    pub status: &'static str,
}

impl RevisionView {
    pub fn new(record: &RevisionRecord, today: NaiveDate) -> Self {
        Self {
            info: record.info.clone(),
            recorded_at: record.recorded_at,
            actor: record.actor.clone(),
            withdrawn_by: record.withdrawn_by.clone(),
            status: if record.withdrawn_by.is_some() {
                "withdrawn"
            } else if record.info.effective_from > today {
                "pending"
            } else {
                "in_force"
            },
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub event_id: uuid::Uuid,
    pub global_position: u64,
    pub recorded_at: DateTime<Utc>,
    pub revision: RevisionId,
    pub effective_from: NaiveDate,
    pub actor: String,
    pub reason: String,
    pub event_type: &'static str,
}

impl EventView {
    pub fn new(event: &RecordedEvent) -> Self {
        Self {
            event_id: event.event_id,
            global_position: event.global_position,
            recorded_at: event.recorded_at,
            revision: event.context.revision.clone(),
            effective_from: event.context.effective_from,
            actor: event.context.actor.clone(),
            reason: event.context.reason.clone(),
            event_type: event.event.type_name(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntryView {
    #[serde(flatten)]
    pub event: EventView,
    pub changes: Vec<FieldChange>,
    pub placement: Option<(Placement, Placement)>,
    pub retired: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct LineageView {
    pub relation: &'static str,
    pub item: ItemId,
    pub depth: u32,
    pub event_type: &'static str,
    pub revision: RevisionId,
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryView {
    pub jurisdiction: String,
    pub item: ItemId,
    pub entries: Vec<HistoryEntryView>,
    pub lineage: Vec<LineageView>,
}

impl HistoryView {
    pub fn new(standard: &StandardTimeline, history: &ItemHistory) -> Self {
        Self {
            jurisdiction: standard.jurisdiction().to_string(),
            item: history.item.clone(),
            entries: history
                .entries
                .iter()
                .map(|e| HistoryEntryView {
                    event: EventView::new(&e.event),
                    changes: e.changes.clone(),
                    placement: e.placement.clone(),
                    retired: e.retired,
                })
                .collect(),
            lineage: history
                .lineage
                .iter()
                .map(|l| LineageView {
                    relation: match l.relation {
                        timeline::LineageRelation::Predecessor => "predecessor",
                        timeline::LineageRelation::Successor => "successor",
                    },
                    item: l.item.clone(),
                    depth: l.depth,
                    event_type: l.event_type,
                    revision: l.revision.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemDiffView {
    pub item: ItemId,
    pub name: Known<Text>,
    pub change: &'static str,
    /// Items on the other side of a merge or split.
    pub related: Vec<ItemId>,
    pub fields: Vec<FieldChange>,
    pub placement: Option<(Placement, Placement)>,
}

/// A change in the tree of aspects and categories.
#[derive(Debug, Clone, Serialize)]
pub struct StructureView {
    /// `aspect_added`, `aspect_renamed`, `aspect_retired`, `category_added`, …
    pub change: &'static str,
    /// The aspect or category.
    pub id: String,
    /// For a rename: the names before and after.
    pub before: Option<String>,
    pub after: Option<String>,
}

impl StructureView {
    pub fn new(change: &timeline::StructureChange) -> Self {
        let (kind, id, rename) = change.parts();
        Self {
            change: kind.as_str(),
            id: id.to_owned(),
            before: rename.map(|(before, _)| before.to_owned()),
            after: rename.map(|(_, after)| after.to_owned()),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DiffView {
    pub added: Vec<ItemDiffView>,
    pub retired: Vec<ItemDiffView>,
    pub merged: Vec<ItemDiffView>,
    pub split: Vec<ItemDiffView>,
    pub changed: Vec<ItemDiffView>,
    pub structure: Vec<StructureView>,
    pub declared_item_count: Option<(Option<u32>, Option<u32>)>,
}

impl DiffView {
    pub fn new(diff: &Diff, from: Option<&Snapshot>, to: Option<&Snapshot>) -> Self {
        let mut view = DiffView {
            added: Vec::new(),
            retired: Vec::new(),
            merged: Vec::new(),
            split: Vec::new(),
            changed: Vec::new(),
            structure: diff.structure.iter().map(StructureView::new).collect(),
            declared_item_count: diff.declared_item_count,
        };
        for item in &diff.items {
            let name = to
                .and_then(|s| s.items.get(&item.item))
                .or_else(|| from.and_then(|s| s.items.get(&item.item)))
                .map(|i| i.name.clone())
                .unwrap_or_default();
            let (change, related, bucket) = match &item.change {
                ItemChange::Added => ("added", vec![], &mut view.added),
                ItemChange::Retired => ("retired", vec![], &mut view.retired),
                ItemChange::MergedInto(to) => ("merged_into", vec![to.clone()], &mut view.merged),
                ItemChange::MergedFrom(from) => ("merged_from", from.clone(), &mut view.merged),
                ItemChange::SplitInto(to) => ("split_into", to.clone(), &mut view.split),
                ItemChange::SplitFrom(from) => ("split_from", vec![from.clone()], &mut view.split),
                ItemChange::Changed => ("changed", vec![], &mut view.changed),
            };
            bucket.push(ItemDiffView {
                item: item.item.clone(),
                name,
                change,
                related,
                fields: item.fields.clone(),
                placement: item.placement.clone(),
            });
        }
        view
    }
}
