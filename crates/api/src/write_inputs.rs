//! The typed inputs of the write mutations. They mirror the import format
//! (docs/import-format.md) field for field, and are turned into a command the
//! one way files are: serialised in the import format's shape and read by
//! the same deserialiser (`PublishRevision`'s), so a typed write and a file
//! are checked by the same rules, with the same messages. Only the path in a
//! message differs: it names the GraphQL input (`input.changes[2].amendItem`)
//! instead of the place in the file.

use async_graphql::{ID, InputObject, MaybeUndefined, OneofObject};
use serde::{Serialize, Serializer};
use serde_json::{Value, json};

use crate::scalars::Date;
use crate::types::{Comparator, Period, RevisionKind};

/// One revision: its document and either the whole standard it states
/// (`whole`, for a comprehensive revision or a local implementation) or its
/// `changes` (every other kind). The import format's `{"revision", "content"}`.
#[derive(Debug, InputObject)]
pub struct PublishRevisionInput {
    pub revision: RevisionInput,
    /// The whole standard (comprehensive revision, local implementation).
    pub whole: Option<WholeStandardInput>,
    /// The changes, in order; each sees the ones before it.
    pub changes: Option<Vec<ChangeInput>>,
}

/// The document that publishes a revision. A field left out is *not on
/// record* (`null` in the import format), never empty text.
#[derive(Debug, Serialize, InputObject)]
pub struct RevisionInput {
    /// Unique in the registry: letters, digits, `-`, `_`, `.`; at most 64.
    pub id: ID,
    /// `CN`, or a six-digit division code.
    pub jurisdiction: String,
    #[serde(serialize_with = "kind")]
    pub kind: RevisionKind,
    pub title: String,
    /// e.g. 发改社会〔2021〕443号
    pub document_no: Option<String>,
    pub issuers: Option<String>,
    pub issued_on: Option<Date>,
    /// Valid time: the day the text takes effect.
    pub effective_from: Date,
    /// The item count the document states (80 for the 2021 edition).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared_item_count: Option<u32>,
    /// Required for a local implementation: the national revision it implements.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implements: Option<ID>,
    /// Required for a correction or withdrawal: the revision it corrects or withdraws.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<ID>,
    /// Citations of the text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<String>>,
}

/// Everything a comprehensive revision or local implementation states; what
/// the standard had before and this does not state is retired.
#[derive(Debug, Serialize, InputObject)]
pub struct WholeStandardInput {
    pub aspects: Vec<AspectInput>,
    pub categories: Vec<CategoryInput>,
    pub items: Vec<ItemInput>,
    /// Items beyond national scope (local standards only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_items: Option<Vec<LocalItemInput>>,
}

#[derive(Debug, Serialize, InputObject)]
pub struct AspectInput {
    pub id: ID,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    /// Printed order of the aspect.
    pub order: u32,
}

#[derive(Debug, Serialize, InputObject)]
pub struct CategoryInput {
    pub id: ID,
    pub aspect: ID,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    /// Printed number of the category.
    pub number: u32,
}

/// A service item as a revision states it. Every field left out is not on record.
#[derive(Debug, Serialize, InputObject)]
pub struct ItemInput {
    /// Stable identity: survives renumbering, renaming and moves.
    pub id: ID,
    pub placement: PlacementInput,
    /// Official (Chinese) name.
    pub name: Option<String>,
    /// Descriptive English name (not official text).
    pub name_en: Option<String>,
    pub fields: ItemFieldsInput,
    /// Local standards: the national item this item implements.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub national_item: Option<ID>,
}

/// Where an item sits: its category and printed number, each where on record.
#[derive(Debug, Serialize, InputObject)]
pub struct PlacementInput {
    pub category: Option<ID>,
    pub number: Option<u32>,
}

/// The five fields of an item; one left out is not on record.
#[derive(Debug, Serialize, InputObject)]
pub struct ItemFieldsInput {
    pub service_target: Option<String>,
    pub service_content: Option<String>,
    pub service_standard: Option<ServiceStandardInput>,
    pub expenditure_responsibility: Option<String>,
    pub lead_units: Option<Vec<String>>,
}

