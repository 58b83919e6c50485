//! Local implementation standards go through the same events, queries and
//! checks as the national one: publish, adjust, correct (retroactively),
//! editions at (valid_at, known_at), versions, history, diff.
//!
//! The synthetic standards here are written in the import format; the bundled
//! real examples are checked separately at the end and never mixed in.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::NaiveDate;
use domain::DomainError;
use domain::command::PublishRevision;
use domain::ids::{ItemId, Jurisdiction, RevisionId};
use domain::levels::extract_levels;
use domain::model::Known;
use event_store::MemoryStore;
use registry::import::{ImportFile, parse_import};
use registry::query::Point;
use registry::{Registry, RegistryError};
use serde_json::json;

fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// A service standard in the import format, its levels stated as a publishing tool would
/// read them from the text (the import itself reads no levels from text).
fn standard_json(text: &str) -> serde_json::Value {
    json!({"text": text, "levels": extract_levels(text)})
}

fn item(id: &str, national: Option<&str>, standard: &str) -> serde_json::Value {
    json!({
        "id": id,
        "placement": {"category": null, "number": null},
        "name": format!("{id} name"),
        "fields": {
            "service_target": null,
            "service_content": null,
            "service_standard": standard_json(standard),
            "expenditure_responsibility": null,
            "lead_units": null
        },
        "national_item": national
    })
}

fn revision(
    id: &str,
    jurisdiction: &str,
    kind: &str,
    effective: &str,
    extra: serde_json::Value,
    content: serde_json::Value,
) -> PublishRevision {
    let mut info = json!({
        "id": id, "jurisdiction": jurisdiction, "kind": kind, "title": format!("revision {id}"),
        "document_no": null, "issuers": null, "issued_on": null, "effective_from": effective
    });
    if let (Some(info), Some(extra)) = (info.as_object_mut(), extra.as_object()) {
        info.extend(extra.clone());
    }
    let file = json!({"format": "stdreg.revisions/1", "revisions": [{"revision": info, "content": content}]});
    parse_import("test", &file.to_string())
        .unwrap()
        .revisions
        .remove(0)
}

fn national() -> PublishRevision {
    revision(
        "n-2021",
        "CN",
        "comprehensive_revision",
        "2021-04-01",
        json!({}),
        json!({"whole": {"aspects": [], "categories": [], "items": [
            item("radio", None, "提供不少于15套广播节目。"),
            item("fairs", None, "每年至少组织2次招聘活动。")
        ]}}),
    )
}

fn chengdu_2021() -> PublishRevision {
    revision(
        "cd-2021",
        "510100",
        "local_implementation",
        "2021-07-01",
        json!({"implements": "n-2021", "issued_on": "2021-06-20", "declared_item_count": 3}),
        json!({"whole": {"aspects": [], "categories": [], "items": [
            item("cd-radio", Some("radio"), "提供不少于16套广播节目。"),
            item("cd-fairs", Some("fairs"), "每年至少组织3次招聘活动。")
        ], "local_items": [
            beyond("cd-elderly", Some("成发改〔2021〕1号 论证和风险评估"), None)
        ]}}),
    )
}

/// A local item beyond national scope in the import format: an item spec with
/// its assessment beside it (and the change's `op` in a list of changes).
fn beyond(id: &str, assessment: Option<&str>, op: Option<&str>) -> serde_json::Value {
    let mut value = item(id, None, "每人每月不少于100元高龄津贴。");
    let object = value.as_object_mut().unwrap();
    object.insert("assessment".into(), json!(assessment));
    if let Some(op) = op {
        object.insert("op".into(), json!(op));
    }
    value
}

fn iid(text: &str) -> ItemId {
    ItemId::parse(text).unwrap()
}

async fn registry() -> Registry {
    Registry::open(Arc::new(MemoryStore::new())).await.unwrap()
}

