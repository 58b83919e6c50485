//! The real national data shipped with stdreg (`data/`), as revisions in the import format.
//!
//! The source files record what public sources confirm, with `null` for what
//! no source gives. They are converted, not edited: every `null` becomes
//! *not on record*, and the 2023 edition becomes an adjustment holding only
//! the changes that are on record.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use domain::command::{
    Change, ChangeEntry, FieldUpdates, PublishRevision, RevisionContent, WholeStandard,
};
use domain::ids::{AspectId, CategoryId, ItemId, Jurisdiction, RevisionId};
use domain::model::{
    AspectSpec, CategorySpec, ItemFields, ItemSpec, Known, Placement, RevisionInfo, RevisionKind,
    ServiceStandard,
};
use domain::text::Text;
use serde::Deserialize;

use crate::codec::split_units;
use domain::levels::extract_levels;

pub const NATIONAL_2021: &str = include_str!("../../../data/national-2021.json");
pub const NATIONAL_2023: &str = include_str!("../../../data/national-2023.json");

/// The id of the 2021 comprehensive revision in the bundled data.
pub const REVISION_2021: &str = "cn-2021";
/// The id of the 2023 adjustment in the bundled data.
pub const REVISION_2023: &str = "cn-2023";

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundledError {
    /// The bundled file does not have the shape this converter reads.
    #[error("bundled data file {file} at {path}: {message}")]
    Shape {
        file: &'static str,
        path: String,
        message: String,
    },
}

#[derive(Deserialize)]
struct SourceEdition {
    title_zh: String,
    document_no: Option<String>,
    issued: Option<NaiveDate>,
    announced: Option<NaiveDate>,
    issuers: Option<String>,
    structure: SourceStructure,
    aspects: Vec<SourceAspect>,
    #[serde(default)]
    items_category_unknown: Vec<SourceItem>,
    #[serde(default)]
    changes_from_2021: Vec<SourceChange>,
    sources: BTreeMap<String, SourceRef>,
}

#[derive(Deserialize)]
struct SourceStructure {
    items: u32,
}

#[derive(Deserialize)]
struct SourceAspect {
    order: u32,
    code: String,
    name_zh: String,
    name_en: Option<String>,
    categories: Vec<SourceCategory>,
}

#[derive(Deserialize)]
struct SourceCategory {
    no: u32,
    name_zh: String,
    name_en: Option<String>,
    items: Vec<SourceItem>,
}

#[derive(Deserialize, Clone)]
struct SourceItem {
    id: String,
    seq_in_category: Option<u32>,
    name_zh: Option<Text>,
    name_en: Option<Text>,
    service_target: Option<Text>,
    service_content: Option<Text>,
    service_standard: Option<Text>,
    expenditure_responsibility: Option<Text>,
    lead_unit: Option<Text>,
    evidence: SourceEvidence,
}

#[derive(Deserialize, Clone)]
struct SourceEvidence {
    category: Option<u32>,
    #[serde(default)]
    sources: Vec<String>,
}

#[derive(Deserialize)]
struct SourceChange {
    kind: String,
    item_id: Option<String>,
    #[serde(default)]
    named_items: Vec<String>,
    detail: String,
    #[serde(default)]
    sources: Vec<String>,
}

#[derive(Deserialize)]
struct SourceRef {
    url: Option<String>,
    title: String,
}

fn parse(file: &'static str, text: &str) -> Result<SourceEdition, BundledError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| BundledError::Shape {
        file,
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })
}

fn id<T>(
    file: &'static str,
    value: &str,
    parse: fn(&str) -> Result<T, domain::DomainError>,
) -> Result<T, BundledError> {
    parse(value).map_err(|e| BundledError::Shape {
        file,
        path: value.to_owned(),
        message: e.to_string(),
    })
}

fn category_id(no: u32) -> CategoryId {
    // Category numbers are 1..22; the formatted id is always a valid slug.
    CategoryId::parse(&format!("C{no:02}")).unwrap_or_else(|_| unreachable!())
}

fn sources(edition: &SourceEdition) -> Vec<String> {
    edition
        .sources
        .iter()
        .map(|(id, s)| match &s.url {
            Some(url) => format!("{id}: {} <{url}>", s.title),
            None => format!("{id}: {}", s.title),
        })
        .collect()
}

fn standard(text: Option<&Text>) -> Known<ServiceStandard> {
    Known::from(text.map(|text| ServiceStandard {
        text: text.clone(),
        levels: extract_levels(text).into(),
    }))
}