/// The service standard's text and the levels it states.
#[derive(Debug, Serialize, InputObject)]
pub struct ServiceStandardInput {
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub levels: Option<Vec<LevelInput>>,
}

/// A level the text states, e.g. "no less than 200 yuan per person per month".
#[derive(Debug, Serialize, InputObject)]
pub struct LevelInput {
    /// What is measured, as the text says it.
    pub measure: String,
    #[serde(serialize_with = "comparator")]
    pub comparator: Comparator,
    pub quantity: f64,
    pub unit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per: Option<String>,
    #[serde(serialize_with = "period", skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
}

/// An item beyond national scope.
#[derive(Debug, Serialize, InputObject)]
pub struct LocalItemInput {
    #[serde(flatten)]
    #[graphql(flatten)]
    pub item: ItemInput,
    /// Reference of the argumentation and risk assessment; left out when none is on record.
    pub assessment: Option<String>,
}

/// One change of a revision: exactly one of these fields (`@oneOf`). Each
/// takes a `reason` (default: the revision's title).
#[derive(Debug, Serialize, OneofObject)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ChangeInput {
    DefineAspect(DefineAspectInput),
    RenameAspect(RenameAspectInput),
    /// No active category may remain in it.
    RetireAspect(RetireAspectInput),
    DefineCategory(DefineCategoryInput),
    RenameCategory(RenameCategoryInput),
    /// No active item may remain in it.
    RetireCategory(RetireCategoryInput),
    IntroduceItem(IntroduceItemInput),
    AmendItem(AmendItemInput),
    /// Renumber, move to another category, or both.
    MoveItem(MoveItemInput),
    RetireItem(RetireItemInput),
    MergeItems(MergeItemsInput),
    /// The source is retired.
    SplitItem(SplitItemInput),
    /// Local standards only.
    AddLocalItem(AddLocalItemInput),
    /// Only in a withdrawal: its `target` is withdrawn (see also `withdrawRevision`).
    Withdraw(WithdrawInput),
}

impl ChangeInput {
    /// The GraphQL field that holds this change.
    fn field(&self) -> &'static str {
        match self {
            ChangeInput::DefineAspect(_) => "defineAspect",
            ChangeInput::RenameAspect(_) => "renameAspect",
            ChangeInput::RetireAspect(_) => "retireAspect",
            ChangeInput::DefineCategory(_) => "defineCategory",
            ChangeInput::RenameCategory(_) => "renameCategory",
            ChangeInput::RetireCategory(_) => "retireCategory",
            ChangeInput::IntroduceItem(_) => "introduceItem",
            ChangeInput::AmendItem(_) => "amendItem",
            ChangeInput::MoveItem(_) => "moveItem",
            ChangeInput::RetireItem(_) => "retireItem",
            ChangeInput::MergeItems(_) => "mergeItems",
            ChangeInput::SplitItem(_) => "splitItem",
            ChangeInput::AddLocalItem(_) => "addLocalItem",
            ChangeInput::Withdraw(_) => "withdraw",
        }
    }
}

#[derive(Debug, Serialize, InputObject)]
pub struct DefineAspectInput {
    #[serde(flatten)]
    #[graphql(flatten)]
    pub aspect: AspectInput,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, InputObject)]
pub struct RenameAspectInput {
    pub aspect: ID,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, InputObject)]
pub struct RetireAspectInput {
    pub aspect: ID,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, InputObject)]
pub struct DefineCategoryInput {
    #[serde(flatten)]
    #[graphql(flatten)]
    pub category: CategoryInput,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, InputObject)]
pub struct RenameCategoryInput {
    pub category: ID,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, InputObject)]
pub struct RetireCategoryInput {
    pub category: ID,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, InputObject)]
pub struct IntroduceItemInput {
    #[serde(flatten)]
    #[graphql(flatten)]
    pub item: ItemInput,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, InputObject)]
