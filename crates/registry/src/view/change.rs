//! What changed: an item's history and lineage, and the diff between two points.

use chrono::{DateTime, NaiveDate, Utc};
use domain::event::{ChangeKind, FieldChange, RecordedEvent};
use domain::ids::{ItemId, RevisionId};
use domain::model::{Known, Placement};
use domain::state::Snapshot;
use domain::text::Text;
use serde::Serialize;
use timeline::{Diff, ItemChange, ItemHistory, StandardTimeline};

use crate::query::Point;

#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub event_id: uuid::Uuid,
    pub global_position: u64,
    pub recorded_at: DateTime<Utc>,
    pub revision: RevisionId,
    pub effective_from: NaiveDate,
    /// Who recorded the event; `None` when this copy of the log does not
    /// know (a mirror or export without the sealed bytes).
    pub actor: Option<String>,
    pub reason: Text,
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
            actor: super::known_actor(&event.context.actor),
            reason: event.context.reason.clone(),
            event_type: event.event.type_name(),
        }
    }
}

/// One field's change, with whether a text changed or a gap in the record was filled.
#[derive(Debug, Clone, Serialize)]
pub struct FieldChangeView {
    /// `field`, `before` and `after` as stored.
    #[serde(flatten)]
    pub change: FieldChange,
    /// `changed`, `first_on_record`, `no_longer_on_record` or `changed_not_on_record`.
    #[serde(rename = "change", serialize_with = "kind_name")]
    pub kind: ChangeKind,
}

fn kind_name<S: serde::Serializer>(kind: &ChangeKind, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(kind.as_str())
}

impl FieldChangeView {
    pub fn new(change: &FieldChange) -> Self {
        Self {
            kind: change.kind(),
            change: change.clone(),
        }
    }

    fn all(changes: &[FieldChange]) -> Vec<Self> {
        changes.iter().map(Self::new).collect()
    }
}

/// A renumbering or move: where the item sat before and after.
#[derive(Debug, Clone, Serialize)]
pub struct PlacementChange {
    pub before: Placement,
    pub after: Placement,
}

impl PlacementChange {
    fn new(placement: &Option<(Placement, Placement)>) -> Option<Self> {
        placement.as_ref().map(|(before, after)| Self {
            before: before.clone(),
            after: after.clone(),
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntryView {
    #[serde(flatten)]
    pub event: EventView,
    pub changes: Vec<FieldChangeView>,
    pub placement: Option<PlacementChange>,
    pub retired: bool,
    /// The whole event, for front ends that show more than the summary.
    #[serde(skip)]
    pub recorded: RecordedEvent,
}

#[derive(Debug, Clone, Serialize)]
pub struct LineageView {
    /// `predecessor` or `successor`.
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
                    changes: FieldChangeView::all(&e.changes),
                    placement: PlacementChange::new(&e.placement),
                    retired: e.retired,
                    recorded: e.event.clone(),
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
    /// `added`, `retired`, `merged_into`, `merged_from`, `split_into`,
    /// `split_from`, `changed`, or `first_on_record` (every difference is text
    /// that was not on record before: a gap in the sources, not a change).
    pub change: &'static str,
    /// Items on the other side of a merge or split.
    pub related: Vec<ItemId>,
    pub fields: Vec<FieldChangeView>,
    pub placement: Option<PlacementChange>,
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

/// A change of the declared item count; `None`: the document does not state one.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CountChange {
    pub before: Option<u32>,
    pub after: Option<u32>,
}

/// Differences between a standard at two points; a side where no standard
/// was in force counts as empty. Items in id order within each list.
#[derive(Debug, Clone, Serialize)]
pub struct DiffView {
    pub from: Point,
    pub to: Point,
    pub added: Vec<ItemDiffView>,
    pub retired: Vec<ItemDiffView>,
    pub merged: Vec<ItemDiffView>,
    pub split: Vec<ItemDiffView>,
    pub changed: Vec<ItemDiffView>,
    /// Items whose only differences are texts first on record.
    pub first_on_record: Vec<ItemDiffView>,
    pub structure: Vec<StructureView>,
    pub declared_item_count: Option<CountChange>,
}

impl DiffView {
    pub fn new(
        diff: &Diff,
        from: Point,
        to: Point,
        a: Option<&Snapshot>,
        b: Option<&Snapshot>,
    ) -> Self {
        let mut view = DiffView {
            from,
            to,
            added: Vec::new(),
            retired: Vec::new(),
            merged: Vec::new(),
            split: Vec::new(),
            changed: Vec::new(),
            first_on_record: Vec::new(),
            structure: diff.structure.iter().map(StructureView::new).collect(),
            declared_item_count: diff
                .declared_item_count
                .map(|(before, after)| CountChange { before, after }),
        };
        for item in &diff.items {
            let name = b
                .and_then(|s| s.items.get(&item.item))
                .or_else(|| a.and_then(|s| s.items.get(&item.item)))
                .map(|i| i.name.clone())
                .unwrap_or_default();
            let only_gaps_filled = item.placement.is_none()
                && !item.fields.is_empty()
                && item
                    .fields
                    .iter()
                    .all(|f| f.kind() == ChangeKind::FirstOnRecord);
            let (change, related, bucket) = match &item.change {
                ItemChange::Added => ("added", vec![], &mut view.added),
                ItemChange::Retired => ("retired", vec![], &mut view.retired),
                ItemChange::MergedInto(to) => ("merged_into", vec![to.clone()], &mut view.merged),
                ItemChange::MergedFrom(from) => ("merged_from", from.clone(), &mut view.merged),
                ItemChange::SplitInto(to) => ("split_into", to.clone(), &mut view.split),
                ItemChange::SplitFrom(from) => ("split_from", vec![from.clone()], &mut view.split),
                ItemChange::Changed if only_gaps_filled => {
                    ("first_on_record", vec![], &mut view.first_on_record)
                }
                ItemChange::Changed => ("changed", vec![], &mut view.changed),
            };
            bucket.push(ItemDiffView {
                item: item.item.clone(),
                name,
                change,
                related,
                fields: FieldChangeView::all(&item.fields),
                placement: PlacementChange::new(&item.placement),
            });
        }
        view
    }

    /// Every item that differs, in id order.
    pub fn items(&self) -> Vec<&ItemDiffView> {
        let mut items: Vec<&ItemDiffView> = self
            .added
            .iter()
            .chain(&self.retired)
            .chain(&self.merged)
            .chain(&self.split)
            .chain(&self.changed)
            .chain(&self.first_on_record)
            .collect();
        items.sort_by(|a, b| a.item.cmp(&b.item));
        items
    }

    pub fn is_empty(&self) -> bool {
        self.structure.is_empty() && self.declared_item_count.is_none() && self.items().is_empty()
    }
}
