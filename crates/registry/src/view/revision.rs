//! Revisions as documents: their status, what they changed, and the
//! citation of the revision behind each field of an item.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use domain::event::RecordedEvent;
use domain::ids::{ItemId, Jurisdiction, RevisionId};
use domain::model::{Known, RevisionInfo, RevisionKind};
use domain::text::Text;
use serde::Serialize;
use timeline::{Edition, RevisionRecord, StandardTimeline};

use super::change::{FieldChangeView, PlacementChange};
use super::{ItemView, RevisionLink};
use crate::query::Point;

/// A revision with its recording and its status on a day.
#[derive(Debug, Clone, Serialize)]
pub struct RevisionView {
    #[serde(flatten)]
    pub info: RevisionInfo,
    pub recorded_at: DateTime<Utc>,
    /// Who recorded the revision; `None` when this copy of the log does not know.
    pub actor: Option<String>,
    pub withdrawn_by: Option<RevisionId>,
    /// Corrections of this revision recorded by the record time asked about.
    pub corrected_by: Vec<RevisionId>,
    /// "in_force", "pending" (future-dated) or "withdrawn", relative to `today`.
    pub status: &'static str,
}

impl RevisionView {
    /// `records`: every revision of the standard as known then, to find corrections.
    pub fn new(record: &RevisionRecord, records: &[RevisionRecord], today: NaiveDate) -> Self {
        Self {
            info: record.info.clone(),
            recorded_at: record.recorded_at,
            actor: super::known_actor(&record.actor),
            withdrawn_by: record.withdrawn_by.clone(),
            corrected_by: records
                .iter()
                .filter(|r| {
                    r.info.kind == RevisionKind::Correction
                        && r.info.target.as_ref() == Some(&record.info.id)
                        && r.withdrawn_by.is_none()
                })
                .map(|r| r.info.id.clone())
                .collect(),
            status: RevisionStatus::on(&record.info, record.withdrawn_by.as_ref(), today).as_str(),
        }
    }
}

/// A revision's status on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevisionStatus {
    InForce,
    /// Recorded, takes effect later.
    Pending,
    Withdrawn,
}

impl RevisionStatus {
    /// The status on `day` of a revision, given the withdrawal known (if any).
    pub fn on(info: &RevisionInfo, withdrawn_by: Option<&RevisionId>, day: NaiveDate) -> Self {
        if withdrawn_by.is_some() {
            RevisionStatus::Withdrawn
        } else if info.effective_from > day {
            RevisionStatus::Pending
        } else {
            RevisionStatus::InForce
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RevisionStatus::InForce => "in_force",
            RevisionStatus::Pending => "pending",
            RevisionStatus::Withdrawn => "withdrawn",
        }
    }
}

/// The revision that made one field of an item what it is.
#[derive(Debug, Clone, Serialize)]
pub struct FieldCitation {
    /// A stored field name: `name`, `service_target`, …
    pub field: &'static str,
    /// `None` when the revision is not among those recorded by the time asked about.
    pub revision: Option<RevisionView>,
}

/// One item at a point, with the citation of each field.
#[derive(Debug, Clone, Serialize)]
pub struct ItemAtPoint {
    pub jurisdiction: Jurisdiction,
    pub item_id: ItemId,
    pub at: Point,
    /// The item as it stood; `None` when it did not exist at that point
    /// (not yet introduced, or no standard in force). A retired item is shown
    /// with `in_force` false.
    pub item: Option<ItemView>,
    pub in_force: bool,
    /// First day of the version of the standard in force at that point.
    pub version_valid_from: Option<NaiveDate>,
    /// The revision behind each field, in the order the fields are printed.
    pub citations: Vec<FieldCitation>,
}

impl ItemAtPoint {
    pub(crate) fn new(
        jurisdiction: &Jurisdiction,
        id: &ItemId,
        at: Point,
        edition: &Edition,
        records: &[RevisionRecord],
        today: NaiveDate,
    ) -> Self {
        let version = edition.version.as_ref();
        let item = version.and_then(|v| {
            v.snapshot
                .items
                .get(id)
                .map(|i| ItemView::new(i, &v.snapshot))
        });
        let cite = |revision: &RevisionId| {
            records
                .iter()
                .find(|r| &r.info.id == revision)
                .map(|r| RevisionView::new(r, records, today))
        };
        let citations = item.as_ref().map_or_else(Vec::new, |view| {
            view.cited_revisions()
                .map(|(field, revision)| FieldCitation {
                    field,
                    revision: cite(revision),
                })
                .collect()
        });
        Self {
            jurisdiction: jurisdiction.clone(),
            item_id: id.clone(),
            at,
            in_force: item.as_ref().is_some_and(|i| i.item.is_active()),
            item,
            version_valid_from: version.map(|v| v.valid_from),
            citations,
        }
    }
}

