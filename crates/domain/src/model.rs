//! Values that make up a standard: items, their five fields, levels, revisions.

use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ids::{AspectId, CategoryId, ItemId, Jurisdiction, RevisionId};
use crate::text::Text;

/// A value whose official text may not be on record.
///
/// `Unknown` is not empty text: it says no source on record states the value.
/// Stored as JSON `null` (unknown) or the value itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(from = "Option<T>", into = "Option<T>")]
#[serde(bound(
    serialize = "T: Serialize + Clone",
    deserialize = "T: Deserialize<'de>"
))]
pub enum Known<T> {
    #[default]
    Unknown,
    Known(T),
}

impl<T> Known<T> {
    pub fn as_known(&self) -> Option<&T> {
        match self {
            Known::Known(value) => Some(value),
            Known::Unknown => None,
        }
    }

    pub fn is_known(&self) -> bool {
        matches!(self, Known::Known(_))
    }
}

impl<T> From<Option<T>> for Known<T> {
    fn from(value: Option<T>) -> Self {
        match value {
            Some(value) => Known::Known(value),
            None => Known::Unknown,
        }
    }
}

impl<T> From<Known<T>> for Option<T> {
    fn from(value: Known<T>) -> Self {
        match value {
            Known::Known(value) => Some(value),
            Known::Unknown => None,
        }
    }
}

/// How a level bounds the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparator {
    /// "no less than" (不少于, 不低于, 至少)
    AtLeast,
    /// "no more than" (不超过, 不高于)
    AtMost,
    Exactly,
}

/// The period a quantity is counted over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Day,
    Week,
    Month,
    Quarter,
    Year,
    /// Once, not per period.
    Once,
}

/// A structured level stated by a service standard, e.g. "≥ 200 yuan per person per month".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Level {
    /// What is measured, as the text says it (e.g. "广播节目"); distinguishes several levels of one item.
    pub measure: Text,
    pub comparator: Comparator,
    pub quantity: f64,
    /// Unit of the quantity (e.g. "元", "套", "次").
    pub unit: Text,
    /// Per whom or what (e.g. "人", "学生"); `None` when the text names no one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// Where the level applies when the text restricts it (e.g. "直播卫星公共服务覆盖地区").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Text>,
}

/// The service standard: the official text plus the levels it states.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceStandard {
    pub text: Text,
    /// Empty when the text states no comparable level (prose only). Shared,
    /// like the text: every copy of an item state the timeline makes holds it.
    #[serde(default, skip_serializing_if = "no_levels")]
    pub levels: Arc<[Level]>,
}

fn no_levels(levels: &Arc<[Level]>) -> bool {
    levels.is_empty()
}

/// The five fields every service item states.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ItemFields {
    pub service_target: Known<Text>,
    pub service_content: Known<Text>,
    pub service_standard: Known<ServiceStandard>,
    pub expenditure_responsibility: Known<Text>,
    /// Shared, like the texts: every copy of an item state holds it.
    pub lead_units: Known<Arc<[Text]>>,
}

/// Where an item sits in its standard's tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    /// `Unknown` when no source places the item in a category.
    pub category: Known<CategoryId>,
    /// The printed number within the category, where on record.
    pub number: Known<u32>,
}

/// The kinds of published change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevisionKind {
    /// The five-yearly edition; states the whole standard.
    ComprehensiveRevision,
    /// A mid-term dynamic adjustment of some items.
    Adjustment,
    /// Fixes the record of an earlier revision; usually retroactive.
    Correction,
    /// A locality's own standard, implementing a national edition.
    LocalImplementation,
    /// Cancels a published revision that has not yet taken effect.
    Withdrawal,
}

impl RevisionKind {
    pub const ALL: [RevisionKind; 5] = [
        RevisionKind::ComprehensiveRevision,
        RevisionKind::Adjustment,
        RevisionKind::Correction,
        RevisionKind::LocalImplementation,
        RevisionKind::Withdrawal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RevisionKind::ComprehensiveRevision => "comprehensive_revision",
            RevisionKind::Adjustment => "adjustment",
            RevisionKind::Correction => "correction",
            RevisionKind::LocalImplementation => "local_implementation",
            RevisionKind::Withdrawal => "withdrawal",
        }
    }

    /// Revisions of these kinds state the whole standard rather than changes to it.
    pub fn states_whole_standard(self) -> bool {
        matches!(
            self,
            RevisionKind::ComprehensiveRevision | RevisionKind::LocalImplementation
        )
    }
}

/// The document that publishes a revision: its legal basis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevisionInfo {
    pub id: RevisionId,
    pub jurisdiction: Jurisdiction,
    pub kind: RevisionKind,
    pub title: String,
    /// e.g. 发改社会〔2021〕443号
    pub document_no: Known<String>,
    pub issuers: Known<String>,
    #[serde(deserialize_with = "crate::input::deserialize_known_date")]
    pub issued_on: Known<NaiveDate>,
    /// Valid time: the day the revision's text takes effect.
    #[serde(deserialize_with = "crate::input::deserialize_date")]
    pub effective_from: NaiveDate,
    /// Number of items the document says the standard has (80 for the 2021 edition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared_item_count: Option<u32>,
    /// For a local implementation: the national revision it implements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub implements: Option<RevisionId>,
    /// For a correction or withdrawal: the revision it corrects or withdraws.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<RevisionId>,
    /// Where the text of this revision comes from (citations, addresses).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
}

/// An aspect as a whole standard states it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AspectSpec {
    pub id: AspectId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    pub order: u32,
}

/// A category as a whole standard states it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategorySpec {
    pub id: CategoryId,
    pub aspect: AspectId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    /// Printed number of the category (1..22 nationally).
    pub number: u32,
}

/// A service item as a revision states it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemSpec {
    pub id: ItemId,
    pub placement: Placement,
    /// Official (Chinese) name; unknown when no source gives it.
    pub name: Known<Text>,
    /// Descriptive English name (not official text).
    #[serde(default)]
    pub name_en: Known<Text>,
    pub fields: ItemFields,
    /// For a local item: the national item it implements. `None` for national items and local-only items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub national_item: Option<ItemId>,
}