pub struct AmendItemInput {
    pub item: ID,
    pub fields: FieldUpdatesInput,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// New values of some fields. A field left out is unchanged; `null` records
/// that it changed but its new text is not on record.
#[derive(Debug, Serialize, InputObject)]
pub struct FieldUpdatesInput {
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub name: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub name_en: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub service_target: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub service_content: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub service_standard: MaybeUndefined<ServiceStandardInput>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub expenditure_responsibility: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub lead_units: MaybeUndefined<Vec<String>>,
}

#[derive(Debug, Serialize, InputObject)]
pub struct MoveItemInput {
    pub item: ID,
    pub placement: PlacementInput,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, InputObject)]
pub struct RetireItemInput {
    pub item: ID,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, InputObject)]
pub struct MergeItemsInput {
    /// Two or more items.
    pub from: Vec<ID>,
    pub into: MergeIntoInput,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What merged items become: one of them (`existing`, which absorbs the
/// others) or a new item.
#[derive(Debug, Serialize, OneofObject)]
#[serde(untagged)]
pub enum MergeIntoInput {
    Existing(ID),
    New(Box<ItemInput>),
}

#[derive(Debug, Serialize, InputObject)]
pub struct SplitItemInput {
    pub from: ID,
    /// Two or more new items.
    pub into: Vec<ItemInput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, InputObject)]
pub struct AddLocalItemInput {
    #[serde(flatten)]
    #[graphql(flatten)]
    pub item: LocalItemInput,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, InputObject)]
pub struct WithdrawInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A correction of a recorded revision: its own document and the changes
/// that fix the record.
#[derive(Debug, InputObject)]
pub struct CorrectionInput {
    /// The correction's id, unique in the registry.
    pub id: ID,
    pub title: String,
    pub document_no: Option<String>,
    pub issuers: Option<String>,
    pub issued_on: Option<Date>,
    /// Valid time of the corrected text; default: the corrected revision's
    /// `effectiveFrom` (a correction is usually retroactive).
    pub effective_from: Option<Date>,
    pub sources: Option<Vec<String>>,
    pub changes: Vec<ChangeInput>,
}

/// The withdrawal notice, where one is on record.
#[derive(Debug, Default, InputObject)]
pub struct WithdrawalInput {
    /// The withdrawal's id; default: the withdrawn revision's id with `-withdrawal` appended.
    pub id: Option<ID>,
    /// Default: the reason.
    pub title: Option<String>,
    pub document_no: Option<String>,
    pub issuers: Option<String>,
    pub issued_on: Option<Date>,
    /// Default: the withdrawn revision's `effectiveFrom`.
    pub effective_from: Option<Date>,
    pub sources: Option<Vec<String>>,
}

/// A revision in the import format's shape, with the GraphQL names of the
/// places an error may point to.
#[derive(Debug)]
pub(crate) struct Document {
    pub value: Value,
    /// Where the revision's document fields are (`input.revision`, `input`, `withdrawal`).
    pub revision_at: &'static str,
    /// Where the changes are, and which field of `ChangeInput` each uses.
    pub changes_at: &'static str,
    pub change_fields: Vec<&'static str>,
}

impl Document {
    /// `publishRevision`'s input. Neither or both of `whole` and `changes`
    /// is refused here: the import format has one `content`.
    pub fn publish(input: &PublishRevisionInput) -> Result<Self, String> {
        let content = match (&input.whole, &input.changes) {
            (Some(whole), None) => json!({ "whole": whole }),
            (None, Some(changes)) => json!({ "changes": changes }),
            (None, None) | (Some(_), Some(_)) => {
                return Err("`input` needs exactly one of `whole` (a comprehensive revision or local implementation) and `changes` (every other kind)".to_owned());
            }
        };
        Ok(Self {
            value: json!({ "revision": input.revision, "content": content }),
            revision_at: "input.revision",
            changes_at: "input.changes",
            change_fields: fields(input.changes.as_deref().unwrap_or_default()),
        })
    }