/// What one event of a revision did to one item.
#[derive(Debug, Clone, Serialize)]
pub struct RevisionEffect {
    pub item: ItemId,
    /// The item's name after the change (before it, for a retirement).
    pub name: Known<Text>,
    pub event_type: &'static str,
    pub changes: Vec<FieldChangeView>,
    pub placement: Option<PlacementChange>,
    pub retired: bool,
}

/// A revision and its effects table: every item it touched, before and after.
#[derive(Debug, Clone, Serialize)]
pub struct RevisionDetail {
    pub jurisdiction: Jurisdiction,
    #[serde(flatten)]
    pub revision: RevisionView,
    pub known_at: Option<DateTime<Utc>>,
    pub event_count: usize,
    pub effects: Vec<RevisionEffect>,
}

impl RevisionDetail {
    pub(crate) fn new(
        standard: &StandardTimeline,
        record: &RevisionRecord,
        records: &[RevisionRecord],
        known_at: Option<DateTime<Utc>>,
        today: NaiveDate,
    ) -> Self {
        let id = &record.info.id;
        let events: Vec<&RecordedEvent> = standard
            .events_known(known_at)
            .iter()
            .filter(|e| &e.context.revision == id)
            .collect();
        let touched: BTreeSet<ItemId> = events
            .iter()
            .flat_map(|e| e.event.items_touched())
            .cloned()
            .collect();
        let mut effects = Vec::new();
        for item in &touched {
            let Some(history) = standard.history(item, known_at) else {
                continue;
            };
            let name = history
                .latest
                .as_ref()
                .map(|i| i.name.clone())
                .unwrap_or_default();
            effects.extend(
                history
                    .entries
                    .iter()
                    .filter(|e| &e.event.context.revision == id)
                    .map(|e| RevisionEffect {
                        item: item.clone(),
                        name: name.clone(),
                        event_type: e.event.event.type_name(),
                        changes: e.changes.iter().map(FieldChangeView::new).collect(),
                        placement: e
                            .placement
                            .clone()
                            .map(|(before, after)| PlacementChange { before, after }),
                        retired: e.retired,
                    }),
            );
        }
        Self {
            jurisdiction: standard.jurisdiction().clone(),
            revision: RevisionView::new(record, records, today),
            known_at,
            event_count: events.len(),
            effects,
        }
    }
}

/// A standard on record, for an overview of all of them.
#[derive(Debug, Clone, Serialize)]
pub struct StandardSummary {
    pub jurisdiction: Jurisdiction,
    /// The version in force on the day asked about: since when, by which revisions.
    pub in_force_since: Option<NaiveDate>,
    pub in_force_revisions: Vec<RevisionLink>,
    pub item_count: usize,
    pub declared_item_count: Option<u32>,
    pub revision_count: usize,
    /// The revision recorded last.
    pub latest_revision: Option<RevisionView>,
    /// Recorded, not withdrawn, taking effect after the day asked about.
    pub pending: Vec<RevisionView>,
    pub stream_version: u64,
}

impl StandardSummary {
    pub(crate) fn new(
        standard: &StandardTimeline,
        today: NaiveDate,
        known_at: Option<DateTime<Utc>>,
    ) -> Self {
        let edition = super::EditionView::new(&standard.edition(today, known_at));
        let records = standard.revisions(known_at);
        Self {
            jurisdiction: standard.jurisdiction().clone(),
            in_force_since: edition.version_valid_from,
            in_force_revisions: edition.version_revisions,
            item_count: edition.item_count,
            declared_item_count: edition.declared_item_count,
            revision_count: records.len(),
            latest_revision: records
                .last()
                .map(|r| RevisionView::new(r, &records, today)),
            pending: standard
                .pending(today, known_at)
                .iter()
                .map(|r| RevisionView::new(r, &records, today))
                .collect(),
            stream_version: standard.events_known(known_at).len() as u64,
        }
    }
}
