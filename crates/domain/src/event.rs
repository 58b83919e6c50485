//! Events: the only thing stdreg stores. Never updated or deleted.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::{AspectId, CategoryId, ItemId, RevisionId};
use crate::model::{ItemSpec, Known, Placement, RevisionInfo, ServiceStandard};
use crate::text::Text;

/// One field of an item changed by an amendment, with its value before and after.
///
/// `before` is what the field said at the amendment's effective date as the
/// registry stood when the amendment was decided; it documents, it is not checked on replay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "field", rename_all = "snake_case")]
pub enum FieldChange {
    Name {
        before: Known<Text>,
        after: Known<Text>,
    },
    NameEn {
        before: Known<Text>,
        after: Known<Text>,
    },
    ServiceTarget {
        before: Known<Text>,
        after: Known<Text>,
    },
    ServiceContent {
        before: Known<Text>,
        after: Known<Text>,
    },
    ServiceStandard {
        before: Known<ServiceStandard>,
        after: Known<ServiceStandard>,
    },
    ExpenditureResponsibility {
        before: Known<Text>,
        after: Known<Text>,
    },
    LeadUnits {
        before: Known<Arc<[Text]>>,
        after: Known<Arc<[Text]>>,
    },
}

/// One side of a field change, whatever the field's type.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum FieldValue<'a> {
    Text(&'a Known<Text>),
    Standard(&'a Known<ServiceStandard>),
    Units(&'a Known<Arc<[Text]>>),
}

impl FieldValue<'_> {
    /// The value as plain text (a standard's text; units joined by 、); `None`: not on record.
    pub fn text(&self) -> Option<String> {
        match self {
            FieldValue::Text(value) => value.as_known().map(Text::to_string),
            FieldValue::Standard(value) => value.as_known().map(|s| s.text.to_string()),
            FieldValue::Units(value) => value.as_known().map(|u| u.join("、")),
        }
    }

    pub fn is_known(&self) -> bool {
        match self {
            FieldValue::Text(value) => value.is_known(),
            FieldValue::Standard(value) => value.is_known(),
            FieldValue::Units(value) => value.is_known(),
        }
    }
}

/// How a field's record changed: a text replaced by another, or a gap in
/// the sources filled or opened. Not on record is not the same as empty, so a
/// text that appears where none was on record may not have changed at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// One text on record replaced by another.
    Changed,
    /// Not on record before, on record after: the text may have said this all along.
    FirstOnRecord,
    /// On record before, amended to a text that is not on record.
    NoLongerOnRecord,
    /// Amended, and neither text is on record.
    ChangedNotOnRecord,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Changed => "changed",
            ChangeKind::FirstOnRecord => "first_on_record",
            ChangeKind::NoLongerOnRecord => "no_longer_on_record",
            ChangeKind::ChangedNotOnRecord => "changed_not_on_record",
        }
    }
}

impl FieldChange {
    /// The value before and after the change.
    pub fn sides(&self) -> (FieldValue<'_>, FieldValue<'_>) {
        match self {
            FieldChange::Name { before, after }
            | FieldChange::NameEn { before, after }
            | FieldChange::ServiceTarget { before, after }
            | FieldChange::ServiceContent { before, after }
            | FieldChange::ExpenditureResponsibility { before, after } => {
                (FieldValue::Text(before), FieldValue::Text(after))
            }
            FieldChange::ServiceStandard { before, after } => {
                (FieldValue::Standard(before), FieldValue::Standard(after))
            }
            FieldChange::LeadUnits { before, after } => {
                (FieldValue::Units(before), FieldValue::Units(after))
            }
        }
    }

    /// Whether the change replaced a text or filled or opened a gap in the record.
    pub fn kind(&self) -> ChangeKind {
        let (before, after) = self.sides();
        match (before.is_known(), after.is_known()) {
            (true, true) => ChangeKind::Changed,
            (false, true) => ChangeKind::FirstOnRecord,
            (true, false) => ChangeKind::NoLongerOnRecord,
            (false, false) => ChangeKind::ChangedNotOnRecord,
        }
    }

    pub fn field_name(&self) -> &'static str {
        match self {
            FieldChange::Name { .. } => "name",
            FieldChange::NameEn { .. } => "name_en",
            FieldChange::ServiceTarget { .. } => "service_target",
            FieldChange::ServiceContent { .. } => "service_content",
            FieldChange::ServiceStandard { .. } => "service_standard",
            FieldChange::ExpenditureResponsibility { .. } => "expenditure_responsibility",
            FieldChange::LeadUnits { .. } => "lead_units",
        }
    }
}