fn item_spec(file: &'static str, item: &SourceItem) -> Result<ItemSpec, BundledError> {
    Ok(ItemSpec {
        id: id(file, &item.id, ItemId::parse)?,
        placement: Placement {
            category: Known::from(item.evidence.category.map(category_id)),
            number: Known::from(item.seq_in_category),
        },
        name: Known::from(item.name_zh.clone()),
        name_en: Known::from(item.name_en.clone()),
        fields: ItemFields {
            service_target: Known::from(item.service_target.clone()),
            service_content: Known::from(item.service_content.clone()),
            service_standard: standard(item.service_standard.as_ref()),
            expenditure_responsibility: Known::from(item.expenditure_responsibility.clone()),
            lead_units: Known::from(
                item.lead_unit
                    .as_deref()
                    .map(|units| split_units(units).into()),
            ),
        },
        national_item: None,
    })
}

fn all_items(edition: &SourceEdition) -> impl Iterator<Item = &SourceItem> {
    edition
        .aspects
        .iter()
        .flat_map(|a| a.categories.iter())
        .flat_map(|c| c.items.iter())
        .chain(edition.items_category_unknown.iter())
}

/// The 2021 edition as a comprehensive revision.
fn revision_2021(edition: &SourceEdition) -> Result<PublishRevision, BundledError> {
    const FILE: &str = "national-2021.json";
    let issued = edition.issued.ok_or_else(|| BundledError::Shape {
        file: FILE,
        path: "issued".into(),
        message: "the 2021 issue date is required".into(),
    })?;
    let mut whole = WholeStandard::default();
    for aspect in &edition.aspects {
        let aspect_id = id(FILE, &aspect.code, AspectId::parse)?;
        whole.aspects.push(AspectSpec {
            id: aspect_id.clone(),
            name: aspect.name_zh.clone(),
            name_en: aspect.name_en.clone(),
            order: aspect.order,
        });
        for category in &aspect.categories {
            whole.categories.push(CategorySpec {
                id: category_id(category.no),
                aspect: aspect_id.clone(),
                name: category.name_zh.clone(),
                name_en: category.name_en.clone(),
                number: category.no,
            });
        }
    }
    for item in all_items(edition) {
        whole.items.push(item_spec(FILE, item)?);
    }
    Ok(PublishRevision {
        revision: RevisionInfo {
            id: id(FILE, REVISION_2021, RevisionId::parse)?,
            jurisdiction: Jurisdiction::national(),
            kind: RevisionKind::ComprehensiveRevision,
            title: edition.title_zh.clone(),
            document_no: Known::from(edition.document_no.clone()),
            issuers: Known::from(edition.issuers.clone()),
            issued_on: Known::Known(issued),
            // No source states a separate effective date; the notice takes effect on issue.
            effective_from: issued,
            declared_item_count: Some(edition.structure.items),
            implements: None,
            target: None,
            sources: sources(edition),
        },
        content: RevisionContent::Whole(whole),
    })
}

