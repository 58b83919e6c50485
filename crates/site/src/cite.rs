//! Citations of an item or a revision: GB/T 7714-2015 text and CSL-JSON,
//! with the permanent link (both times) and the signed checkpoint the page
//! was served at. Metadata not on record is said to be so in brackets, as
//! bibliographies mark what the cataloguer supplies; it is never invented.

use chrono::{Datelike, NaiveDate};
use domain::model::{Known, RevisionInfo};
use registry::page::ItemPage;
use registry::view::RevisionDetail;
use serde_json::{Value, json};

use crate::pages::Ask;

/// A citation block as shown on a page.
#[derive(Debug, Clone)]
pub struct Citation {
    /// GB/T 7714-2015 reference text.
    pub gbt: String,
    /// CSL-JSON, pretty-printed.
    pub csl: String,
    /// The signed checkpoint note the page was served at; `None` when none is signed.
    pub checkpoint: Option<String>,
}

const ISSUERS_NOT_ON_RECORD: &str = "[发布机关未记录]";
const NUMBER_NOT_ON_RECORD: &str = "[文号未记录]";

fn date_parts(date: NaiveDate) -> Value {
    json!({ "date-parts": [[date.year(), date.month(), date.day()]] })
}

/// Responsibility, title and number of a document as GB/T 7714 writes them.
fn document(info: &RevisionInfo) -> (String, String) {
    let issuers = match &info.issuers {
        Known::Known(issuers) => issuers.clone(),
        Known::Unknown => ISSUERS_NOT_ON_RECORD.to_owned(),
    };
    let number = match &info.document_no {
        Known::Known(number) => number.clone(),
        Known::Unknown => NUMBER_NOT_ON_RECORD.to_owned(),
    };
    (issuers, format!("{}: {number}", info.title))
}

/// `(issue date)` where on record, else the effective date said to be one.
fn published(info: &RevisionInfo) -> String {
    match &info.issued_on {
        Known::Known(day) => format!("({day})"),
        Known::Unknown => format!("([发布日期未记录], {} 起施行)", info.effective_from),
    }
}

/// The CSL-JSON fields of a document, leaving out what is not on record.
fn csl_document(info: &RevisionInfo, csl: &mut serde_json::Map<String, Value>) {
    if let Known::Known(number) = &info.document_no {
        csl.insert("number".into(), json!(number));
    }
    if let Known::Known(issuers) = &info.issuers {
        csl.insert("authority".into(), json!(issuers));
        csl.insert("author".into(), json!([{ "literal": issuers }]));
    }
    if let Known::Known(day) = &info.issued_on {
        csl.insert("issued".into(), date_parts(*day));
    }
}

fn note(ask: &Ask, valid_at: Option<NaiveDate>) -> String {
    let valid = valid_at.map_or_else(String::new, |d| format!("valid_at {d}; "));
    let known = ask.pinned().map_or_else(
        || "nothing recorded".to_owned(),
        |t| crate::format::instant(&t),
    );
    let checkpoint = ask.checkpoint.as_ref().map_or_else(
        || "no signed checkpoint".to_owned(),
        |c| {
            format!(
                "checkpoint {} size {}",
                c.checkpoint.origin, c.checkpoint.size
            )
        },
    );
    format!("{valid}known_at {known}; {checkpoint}")
}

impl Citation {
    pub fn of_item(view: &ItemPage, item_name: &str, permalink: &str, ask: &Ask) -> Self {
        let at = view.item.at;
        let source = view
            .item
            .item
            .as_ref()
            .and_then(|i| i.last_changed_by.info.clone());
        let mut csl = serde_json::Map::new();
        csl.insert(
            "id".into(),
            json!(format!(
                "stdreg:{}:{}:{}",
                view.item.jurisdiction, view.item.item_id, at.valid_at
            )),
        );
        csl.insert("type".into(), json!("standard"));
        csl.insert("title".into(), json!(item_name));
        let gbt = match &source {
            Some(info) => {
                let (issuers, title) = document(info);
                csl.insert("container-title".into(), json!(info.title));
                csl_document(info, &mut csl);
                format!(
                    "{issuers}. {item_name}[S/OL]//{issuers}. {title}. {}[{}]. {permalink}.",
                    published(info),
                    ask.today
                )
            }
            None => format!("{item_name}[S/OL]. [{}]. {permalink}.", ask.today),
        };
        Self::finish(gbt, csl, permalink, ask, Some(at.valid_at))
    }

    pub fn of_revision(view: &RevisionDetail, permalink: &str, ask: &Ask) -> Self {
        let info = &view.revision.info;
        let (issuers, title) = document(info);
        let mut csl = serde_json::Map::new();
        csl.insert("id".into(), json!(format!("stdreg:revision:{}", info.id)));
        csl.insert("type".into(), json!("standard"));
        csl.insert("title".into(), json!(info.title));
        csl_document(info, &mut csl);
        let gbt = format!(
            "{issuers}. {title}[S/OL]. {}[{}]. {permalink}.",
            published(info),
            ask.today
        );
        Self::finish(gbt, csl, permalink, ask, None)
    }

    fn finish(
        gbt: String,
        mut csl: serde_json::Map<String, Value>,
        permalink: &str,
        ask: &Ask,
        valid_at: Option<NaiveDate>,
    ) -> Self {
        csl.insert("URL".into(), json!(permalink));
        csl.insert("accessed".into(), date_parts(ask.today));
        csl.insert("note".into(), json!(note(ask, valid_at)));
        Self {
            gbt,
            csl: serde_json::to_string_pretty(&Value::Object(csl)).unwrap_or_default(),
            checkpoint: ask.checkpoint.as_ref().map(|c| c.note().to_owned()),
        }
    }
}
