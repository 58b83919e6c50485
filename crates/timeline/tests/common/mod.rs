//! Builders for commands and a small in-memory log that records what `decide` accepts.
#![allow(dead_code, clippy::unwrap_used)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use domain::command::{
    Change, ChangeEntry, FieldUpdates, MergeTarget, PublishRevision, RevisionContent, WholeStandard,
};
use domain::event::RecordedEvent;
use domain::ids::{AspectId, CategoryId, ItemId, Jurisdiction, RevisionId};
use domain::model::{
    AspectSpec, CategorySpec, ItemFields, ItemSpec, Known, Placement, RevisionInfo, RevisionKind,
};
pub use domain::text::Text;
use domain::{CommandContext, DomainError, decide};
use uuid::Uuid;

pub fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

pub fn ts(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

pub fn rid(text: &str) -> RevisionId {
    RevisionId::parse(text).unwrap()
}

pub fn iid(text: &str) -> ItemId {
    ItemId::parse(text).unwrap()
}

pub fn cid(text: &str) -> CategoryId {
    CategoryId::parse(text).unwrap()
}

pub fn aid(text: &str) -> AspectId {
    AspectId::parse(text).unwrap()
}

pub fn cn() -> Jurisdiction {
    Jurisdiction::national()
}

pub fn known(text: &str) -> Known<Text> {
    Known::Known(text.into())
}

pub fn placement(category: &str, number: u32) -> Placement {
    Placement {
        category: Known::Known(cid(category)),
        number: Known::Known(number),
    }
}

pub fn info(id: &str, kind: RevisionKind, effective: NaiveDate) -> RevisionInfo {
    RevisionInfo {
        id: rid(id),
        jurisdiction: cn(),
        kind,
        title: format!("revision {id}"),
        document_no: Known::Unknown,
        issuers: Known::Unknown,
        issued_on: Known::Unknown,
        effective_from: effective,
        declared_item_count: None,
        implements: None,
        target: None,
        sources: Vec::new(),
    }
}

/// An item with every field known, its texts derived from its id.
pub fn item(id: &str, category: &str, number: u32) -> ItemSpec {
    ItemSpec {
        id: iid(id),
        placement: placement(category, number),
        name: known(&format!("{id} name")),
        name_en: Known::Unknown,
        fields: ItemFields {
            service_target: known(&format!("{id} target")),
            service_content: known(&format!("{id} content")),
            service_standard: Known::Unknown,
            expenditure_responsibility: known(&format!("{id} expenditure")),
            lead_units: Known::Known(vec![format!("{id} unit").into()]),
        },
        national_item: None,
    }
}

pub fn aspect(id: &str, order: u32) -> AspectSpec {
    AspectSpec {
        id: aid(id),
        name: format!("{id} name"),
        name_en: None,
        order,
    }
}

pub fn category(id: &str, aspect: &str, number: u32) -> CategorySpec {
    CategorySpec {
        id: cid(id),
        aspect: aid(aspect),
        name: format!("{id} name"),
        name_en: None,
        number,
    }
}

pub fn comprehensive(id: &str, effective: NaiveDate, whole: WholeStandard) -> PublishRevision {
    PublishRevision {
        revision: info(id, RevisionKind::ComprehensiveRevision, effective),
        content: RevisionContent::Whole(whole),
    }
}

pub fn entries(changes: Vec<Change>) -> RevisionContent {
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

pub fn adjustment(id: &str, effective: NaiveDate, changes: Vec<Change>) -> PublishRevision {
    PublishRevision {
        revision: info(id, RevisionKind::Adjustment, effective),
        content: entries(changes),
    }
}

pub fn correction(
    id: &str,
    target: &str,
    effective: NaiveDate,
    changes: Vec<Change>,
) -> PublishRevision {
    let mut revision = info(id, RevisionKind::Correction, effective);
    revision.target = Some(rid(target));
    PublishRevision {
        revision,
        content: entries(changes),
    }
}

pub fn withdrawal(id: &str, target: &str, effective: NaiveDate) -> PublishRevision {
    let mut revision = info(id, RevisionKind::Withdrawal, effective);
    revision.target = Some(rid(target));
    PublishRevision {
        revision,
        content: entries(vec![Change::Withdraw]),
    }
}

pub fn amend(item: &str, fields: FieldUpdates) -> Change {
    Change::AmendItem {
        item: iid(item),
        fields,
    }
}

pub fn move_item(item: &str, category: &str, number: u32) -> Change {
    Change::MoveItem {
        item: iid(item),
        placement: placement(category, number),
    }
}

pub fn retire(item: &str) -> Change {
    Change::RetireItem { item: iid(item) }
}

pub fn introduce(spec: ItemSpec) -> Change {
    Change::IntroduceItem(spec)
}

pub fn merge_into_new(from: &[&str], into: ItemSpec) -> Change {
    Change::MergeItems {
        from: from.iter().map(|i| iid(i)).collect(),
        into: MergeTarget::New(Box::new(into)),
    }
}

pub fn merge_into_existing(from: &[&str], into: &str) -> Change {
    Change::MergeItems {
        from: from.iter().map(|i| iid(i)).collect(),
        into: MergeTarget::Existing(iid(into)),
    }
}

pub fn split(from: &str, into: Vec<ItemSpec>) -> Change {
    Change::SplitItem {
        from: iid(from),
        into,
    }
}

/// The events of one stream as the store would hand them back: every accepted
/// command is one append, with one record time and consecutive global positions.
#[derive(Debug, Default)]
pub struct Log {
    pub events: Vec<RecordedEvent>,
    /// The events of each append, in log order.
    pub appends: Vec<Vec<RecordedEvent>>,
}

impl Log {
    pub fn new() -> Self {
        Self::default()
    }

    /// Decides `command` against the log and, if accepted, records it at `recorded_at`.
    pub fn publish(
        &mut self,
        command: &PublishRevision,
        actor: &str,
        today: NaiveDate,
        recorded_at: DateTime<Utc>,
    ) -> Result<&[RecordedEvent], DomainError> {
        if let Some(last) = self.events.last() {
            assert!(recorded_at > last.recorded_at, "record times must grow");
        }
        let context = CommandContext {
            actor: actor.to_owned(),
            today,
        };
        let decided = decide(&self.events, command, &context)?;
        let first = self.events.last().map_or(1, |e| e.global_position + 1);
        let batch: Vec<RecordedEvent> = decided
            .into_iter()
            .enumerate()
            .map(|(i, e)| {
                let position = first + i as u64;
                RecordedEvent {
                    event_id: Uuid::from_u128(u128::from(position)),
                    global_position: position,
                    recorded_at,
                    context: e.context,
                    event: e.event,
                }
            })
            .collect();
        self.events.extend(batch.iter().cloned());
        self.appends.push(batch);
        Ok(self.appends.last().unwrap())
    }

    /// Record time of the `n`-th append (0-based) when appends are spaced one hour apart.
    pub fn hourly(n: usize) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 3, 1, 9, 0, 0).unwrap() + Duration::hours(n as i64)
    }
}
