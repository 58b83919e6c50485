//! Synthetic standards for the compliance tests, recorded through `decide` into a `Timeline`.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::command::{Change, LocalItem, PublishRevision, RevisionContent, WholeStandard};
use domain::event::RecordedEvent;
use domain::ids::Jurisdiction;
use domain::model::{ItemFields, ItemSpec, Known, Placement, RevisionInfo, RevisionKind};
use domain::text::Text;
use domain::{CommandContext, decide};
pub use fixtures::{d, entries, iid, j, merge_new as merge, rid, set_standard, standard};
use timeline::Timeline;
use uuid::Uuid;

/// An item with a name and (optionally) a service standard; other fields not on record.
pub fn item(id: &str, text: Option<&str>) -> ItemSpec {
    ItemSpec {
        id: iid(id),
        placement: Placement {
            category: Known::Unknown,
            number: Known::Unknown,
        },
        name: Known::Known(format!("{id} name").into()),
        name_en: Known::Unknown,
        fields: ItemFields {
            service_standard: text.map_or(Known::Unknown, standard),
            ..ItemFields::default()
        },
        national_item: None,
    }
}

/// A local item implementing national item `national`.
pub fn mapped(id: &str, national: &str, text: Option<&str>) -> ItemSpec {
    ItemSpec {
        national_item: Some(iid(national)),
        ..item(id, text)
    }
}

pub fn beyond(id: &str, assessment: Option<&str>) -> LocalItem {
    LocalItem {
        item: item(id, None),
        assessment: Known::from(assessment.map(Text::from)),
    }
}

fn info(
    jurisdiction: &str,
    id: &str,
    kind: RevisionKind,
    issued: Option<&str>,
    effective: &str,
) -> RevisionInfo {
    RevisionInfo {
        issued_on: Known::from(issued.map(d)),
        ..fixtures::info(id, kind, jurisdiction, effective)
    }
}

/// The founding national edition, issued and effective on `effective`.
pub fn national(id: &str, effective: &str, items: Vec<ItemSpec>) -> PublishRevision {
    let mut revision = info(
        "CN",
        id,
        RevisionKind::ComprehensiveRevision,
        Some(effective),
        effective,
    );
    revision.declared_item_count = Some(items.len() as u32);
    PublishRevision {
        revision,
        content: RevisionContent::Whole(WholeStandard {
            items,
            ..WholeStandard::default()
        }),
    }
}

/// A local implementation standard. `declared` is the item count it declares
/// (`None`: not on record, so the record is incomplete).
pub struct Local<'a> {
    pub jurisdiction: &'a str,
    pub id: &'a str,
    pub implements: &'a str,
    pub issued: Option<&'a str>,
    pub effective: &'a str,
    pub declared: Option<u32>,
    pub items: Vec<ItemSpec>,
    pub local_items: Vec<LocalItem>,
}

impl Local<'_> {
    pub fn command(self) -> PublishRevision {
        let mut revision = info(
            self.jurisdiction,
            self.id,
            RevisionKind::LocalImplementation,
            self.issued,
            self.effective,
        );
        revision.implements = Some(rid(self.implements));
        revision.declared_item_count = self.declared;
        PublishRevision {
            revision,
            content: RevisionContent::Whole(WholeStandard {
                items: self.items,
                local_items: self.local_items,
                ..WholeStandard::default()
            }),
        }
    }
}

pub fn adjustment(
    jurisdiction: &str,
    id: &str,
    issued: Option<&str>,
    effective: &str,
    list: Vec<Change>,
) -> PublishRevision {
    PublishRevision {
        revision: info(
            jurisdiction,
            id,
            RevisionKind::Adjustment,
            issued,
            effective,
        ),
        content: entries(list),
    }
}

pub fn correction(
    jurisdiction: &str,
    id: &str,
    target: &str,
    effective: &str,
    list: Vec<Change>,
) -> PublishRevision {
    let mut revision = info(jurisdiction, id, RevisionKind::Correction, None, effective);
    revision.target = Some(rid(target));
    PublishRevision {
        revision,
        content: entries(list),
    }
}

/// Record time of the `n`-th append: one hour apart from 2025-01-01.
pub fn recorded(n: usize) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap() + Duration::hours(n as i64)
}

/// Records commands in order, one append each, into a timeline.
#[derive(Debug, Default)]
pub struct Given {
    pub timeline: Timeline,
    histories: BTreeMap<Jurisdiction, Vec<RecordedEvent>>,
    position: u64,
    appends: usize,
}

impl Given {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the command at `recorded(n)` for the next n; panics if `decide` refuses it.
    pub fn publish(mut self, command: PublishRevision) -> Self {
        let at = recorded(self.appends);
        self.appends += 1;
        let jurisdiction = command.revision.jurisdiction.clone();
        let history = self.histories.entry(jurisdiction.clone()).or_default();
        let context = CommandContext {
            actor: "test".to_owned(),
            today: d("2025-01-01"),
        };
        let decided = decide(history, &command, &context)
            .unwrap_or_else(|e| panic!("{}: {e}", command.revision.id));
        let batch: Vec<RecordedEvent> = decided
            .into_iter()
            .map(|e| {
                self.position += 1;
                RecordedEvent {
                    event_id: Uuid::from_u128(u128::from(self.position)),
                    global_position: self.position,
                    recorded_at: at,
                    context: e.context,
                    event: e.event,
                }
            })
            .collect();
        history.extend(batch.iter().cloned());
        self.timeline.ingest(&jurisdiction, batch);
        self
    }

    pub fn all(self, commands: Vec<PublishRevision>) -> Self {
        commands.into_iter().fold(self, Given::publish)
    }
}