    /// `correctRevision`'s input, correcting `target` (of `jurisdiction`,
    /// in force from `target_from`).
    pub fn correction(
        input: &CorrectionInput,
        target: &str,
        jurisdiction: &str,
        target_from: Date,
    ) -> Self {
        let revision = json!({
            "id": input.id,
            "jurisdiction": jurisdiction,
            "kind": domain::model::RevisionKind::Correction,
            "title": input.title,
            "document_no": input.document_no,
            "issuers": input.issuers,
            "issued_on": input.issued_on,
            "effective_from": input.effective_from.unwrap_or(target_from),
            "target": target,
            "sources": input.sources.clone().unwrap_or_default(),
        });
        Self {
            value: json!({ "revision": revision, "content": { "changes": input.changes } }),
            revision_at: "input",
            changes_at: "input.changes",
            change_fields: fields(&input.changes),
        }
    }

    /// `withdrawRevision`'s arguments: withdraws `target` (of
    /// `jurisdiction`, in force from `target_from`) for `reason`.
    pub fn withdrawal(
        input: &WithdrawalInput,
        target: &str,
        reason: &str,
        jurisdiction: &str,
        target_from: Date,
    ) -> Self {
        let id = match &input.id {
            Some(id) => id.to_string(),
            None => format!("{target}-withdrawal"),
        };
        let revision = json!({
            "id": id,
            "jurisdiction": jurisdiction,
            "kind": domain::model::RevisionKind::Withdrawal,
            "title": input.title.as_deref().unwrap_or(reason),
            "document_no": input.document_no,
            "issuers": input.issuers,
            "issued_on": input.issued_on,
            "effective_from": input.effective_from.unwrap_or(target_from),
            "target": target,
            "sources": input.sources.clone().unwrap_or_default(),
        });
        Self {
            value: json!({
                "revision": revision,
                "content": { "changes": [{ "op": "withdraw", "reason": reason }] },
            }),
            revision_at: "withdrawal",
            changes_at: "reason",
            change_fields: Vec::new(),
        }
    }

    /// The GraphQL name of the place a deserialisation error points to
    /// (`revision.effective_from` → `input.revision.effectiveFrom`).
    pub fn graphql_path(&self, path: &serde_path_to_error::Path) -> String {
        use serde_path_to_error::Segment;
        let mut segments = path.iter();
        let mut out = match segments.next() {
            Some(Segment::Map { key }) if key == "revision" => self.revision_at.to_owned(),
            Some(Segment::Map { key }) if key == "content" => match segments.next() {
                Some(Segment::Enum { variant }) if variant == "changes" => {
                    let mut out = self.changes_at.to_owned();
                    if let Some(Segment::Seq { index }) = segments.next() {
                        out.push_str(&format!("[{index}]"));
                        if let Some(field) = self.change_fields.get(*index) {
                            out.push('.');
                            out.push_str(field);
                        }
                    }
                    out
                }
                _ => "input.whole".to_owned(),
            },
            _ => return "input".to_owned(),
        };
        for segment in segments {
            match segment {
                Segment::Seq { index } => out.push_str(&format!("[{index}]")),
                Segment::Map { key } => {
                    out.push('.');
                    out.push_str(&camel_case(key));
                }
                Segment::Enum { .. } | Segment::Unknown => {}
            }
        }
        out
    }
}

fn fields(changes: &[ChangeInput]) -> Vec<&'static str> {
    changes.iter().map(ChangeInput::field).collect()
}

fn camel_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn kind<S: Serializer>(kind: &RevisionKind, serializer: S) -> Result<S::Ok, S::Error> {
    domain::model::RevisionKind::from(*kind).serialize(serializer)
}

fn comparator<S: Serializer>(comparator: &Comparator, serializer: S) -> Result<S::Ok, S::Error> {
    domain::model::Comparator::from(*comparator).serialize(serializer)
}

fn period<S: Serializer>(period: &Option<Period>, serializer: S) -> Result<S::Ok, S::Error> {
    period
        .map(domain::model::Period::from)
        .serialize(serializer)
}
