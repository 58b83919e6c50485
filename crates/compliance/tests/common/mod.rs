//! Synthetic standards for the compliance tests, recorded through `decide` into a `Timeline`.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use domain::command::{
    Change, ChangeEntry, FieldUpdates, LocalItem, MergeTarget, PublishRevision, RevisionContent,
    WholeStandard,
};
use domain::event::RecordedEvent;
use domain::ids::{ItemId, Jurisdiction, RevisionId};
use domain::levels::extract_levels;
use domain::model::{
    ItemFields, ItemSpec, Known, Placement, RevisionInfo, RevisionKind, ServiceStandard,
};
use domain::text::Text;
use domain::{CommandContext, decide};
use timeline::Timeline;
use uuid::Uuid;

pub fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

pub fn j(code: &str) -> Jurisdiction {
    Jurisdiction::parse(code).unwrap()
}

pub fn iid(text: &str) -> ItemId {
    ItemId::parse(text).unwrap()
}

pub fn rid(text: &str) -> RevisionId {
    RevisionId::parse(text).unwrap()
}

/// A service standard whose levels are read from its text, as imports do.
pub fn standard(text: &str) -> Known<ServiceStandard> {
    Known::Known(ServiceStandard {
        text: text.to_owned().into(),
        levels: extract_levels(text),
    })
}

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
        id: rid(id),
        jurisdiction: j(jurisdiction),
        kind,
        title: format!("revision {id}"),
        document_no: Known::Unknown,
        issuers: Known::Unknown,
        issued_on: Known::from(issued.map(d)),
        effective_from: d(effective),
        declared_item_count: None,
        implements: None,
        target: None,
        sources: Vec::new(),
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

fn changes(changes: Vec<Change>) -> RevisionContent {
    RevisionContent::Changes(
        changes
            .into_iter()
            .map(|change| ChangeEntry {
                change,
                reason: None,
            })
            .collect(),
    )
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
        content: changes(list),
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
        content: changes(list),
    }
}

pub fn set_standard(item: &str, text: &str) -> Change {
    Change::AmendItem {
        item: iid(item),
        fields: FieldUpdates {
            service_standard: Some(standard(text)),
            ..FieldUpdates::default()
        },
    }
}

pub fn merge(from: &[&str], into: ItemSpec) -> Change {
    Change::MergeItems {
        from: from.iter().map(|i| iid(i)).collect(),
        into: MergeTarget::New(Box::new(into)),
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