/// The 2023 edition as an adjustment: only the changes on record.
fn revision_2023(
    old: &SourceEdition,
    new: &SourceEdition,
) -> Result<PublishRevision, BundledError> {
    const FILE: &str = "national-2023.json";
    let announced = new.announced.ok_or_else(|| BundledError::Shape {
        file: FILE,
        path: "announced".into(),
        message: "the 2023 announcement date is required".into(),
    })?;
    let old_items: BTreeMap<&str, &SourceItem> =
        all_items(old).map(|i| (i.id.as_str(), i)).collect();
    let by_name: BTreeMap<&str, &str> = all_items(new)
        .filter_map(|i| i.name_zh.as_deref().map(|n| (n, i.id.as_str())))
        .collect();
    let cite = |ids: &[String]| {
        if ids.is_empty() {
            String::new()
        } else {
            format!(" (sources: {})", ids.join(", "))
        }
    };

    // Per item: the updates, the reasons, in first-seen order.
    let mut updates: Updates = Vec::new();
    let mut changes: Vec<ChangeEntry> = Vec::new();

    // Text the 2023 sources give where the 2021 sources gave none, or gave other text.
    for item in all_items(new) {
        let Some(before) = old_items.get(item.id.as_str()) else {
            continue;
        };
        let mut fields = FieldUpdates::default();
        let newer = |a: &Option<Text>, b: &Option<Text>| match (a, b) {
            (old, Some(new)) if old.as_ref() != Some(new) => Some(Known::Known(new.clone())),
            _ => None,
        };
        fields.name = newer(&before.name_zh, &item.name_zh);
        fields.service_target = newer(&before.service_target, &item.service_target);
        fields.service_content = newer(&before.service_content, &item.service_content);
        fields.service_standard = newer(&before.service_standard, &item.service_standard)
            .map(|_| standard(item.service_standard.as_ref()));
        fields.expenditure_responsibility = newer(
            &before.expenditure_responsibility,
            &item.expenditure_responsibility,
        );
        fields.lead_units = newer(&before.lead_unit, &item.lead_unit).map(|_| {
            Known::from(
                item.lead_unit
                    .as_deref()
                    .map(|units| split_units(units).into()),
            )
        });
        if fields != FieldUpdates::default() {
            let index = entry(&mut updates, &item.id)?;
            updates[index].1 = fields;
            updates[index].2.push(format!(
                "text as stated in the 2023 edition{}",
                cite(&item.evidence.sources)
            ));
        }
    }

    for change in &new.changes_from_2021 {
        let reason = format!("{}{}", change.detail, cite(&change.sources));
        match change.kind.as_str() {
            "item_added" => {
                let Some(item) = change
                    .item_id
                    .as_deref()
                    .and_then(|i| all_items(new).find(|x| x.id == i))
                else {
                    return Err(BundledError::Shape {
                        file: FILE,
                        path: "changes_from_2021[kind=item_added].item_id".into(),
                        message: "the added item is not among the edition's items".into(),
                    });
                };
                changes.push(ChangeEntry {
                    change: Change::IntroduceItem(item_spec(FILE, item)?),
                    reason: Some(reason),
                });
            }
            "standard_raised" | "target_expanded" => {
                if let Some(item) = change.item_id.as_deref() {
                    let index = entry(&mut updates, item)?;
                    let fields = &mut updates[index].1;
                    // The new text is not on record: the amendment says so rather than invent it.
                    if change.kind == "standard_raised" {
                        fields.service_standard.get_or_insert(Known::Unknown);
                    } else {
                        fields.service_target.get_or_insert(Known::Unknown);
                    }
                    updates[index].2.push(reason);
                }
            }
            "wording_refined" | "lead_unit_changed" => {
                for name in &change.named_items {
                    let Some(item) = by_name.get(name.as_str()) else {
                        continue;
                    };
                    let index = entry(&mut updates, item)?;
                    let fields = &mut updates[index].1;
                    if change.kind == "lead_unit_changed" {
                        fields.lead_units.get_or_insert(Known::Unknown);
                    } else {
                        fields.service_content.get_or_insert(Known::Unknown);
                        fields.service_standard.get_or_insert(Known::Unknown);
                        fields
                            .expenditure_responsibility
                            .get_or_insert(Known::Unknown);
                    }
                    updates[index].2.push(reason.clone());
                }
            }
            // Structure and issuer changes are stated by the revision itself.
            _ => {}
        }
    }
    for (item, fields, reasons) in updates {
        changes.push(ChangeEntry {
            change: Change::AmendItem { item, fields },
            reason: Some(reasons.join("; ")),
        });
    }
    Ok(PublishRevision {
        revision: RevisionInfo {
            id: id(FILE, REVISION_2023, RevisionId::parse)?,
            jurisdiction: Jurisdiction::national(),
            kind: RevisionKind::Adjustment,
            title: new.title_zh.clone(),
            document_no: Known::from(new.document_no.clone()),
            issuers: Known::from(new.issuers.clone()),
            issued_on: Known::from(new.issued),
            // The signature date is not on record; the edition took effect when announced.
            effective_from: announced,
            declared_item_count: Some(new.structure.items),
            implements: None,
            target: None,
            sources: sources(new),
        },
        content: RevisionContent::Changes(changes),
    })
}

type Updates = Vec<(ItemId, FieldUpdates, Vec<String>)>;

/// Index of the item's entry in `updates`, added on first sight (keeps first-seen order).
fn entry(updates: &mut Updates, item: &str) -> Result<usize, BundledError> {
    let item = id("national-2023.json", item, ItemId::parse)?;
    Ok(match updates.iter().position(|(i, _, _)| *i == item) {
        Some(index) => index,
        None => {
            updates.push((item, FieldUpdates::default(), Vec::new()));
            updates.len() - 1
        }
    })
}

/// The bundled national revisions, oldest first.
pub fn national_revisions() -> Result<Vec<PublishRevision>, BundledError> {
    let old = parse("national-2021.json", NATIONAL_2021)?;
    let new = parse("national-2023.json", NATIONAL_2023)?;
    Ok(vec![revision_2021(&old)?, revision_2023(&old, &new)?])
}
