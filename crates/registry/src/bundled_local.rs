//! The real local implementation examples shipped with stdreg
//! (`data/local-implementation-examples.json`), as revisions in the import format.
//!
//! The file records what public sources show about some local standards, not
//! the standards themselves: no local issue or effective date is on record,
//! only the date of the page or report that shows a text. So each revision
//! here takes effect on that date (the text is attested in force by then), its
//! issue date stays *not on record*, and compliance can tell a deadline was
//! met only when that date is before it. `implements`, which the registry
//! requires, is not stated by any source: it is the national edition in force
//! on that date. Which examples are left out, and why, is in [`SKIPPED`].

use chrono::NaiveDate;
use domain::command::{Change, ChangeEntry, PublishRevision, RevisionContent, WholeStandard};
use domain::ids::{ItemId, Jurisdiction, RevisionId};
use domain::levels::extract_levels;
use domain::model::{
    ItemFields, ItemSpec, Known, Placement, RevisionInfo, RevisionKind, ServiceStandard,
};
use domain::text::Text;
use serde::Deserialize;

use crate::bundled::{BundledError, national_revisions};
use crate::codec::split_units;

pub const LOCAL_EXAMPLES: &str = include_str!("../../../data/local-implementation-examples.json");

const FILE: &str = "local-implementation-examples.json";

/// Examples of the data file that do not form a revision, with the reason.
pub const SKIPPED: [(&str, &str); 6] = [
    (
        "海南省 (460000)",
        "no date of the standard or of its report is on record, and only six item names without any field",
    ),
    (
        "云南省 (530000)",
        "only a consultation draft is on record (2021-08-23); the adopted text and its date are not",
    ),
    (
        "成都市 (510100)",
        "only headline counts of a draft submitted for review (送审稿): no item, no date",
    ),
    (
        "上海市 2017 list",
        "a 13th Five-Year list of 96 items with no item on record; it predates the national standard",
    ),
    (
        "天津市 (120000)",
        "one gap-filling item described in a reporter's words: no item name, no field text, no national mapping",
    ),
    (
        "江苏省 (320000)",
        "a 13th Five-Year list (2016-2020) with no dates; no national revision it could implement is recorded",
    ),
];

#[derive(Deserialize)]
struct Examples {
    jurisdictions: Vec<Entry>,
    sources: std::collections::BTreeMap<String, Source>,
}

#[derive(Deserialize)]
struct Entry {
    title_zh: String,
    #[serde(default)]
    items: Vec<Item>,
    #[serde(default)]
    sources: Vec<String>,
}

#[derive(Deserialize)]
struct Item {
    jurisdiction_zh: Option<String>,
    national_item_id: Option<String>,
    name_zh: Option<Text>,
    service_target: Option<Text>,
    service_content: Option<Text>,
    /// The item's service standard as the source states it.
    service_standard: Option<Text>,
    /// Same as `service_standard`, in the entries that call it so.
    local_standard: Option<Text>,
    /// Only what the local standard adds to the national text: an excerpt.
    local_addition: Option<Text>,
    expenditure_responsibility: Option<Text>,
    lead_unit: Option<Text>,
}

#[derive(Deserialize)]
struct Source {
    url: Option<String>,
    title: String,
}

/// One revision formed from entries of the file.
struct Recipe {
    id: &'static str,
    jurisdiction: &'static str,
    kind: RevisionKind,
    title: &'static str,
    /// The date of the page or report; must appear in each entry's title.
    attested_on: &'static str,
    /// Entries whose title contains this text, and of those only items of this
    /// jurisdiction when an item names one.
    entries: &'static [&'static str],
    jurisdiction_zh: &'static str,
}

const RECIPES: [Recipe; 4] = [
    Recipe {
        id: "shanghai-2022-01-06",
        jurisdiction: "310000",
        kind: RevisionKind::LocalImplementation,
        title: "上海市基本公共服务实施标准 (items on record by 2022-01-06)",
        attested_on: "2022-01-06",
        entries: &["困难残疾人生活补贴", "Broadcasting provisions"],
        jurisdiction_zh: "上海市",
    },
    Recipe {
        id: "shanghai-2024-06-19",
        jurisdiction: "310000",
        kind: RevisionKind::Adjustment,
        title: "上海市基本公共服务项目清单: 优军服务保障 (page dated 2024-06-19)",
        attested_on: "2024-06-19",
        entries: &["优军服务保障 part"],
        jurisdiction_zh: "上海市",
    },
    Recipe {
        id: "chongqing-2024-07-03",
        jurisdiction: "500000",
        kind: RevisionKind::LocalImplementation,
        title: "重庆市广播电视基本公共服务标准 (as republished 2024-07-03)",
        attested_on: "2024-07-03",
        entries: &["重庆市广播电视基本公共服务标准"],
        jurisdiction_zh: "重庆市",
    },
    Recipe {
        id: "fujian-2022-01-06",
        jurisdiction: "350000",
        kind: RevisionKind::LocalImplementation,
        title: "福建省基本公共服务实施标准: broadcasting provision (reported 2022-01-06)",
        attested_on: "2022-01-06",
        entries: &["Broadcasting provisions"],
        jurisdiction_zh: "福建省",
    },
];

/// Ids for items the sources name but map to no national item on record.
const LOCAL_IDS: [(&str, &str); 1] = [(
    "困难残疾人生活补贴和重度残疾人护理补贴",
    "disability-living-and-care-subsidies",
)];

fn shape(path: impl Into<String>, message: impl Into<String>) -> BundledError {
    BundledError::Shape {
        file: FILE,
        path: path.into(),
        message: message.into(),
    }
}