#[tokio::test]
async fn a_local_standard_is_published_adjusted_and_corrected_like_the_national_one() {
    let registry = registry().await;
    registry
        .publish(&national(), "editor:ndrc", None)
        .await
        .unwrap();
    let founded = registry
        .publish(&chengdu_2021(), "editor:chengdu", None)
        .await
        .unwrap();
    let adjustment = revision(
        "cd-2022",
        "510100",
        "adjustment",
        "2022-03-01",
        json!({}),
        json!({"changes": [
            {"op": "amend_item", "item": "cd-radio", "fields": {"service_standard": standard_json("提供不少于18套广播节目。")}},
            beyond("cd-bus", None, Some("add_local_item"))
        ]}),
    );
    registry
        .publish(&adjustment, "editor:chengdu", None)
        .await
        .unwrap();
    // The 2021 text said 17, not 16: corrected back to the day it took effect.
    let correction = revision(
        "cd-2021-c1",
        "510100",
        "correction",
        "2021-07-01",
        json!({"target": "cd-2021"}),
        json!({"changes": [
            {"op": "amend_item", "item": "cd-radio", "fields": {"service_standard": standard_json("提供不少于17套广播节目。")}}
        ]}),
    );
    registry
        .publish(&correction, "editor:chengdu", None)
        .await
        .unwrap();

    let chengdu = Jurisdiction::parse("510100").unwrap();
    let edition = |valid_at: &str, known_at| {
        registry
            .edition(&chengdu, Point::new(d(valid_at), known_at))
            .unwrap()
    };
    let radio_text = |valid_at: &str, known_at| {
        let edition = edition(valid_at, known_at);
        let item = &edition.item(&iid("cd-radio")).unwrap().item;
        item.fields
            .service_standard
            .as_known()
            .unwrap()
            .text
            .clone()
    };
    // Bitemporal: the correction changes what 2021-12-01 shows now, not what it showed before.
    assert_eq!(
        radio_text("2021-12-01", Some(founded.recorded_at)),
        "提供不少于16套广播节目。"
    );
    assert_eq!(radio_text("2021-12-01", None), "提供不少于17套广播节目。");
    assert_eq!(radio_text("2022-06-01", None), "提供不少于18套广播节目。");
    // Levels are read from local texts as from national ones.
    let edition = edition("2022-06-01", None);
    let item = |id: &str| &edition.item(&iid(id)).unwrap().item;
    let radio = item("cd-radio");
    assert_eq!(
        radio.fields.service_standard.as_known().unwrap().levels[0].quantity,
        18.0
    );
    assert_eq!(radio.national_item, Some(iid("radio")));
    assert_eq!(
        item("cd-elderly").beyond_national_scope,
        Some(Known::Known("成发改〔2021〕1号 论证和风险评估".into()))
    );
    assert_eq!(item("cd-bus").beyond_national_scope, Some(Known::Unknown));

    // Versions, history and diff work on the local stream.
    let versions: Vec<NaiveDate> = registry
        .versions(&chengdu, None)
        .unwrap()
        .iter()
        .map(|v| v.valid_from)
        .collect();
    assert_eq!(versions, vec![d("2021-07-01"), d("2022-03-01")]);
    let history = registry
        .history(Some(&chengdu), &iid("cd-radio"), None)
        .unwrap();
    let revisions: Vec<&str> = history
        .entries
        .iter()
        .map(|e| e.event.revision.as_str())
        .collect();
    assert_eq!(revisions, vec!["cd-2021", "cd-2021-c1", "cd-2022"]);
    let diff = registry
        .diff(
            &chengdu,
            Point::new(d("2021-12-01"), None),
            Point::new(d("2022-06-01"), None),
        )
        .unwrap();
    let changes: Vec<(&str, &str)> = diff
        .items()
        .iter()
        .map(|i| (i.item.as_str(), i.change))
        .collect();
    assert_eq!(changes, vec![("cd-bus", "added"), ("cd-radio", "changed")]);
    let revisions = registry.revisions(&chengdu, None, d("2026-01-01")).unwrap();
    assert_eq!(
        revisions[0].info.implements,
        Some(RevisionId::parse("n-2021").unwrap())
    );
}

