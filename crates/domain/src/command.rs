//! Commands: what a user asks the registry to record. Also the import format's vocabulary.

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize};

use crate::ids::{AspectId, CategoryId, ItemId};
use crate::model::{
    AspectSpec, CategorySpec, ItemSpec, Known, Placement, RevisionInfo, ServiceStandard,
};
use crate::text::Text;

/// Publish one revision: its document and what it changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishRevision {
    pub revision: RevisionInfo,
    pub content: RevisionContent,
}

/// A whole standard (comprehensive revision, local implementation) or a list of changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevisionContent {
    Whole(WholeStandard),
    Changes(Vec<ChangeEntry>),
}

/// Everything a comprehensive revision or local implementation states.
/// Whatever the standard had before and this does not state is retired.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WholeStandard {
    pub aspects: Vec<AspectSpec>,
    pub categories: Vec<CategorySpec>,
    pub items: Vec<ItemSpec>,
    /// Local items beyond national scope (local standards only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub local_items: Vec<LocalItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalItem {
    #[serde(flatten)]
    pub item: ItemSpec,
    /// Reference of the argumentation and risk assessment; `null` when none is on record.
    pub assessment: Known<Text>,
}

/// One change with the reason given for it (defaults to the revision's title).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeEntry {
    #[serde(flatten)]
    pub change: Change,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// New values for some fields of an item. An absent field is unchanged;
/// `null` says the field changed but its new text is not on record.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FieldUpdates {
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<Known<Text>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub name_en: Option<Known<Text>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub service_target: Option<Known<Text>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub service_content: Option<Known<Text>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub service_standard: Option<Known<ServiceStandard>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub expenditure_responsibility: Option<Known<Text>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub lead_units: Option<Known<Arc<[Text]>>>,
}

/// A field that is present deserialises to `Some`, even when it is `null`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Known<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(|value| Some(Known::from(value)))
}

/// The target of a merge: an existing source that absorbs the others, or a new item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MergeTarget {
    Existing(ItemId),
    New(Box<ItemSpec>),
}

/// One change to a standard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Change {
    DefineAspect(AspectSpec),
    RenameAspect {
        aspect: AspectId,
        name: String,
    },
    RetireAspect {
        aspect: AspectId,
    },
    DefineCategory(CategorySpec),
    RenameCategory {
        category: CategoryId,
        name: String,
    },
    RetireCategory {
        category: CategoryId,
    },
    IntroduceItem(ItemSpec),
    AmendItem {
        item: ItemId,
        fields: FieldUpdates,
    },
    /// Renumber, move to another category, or both.
    MoveItem {
        item: ItemId,
        placement: Placement,
    },
    RetireItem {
        item: ItemId,
    },
    MergeItems {
        from: Vec<ItemId>,
        into: MergeTarget,
    },
    SplitItem {
        from: ItemId,
        into: Vec<ItemSpec>,
    },
    AddLocalItem(LocalItem),
    /// Only in a withdrawal: the revision named by the withdrawal's `target` is cancelled.
    Withdraw,
}

impl Change {
    pub fn op_name(&self) -> &'static str {
        match self {
            Change::DefineAspect(_) => "define_aspect",
            Change::RenameAspect { .. } => "rename_aspect",
            Change::RetireAspect { .. } => "retire_aspect",
            Change::DefineCategory(_) => "define_category",
            Change::RenameCategory { .. } => "rename_category",
            Change::RetireCategory { .. } => "retire_category",
            Change::IntroduceItem(_) => "introduce_item",
            Change::AmendItem { .. } => "amend_item",
            Change::MoveItem { .. } => "move_item",
            Change::RetireItem { .. } => "retire_item",
            Change::MergeItems { .. } => "merge_items",
            Change::SplitItem { .. } => "split_item",
            Change::AddLocalItem(_) => "add_local_item",
            Change::Withdraw => "withdraw",
        }
    }
}