/// The bundled local revisions, in the order they must be published (after the national ones).
pub fn local_revisions() -> Result<Vec<PublishRevision>, BundledError> {
    let de = &mut serde_json::Deserializer::from_str(LOCAL_EXAMPLES);
    let examples: Examples = serde_path_to_error::deserialize(de)
        .map_err(|e| shape(e.path().to_string(), e.inner().to_string()))?;
    let national = national_revisions()?;
    RECIPES
        .iter()
        .map(|recipe| revision(&examples, &national, recipe))
        .collect()
}

fn revision(
    examples: &Examples,
    national: &[PublishRevision],
    recipe: &Recipe,
) -> Result<PublishRevision, BundledError> {
    let attested_on = NaiveDate::parse_from_str(recipe.attested_on, "%Y-%m-%d")
        .map_err(|e| shape(recipe.id, e.to_string()))?;
    let mut items = Vec::new();
    let mut cited: Vec<&str> = Vec::new();
    let mut dated = false;
    for wanted in recipe.entries {
        let entry = examples
            .jurisdictions
            .iter()
            .find(|e| e.title_zh.contains(wanted))
            .ok_or_else(|| shape(recipe.id, format!("no entry titled like '{wanted}'")))?;
        // The date is read from the entries' own titles: a file that no longer says it is refused.
        dated |= entry.title_zh.contains(recipe.attested_on);
        for item in entry.items.iter().filter(|i| {
            i.jurisdiction_zh
                .as_deref()
                .is_none_or(|j| j == recipe.jurisdiction_zh)
        }) {
            items.push(item_spec(item)?);
        }
        cited.extend(entry.sources.iter().map(String::as_str));
    }
    if !dated {
        return Err(shape(
            recipe.id,
            format!("no entry states the date {}", recipe.attested_on),
        ));
    }
    if items.is_empty() {
        return Err(shape(recipe.id, "no item on record"));
    }
    let implements = national
        .iter()
        .filter(|r| r.revision.effective_from <= attested_on)
        .max_by_key(|r| r.revision.effective_from)
        .map(|r| r.revision.id.clone());
    let mut sources: Vec<String> = cited
        .iter()
        .map(|id| match examples.sources.get(*id) {
            Some(Source {
                url: Some(url),
                title,
            }) => format!("{id}: {title} <{url}>"),
            Some(Source { url: None, title }) => format!("{id}: {title}"),
            None => (*id).to_owned(),
        })
        .collect();
    sources.push(format!(
        "note: in force by {} per the sources above; issue and effective dates not on record; the national edition implemented is not stated (taken as the one in force on that date)",
        recipe.attested_on
    ));
    let info = RevisionInfo {
        id: RevisionId::parse(recipe.id).map_err(|e| shape(recipe.id, e.to_string()))?,
        jurisdiction: Jurisdiction::parse(recipe.jurisdiction)
            .map_err(|e| shape(recipe.id, e.to_string()))?,
        kind: recipe.kind,
        title: recipe.title.to_owned(),
        document_no: Known::Unknown,
        issuers: Known::Unknown,
        issued_on: Known::Unknown,
        effective_from: attested_on,
        declared_item_count: None,
        implements,
        target: None,
        sources,
    };
    let content = if recipe.kind.states_whole_standard() {
        RevisionContent::Whole(WholeStandard {
            items,
            ..WholeStandard::default()
        })
    } else {
        RevisionContent::Changes(
            items
                .into_iter()
                .map(|item| ChangeEntry {
                    change: Change::IntroduceItem(item),
                    reason: None,
                })
                .collect(),
        )
    };
    Ok(PublishRevision {
        revision: info,
        content,
    })
}

fn item_spec(item: &Item) -> Result<ItemSpec, BundledError> {
    let id = match (&item.national_item_id, &item.name_zh) {
        (Some(national), _) => national.as_str(),
        (None, Some(name)) => LOCAL_IDS
            .iter()
            .find(|(n, _)| *n == name.as_str())
            .map(|(_, id)| *id)
            .ok_or_else(|| shape(name.clone(), "no id for an item without a national id"))?,
        (None, None) => return Err(shape("items", "an item with neither id nor name")),
    };
    let parse = |text: &str| ItemId::parse(text).map_err(|e| shape(text.to_owned(), e.to_string()));
    let service_standard = match (
        item.service_standard
            .as_ref()
            .or(item.local_standard.as_ref()),
        &item.local_addition,
    ) {
        (Some(text), _) => Known::Known(ServiceStandard {
            text: text.clone(),
            levels: extract_levels(text).into(),
        }),
        // Only the addition is on record: keep it marked as an excerpt, and read
        // levels from the quoted words alone.
        (None, Some(addition)) => Known::Known(ServiceStandard {
            text: format!("……{addition}……").into(),
            levels: extract_levels(addition).into(),
        }),
        (None, None) => Known::Unknown,
    };
    Ok(ItemSpec {
        id: parse(id)?,
        placement: Placement {
            category: Known::Unknown,
            number: Known::Unknown,
        },
        name: Known::from(item.name_zh.clone()),
        name_en: Known::Unknown,
        fields: ItemFields {
            service_target: Known::from(item.service_target.clone()),
            service_content: Known::from(item.service_content.clone()),
            service_standard,
            expenditure_responsibility: Known::from(item.expenditure_responsibility.clone()),
            lead_units: Known::from(
                item.lead_unit
                    .as_deref()
                    .map(|units| split_units(units).into()),
            ),
        },
        national_item: item.national_item_id.as_deref().map(parse).transpose()?,
    })
}