#[tokio::test]
async fn local_standards_that_cannot_be_recorded_are_refused_with_the_reason() {
    let registry = registry().await;
    registry
        .publish(&national(), "editor:ndrc", None)
        .await
        .unwrap();
    let whole = json!({"whole": {"aspects": [], "categories": [], "items": [item("x", Some("radio"), "提供不少于15套广播节目。")]}});
    let unknown = revision(
        "x-1",
        "510100",
        "local_implementation",
        "2021-07-01",
        json!({"implements": "n-1999"}),
        whole.clone(),
    );
    let missing = revision(
        "x-2",
        "510100",
        "local_implementation",
        "2021-07-01",
        json!({}),
        whole.clone(),
    );
    let national_kind = revision(
        "x-3",
        "CN",
        "local_implementation",
        "2021-07-01",
        json!({"implements": "n-2021"}),
        whole,
    );
    assert!(matches!(
        registry.publish(&unknown, "t", None).await.unwrap_err(),
        RegistryError::UnknownNationalRevision { .. }
    ));
    for command in [missing, national_kind] {
        match registry.publish(&command, "t", None).await.unwrap_err() {
            RegistryError::Rejected { source, .. } => assert!(matches!(
                *source,
                DomainError::MissingReference { .. } | DomainError::KindNotForJurisdiction { .. }
            )),
            other => panic!("unexpected {other}"),
        }
    }
}

#[tokio::test]
async fn the_bundled_local_examples_import_after_the_national_data() {
    let local = registry::bundled_local::local_revisions().unwrap();
    let ids: Vec<&str> = local.iter().map(|r| r.revision.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            "shanghai-2022-01-06",
            "shanghai-2024-06-19",
            "chongqing-2024-07-03",
            "fujian-2022-01-06"
        ]
    );
    for r in &local {
        // No local issue date is on record in the data; none is made up.
        assert_eq!(r.revision.issued_on, Known::Unknown, "{}", r.revision.id);
        assert!(r.revision.implements.is_some(), "{}", r.revision.id);
    }

    let registry = registry().await;
    // The national data must come first: the local standards implement it.
    let refused = registry
        .import(&ImportFile::new(local.clone()), "import")
        .await;
    assert!(matches!(
        refused,
        Err(RegistryError::UnknownNationalRevision { .. })
    ));
    let national = registry::bundled::national_revisions().unwrap();
    registry
        .import(&ImportFile::new(national), "import")
        .await
        .unwrap();
    let outcomes = registry
        .import(&ImportFile::new(local.clone()), "import")
        .await
        .unwrap();
    assert_eq!(outcomes.len(), 4);
    // A second import appends nothing.
    let again = registry
        .import(&ImportFile::new(local), "import")
        .await
        .unwrap();
    assert!(
        again
            .iter()
            .all(|o| matches!(o, registry::ImportOutcome::AlreadyRecorded(_)))
    );

    let shanghai = Jurisdiction::parse("310000").unwrap();
    let edition = |valid_at: &str| {
        registry
            .edition(&shanghai, Point::new(d(valid_at), None))
            .unwrap()
    };
    let july = edition("2024-07-01");
    assert_eq!(july.item_count, 6);
    let tv = july
        .item(&iid("tv-watching"))
        .unwrap()
        .item
        .fields
        .service_standard
        .as_known()
        .unwrap();
    assert_eq!(tv.text, "……通过有线广播电视网提供不少于50套有线电视节目……");
    assert_eq!(tv.levels[0].measure, "有线电视节目");
    // Before the page of 2024-06-19 the military items are not on record.
    assert_eq!(edition("2024-06-18").item_count, 2);
}
