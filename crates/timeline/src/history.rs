//! History and lineage of one item.

use std::collections::{BTreeSet, VecDeque};

use chrono::{DateTime, Utc};
use domain::event::{Event, FieldChange, RecordedEvent};
use domain::ids::{ItemId, RevisionId};
use domain::model::Placement;
use domain::state::{ItemState, Snapshot, Status, apply};

use crate::StandardTimeline;

/// Most items a lineage walk visits; lineages in real standards have a handful.
const LINEAGE_ITEMS_MAX: usize = 1_000;

/// One change to an item, with the event that made it and the field values around it.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub event: RecordedEvent,
    /// Field-level before/after, computed from the fold (not copied from the event).
    pub changes: Vec<FieldChange>,
    /// Set when the event renumbered or moved the item.
    pub placement: Option<(Placement, Placement)>,
    /// Set when the event retired the item.
    pub retired: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineageRelation {
    /// The linked item became (part of) this one.
    Predecessor,
    /// This item became (part of) the linked one.
    Successor,
}

/// One link in an item's lineage, found through a merge or split.
#[derive(Debug, Clone, PartialEq)]
pub struct LineageLink {
    pub relation: LineageRelation,
    pub item: ItemId,
    /// Distance from the item asked about (1 = direct).
    pub depth: u32,
    pub event_type: &'static str,
    pub revision: RevisionId,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ItemHistory {
    pub item: ItemId,
    /// In fold order: effective date, then log order.
    pub entries: Vec<HistoryEntry>,
    pub lineage: Vec<LineageLink>,
    /// The item as it last stood (as known at the record time asked about).
    pub latest: Option<ItemState>,
}

impl StandardTimeline {
    /// Every change to `item` in force as the registry stood at `known_at`.
    pub fn history(&self, item: &ItemId, known_at: Option<DateTime<Utc>>) -> Option<ItemHistory> {
        let ordered = self.in_force_events(None, known_at);
        let mut state = Snapshot::default();
        let mut entries = Vec::new();
        for event in &ordered {
            let touches = event.event.items_touched().contains(&item);
            let before = touches.then(|| state.items.get(item).cloned()).flatten();
            if apply(&mut state, &event.context, &event.event).is_err() || !touches {
                continue;
            }
            let after = state.items.get(item).cloned();
            entries.push(entry(event, before.as_deref(), after.as_deref()));
        }
        let latest = state.items.get(item).map(|i| i.as_ref().clone())?;
        Some(ItemHistory {
            item: item.clone(),
            entries,
            lineage: lineage(item, &ordered),
            latest: Some(latest),
        })
    }
}

fn entry(
    event: &RecordedEvent,
    before: Option<&ItemState>,
    after: Option<&ItemState>,
) -> HistoryEntry {
    let changes = match (before, after) {
        (Some(b), Some(a)) => field_diff(b, a),
        (None, Some(a)) => field_diff(&blank(a), a),
        _ => Vec::new(),
    };
    let placement = match (before, after) {
        (Some(b), Some(a)) if b.placement != a.placement => {
            Some((b.placement.clone(), a.placement.clone()))
        }
        _ => None,
    };
    HistoryEntry {
        event: event.clone(),
        changes,
        placement,
        retired: before.is_some_and(|b| b.status == Status::Active)
            && after.is_some_and(|a| a.status == Status::Retired),
    }
}

/// The item with every field unknown: what an introduction changes from.
fn blank(item: &ItemState) -> ItemState {
    let mut blank = item.clone();
    blank.name = Default::default();
    blank.name_en = Default::default();
    blank.fields = Default::default();
    blank
}

/// Field-level differences between two states of one item. A field amended in
/// between counts even when both values are *not on record*: the text changed,
/// and which text it became is what is not on record.
pub fn field_diff(before: &ItemState, after: &ItemState) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let amended = |name: &str| before.amended_by.get(name) != after.amended_by.get(name);
    macro_rules! diff {
        ($b:expr, $a:expr, $variant:ident, $name:literal) => {
            if $b != $a || amended($name) {
                out.push(FieldChange::$variant {
                    before: $b.clone(),
                    after: $a.clone(),
                });
            }
        };
    }
    diff!(before.name, after.name, Name, "name");
    diff!(before.name_en, after.name_en, NameEn, "name_en");
    let (b, a) = (&before.fields, &after.fields);
    diff!(
        b.service_target,
        a.service_target,
        ServiceTarget,
        "service_target"
    );
    diff!(
        b.service_content,
        a.service_content,
        ServiceContent,
        "service_content"
    );
    diff!(
        b.service_standard,
        a.service_standard,
        ServiceStandard,
        "service_standard"
    );
    diff!(
        b.expenditure_responsibility,
        a.expenditure_responsibility,
        ExpenditureResponsibility,
        "expenditure_responsibility"
    );
    diff!(b.lead_units, a.lead_units, LeadUnits, "lead_units");
    out
}

/// Predecessors and successors through merges and splits, nearest first.
fn lineage(item: &ItemId, ordered: &[&RecordedEvent]) -> Vec<LineageLink> {
    // Edges (from → to) with the event that made them.
    let mut edges: Vec<(&ItemId, &ItemId, &RecordedEvent)> = Vec::new();
    for event in ordered {
        match &event.event {
            Event::ItemsMerged { from, into } => edges.extend(
                from.iter()
                    .filter(|f| *f != into)
                    .map(|f| (f, into, *event)),
            ),
            Event::ItemSplit { from, into } => edges.extend(into.iter().map(|t| (from, t, *event))),
            _ => {}
        }
    }
    let mut links = Vec::new();
    for relation in [LineageRelation::Predecessor, LineageRelation::Successor] {
        let mut seen: BTreeSet<&ItemId> = BTreeSet::from([item]);
        let mut queue: VecDeque<(&ItemId, u32)> = VecDeque::from([(item, 0)]);
        while let Some((current, depth)) = queue.pop_front() {
            if seen.len() > LINEAGE_ITEMS_MAX {
                break;
            }
            for (from, to, event) in &edges {
                let next = match relation {
                    LineageRelation::Predecessor if *to == current => *from,
                    LineageRelation::Successor if *from == current => *to,
                    _ => continue,
                };
                if seen.insert(next) {
                    links.push(LineageLink {
                        relation,
                        item: next.clone(),
                        depth: depth + 1,
                        event_type: event.event.type_name(),
                        revision: event.context.revision.clone(),
                    });
                    queue.push_back((next, depth + 1));
                }
            }
        }
    }
    links
}