/// What happened. The stored `type` of each variant is its snake_case name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    // The large payloads are boxed: the timeline keeps every event, and an
    // `Event` is as large as its largest variant. A revision is shared with
    // every state it is part of.
    RevisionPublished {
        revision: Arc<RevisionInfo>,
    },
    RevisionWithdrawn {
        withdrawn: RevisionId,
    },
    AspectDefined {
        aspect: AspectId,
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name_en: Option<String>,
        order: u32,
    },
    AspectRenamed {
        aspect: AspectId,
        before: String,
        after: String,
    },
    AspectRetired {
        aspect: AspectId,
    },
    CategoryDefined {
        category: CategoryId,
        aspect: AspectId,
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name_en: Option<String>,
        number: u32,
    },
    CategoryRenamed {
        category: CategoryId,
        before: String,
        after: String,
    },
    CategoryRetired {
        category: CategoryId,
    },
    ItemIntroduced {
        item: Box<ItemSpec>,
    },
    ItemAmended {
        item: ItemId,
        changes: Vec<FieldChange>,
    },
    /// Renumbered, moved to another category, or both.
    ItemMoved {
        item: ItemId,
        before: Placement,
        after: Placement,
    },
    ItemRetired {
        item: ItemId,
    },
    /// Many items become one. Sources other than `into` are retired; lineage is kept.
    ItemsMerged {
        from: Vec<ItemId>,
        into: ItemId,
    },
    /// One item becomes many. The source is retired unless it is one of `into`.
    ItemSplit {
        from: ItemId,
        into: Vec<ItemId>,
    },
    /// A local item beyond national scope, with the reference of its argumentation
    /// and risk assessment (`Unknown` when none is on record).
    LocalItemAdded {
        item: Box<ItemSpec>,
        assessment: Known<Text>,
    },
}

impl Event {
    /// The stored `type` name of the event.
    pub fn type_name(&self) -> &'static str {
        match self {
            Event::RevisionPublished { .. } => "revision_published",
            Event::RevisionWithdrawn { .. } => "revision_withdrawn",
            Event::AspectDefined { .. } => "aspect_defined",
            Event::AspectRenamed { .. } => "aspect_renamed",
            Event::AspectRetired { .. } => "aspect_retired",
            Event::CategoryDefined { .. } => "category_defined",
            Event::CategoryRenamed { .. } => "category_renamed",
            Event::CategoryRetired { .. } => "category_retired",
            Event::ItemIntroduced { .. } => "item_introduced",
            Event::ItemAmended { .. } => "item_amended",
            Event::ItemMoved { .. } => "item_moved",
            Event::ItemRetired { .. } => "item_retired",
            Event::ItemsMerged { .. } => "items_merged",
            Event::ItemSplit { .. } => "item_split",
            Event::LocalItemAdded { .. } => "local_item_added",
        }
    }

    /// Items whose state this event changes (for history and provenance).
    pub fn items_touched(&self) -> Vec<&ItemId> {
        match self {
            Event::ItemIntroduced { item } | Event::LocalItemAdded { item, .. } => vec![&item.id],
            Event::ItemAmended { item, .. }
            | Event::ItemMoved { item, .. }
            | Event::ItemRetired { item } => vec![item],
            Event::ItemsMerged { from, into } => {
                let mut all: Vec<&ItemId> = from.iter().collect();
                if !from.contains(into) {
                    all.push(into);
                }
                all
            }
            Event::ItemSplit { from, into } => {
                let mut all = vec![from];
                all.extend(into.iter().filter(|id| *id != from));
                all
            }
            _ => Vec::new(),
        }
    }
}

/// What every event carries besides its payload, except what the store assigns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventContext {
    pub revision: RevisionId,
    /// Valid time: the day from which the change is in force.
    pub effective_from: NaiveDate,
    /// Who recorded the change (a principal, e.g. `editor:ndrc`). A `Text`
    /// because every event of an append names the same one: held once.
    pub actor: Text,
    /// Why; usually the same for every event of an append, so held once too.
    pub reason: Text,
}

/// An event decided but not yet stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDomainEvent {
    pub context: EventContext,
    pub event: Event,
}

/// An event as read back from the log.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEvent {
    pub event_id: Uuid,
    /// Position in the global log: the tie-breaker among events effective the same day.
    pub global_position: u64,
    /// Record time.
    pub recorded_at: DateTime<Utc>,
    pub context: EventContext,
    pub event: Event,
}
