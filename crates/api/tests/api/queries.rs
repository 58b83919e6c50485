//! Queries against the bundled national data, checked against the registry's
//! own views (what `stdreg … --json` prints).

use chrono::NaiveDate;
use registry::query::Point;
use serde_json::{Value, json};

use crate::{Harness, code};

const TREE: &str = r#"query($at: Date) { standard(jurisdiction: "CN") { edition(validAt: $at) {
    inForce declaredItemCount
    aspects { id name categories { id name items { id number name } } } } } }"#;

fn names(edition: &Value) -> Vec<String> {
    edition["aspects"]
        .as_array()
        .expect("aspects")
        .iter()
        .flat_map(|a| a["categories"].as_array().expect("categories").clone())
        .flat_map(|c| c["items"].as_array().expect("items").clone())
        .filter_map(|i| i["name"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn edition_tree_before_and_after_the_2023_adjustment() {
    let h = Harness::new().await;
    let cases = [
        ("2022-01-01", 9, 22, false, Some(80u64)),
        ("2023-08-09", 9, 22, true, Some(81)),
    ];
    for (at, aspects, categories, folic_acid, declared) in cases {
        let data = h.data(TREE, json!({ "at": at })).await;
        let edition = &data["standard"]["edition"];
        assert_eq!(edition["inForce"], true, "{at}");
        let list = edition["aspects"].as_array().expect("aspects");
        assert_eq!(list.len(), aspects, "{at}");
        let count: usize = list
            .iter()
            .map(|a| a["categories"].as_array().expect("categories").len())
            .sum();
        assert_eq!(count, categories, "{at}");
        assert_eq!(
            names(edition)
                .iter()
                .any(|n| n == "增补叶酸预防神经管缺陷服务"),
            folic_acid,
            "{at}"
        );
        assert_eq!(edition["declaredItemCount"].as_u64(), declared, "{at}");
    }
}

#[tokio::test]
async fn before_the_first_edition_nothing_is_in_force() {
    let h = Harness::new().await;
    let data = h.data(TREE, json!({ "at": "2000-01-01" })).await;
    assert_eq!(data["standard"]["edition"]["inForce"], false);
    assert_eq!(data["standard"]["edition"]["aspects"], json!([]));
}

#[tokio::test]
async fn edition_defaults_to_today_and_items_list_the_whole_edition() {
    let h = Harness::new().await;
    let data = h
        .data(
            r#"{ standard(jurisdiction: "CN") { edition { validAt knownAt itemCount items { id } } } }"#,
            json!({}),
        )
        .await;
    let edition = &data["standard"]["edition"];
    let today = registry::today(chrono::Utc::now()).to_string();
    assert_eq!(edition["validAt"], json!(today));
    assert_eq!(edition["knownAt"], Value::Null);
    assert_eq!(
        edition["items"].as_array().expect("items").len() as u64,
        edition["itemCount"].as_u64().expect("count")
    );
}

#[tokio::test]
async fn item_fields_are_null_exactly_when_not_on_record() {
    let h = Harness::new().await;
    let data = h
        .data(
            r#"{ standard(jurisdiction: "CN") { edition(validAt: "2022-06-01") { items {
                id number categoryId name serviceTarget serviceContent serviceStandard { text levels { measure quantity unit } }
                expenditureResponsibility leadUnits lastChangedBy { id kind title documentNo effectiveFrom recordedAt }
                category { name } } } } }"#,
            json!({}),
        )
        .await;
    let items = data["standard"]["edition"]["items"]
        .as_array()
        .expect("items");
    let day = NaiveDate::parse_from_str("2022-06-01", "%Y-%m-%d").expect("date");
    let edition = h
        .state
        .registry
        .edition(
            &domain::ids::Jurisdiction::national(),
            Point::new(day, None),
        )
        .expect("CN");
    assert!(edition.in_force);
    let mut nulls = 0;
    for item in items {
        let id = domain::ids::ItemId::parse(item["id"].as_str().expect("id")).expect("id");
        let state = &edition.item(&id).expect("in the edition").item;
        let fields = &state.fields;
        let cases = [
            ("name", state.name.is_known()),
            ("serviceTarget", fields.service_target.is_known()),
            ("serviceContent", fields.service_content.is_known()),
            ("serviceStandard", fields.service_standard.is_known()),
            (
                "expenditureResponsibility",
                fields.expenditure_responsibility.is_known(),
            ),
            ("leadUnits", fields.lead_units.is_known()),
            ("number", state.placement.number.is_known()),
        ];
        for (field, known) in cases {
            assert_eq!(!item[field].is_null(), known, "{id} {field}");
            nulls += usize::from(!known);
        }
        assert_eq!(item["lastChangedBy"]["id"], state.last_changed_by.as_str());
        assert!(item["lastChangedBy"]["recordedAt"].is_string());
    }
    assert!(nulls > 0, "the bundled data has fields not on record");
}

#[tokio::test]
async fn versions_agree_with_the_registry_views() {
    let h = Harness::new().await;
    let data = h
        .data(
            r#"{ standard(jurisdiction: "CN") { versions { validFrom itemCount revisions { id } } } }"#,
            json!({}),
        )
        .await;
    let expected: Vec<Value> = h
        .state
        .registry
        .versions(&domain::ids::Jurisdiction::national(), None)
        .expect("CN")
        .iter()
        .map(|v| serde_json::to_value(v).expect("json"))
        .collect();
    let got = data["standard"]["versions"].as_array().expect("versions");
    assert_eq!(got.len(), expected.len());
    assert!(got.len() >= 2, "2021 edition and 2023 adjustment");
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g["validFrom"], e["valid_from"]);
        assert_eq!(g["itemCount"], e["item_count"]);
        let ids: Vec<&Value> = e["revisions"]
            .as_array()
            .expect("r")
            .iter()
            .map(|r| &r["id"])
            .collect();
        let got_ids: Vec<&Value> = g["revisions"]
            .as_array()
            .expect("r")
            .iter()
            .map(|r| &r["id"])
            .collect();
        assert_eq!(got_ids, ids);
    }
}

#[tokio::test]
async fn diff_agrees_with_the_registry_views() {
    let h = Harness::new().await;
    let data = h
        .data(
            r#"{ standard(jurisdiction: "CN") { diff(from: {validAt: "2022-01-01"}, to: {validAt: "2024-01-01"}) {
                isEmpty added { item name } retired { item } changed { item fields { field before after } }
                merged { item } split { item } declaredItemCount { before after } } } }"#,
            json!({}),
        )
        .await;
    let view = {
        let day = |s: &str| {
            Point::new(
                NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date"),
                None,
            )
        };
        let diff = h
            .state
            .registry
            .diff(
                &domain::ids::Jurisdiction::national(),
                day("2022-01-01"),
                day("2024-01-01"),
            )
            .expect("diff");
        serde_json::to_value(diff).expect("json")
    };
    let diff = &data["standard"]["diff"];
    assert_eq!(diff["isEmpty"], false);
    for bucket in ["added", "retired", "changed", "merged", "split"] {
        let got: Vec<&Value> = diff[bucket]
            .as_array()
            .expect("b")
            .iter()
            .map(|i| &i["item"])
            .collect();
        let want: Vec<&Value> = view[bucket]
            .as_array()
            .expect("b")
            .iter()
            .map(|i| &i["item"])
            .collect();
        assert_eq!(got, want, "{bucket}");
    }
    assert!(
        diff["added"]
            .as_array()
            .expect("added")
            .iter()
            .any(|i| i["name"] == "增补叶酸预防神经管缺陷服务")
    );
    assert_eq!(
        diff["declaredItemCount"],
        json!({ "before": 80, "after": 81 })
    );
}

#[tokio::test]
async fn item_history_and_lineage_agree_with_the_registry_views() {
    let h = Harness::new().await;
    for id in ["veteran-resettlement", "folic-acid-ntd-prevention"] {
        let data = h
            .data(
                r#"query($id: ID!) { standard(jurisdiction: "CN") { item(id: $id) { id
                    history { type effectiveFrom recordedAt actor revision { id } changes { field before after beforeText afterText } retired }
                    lineage { relation item depth } } } }"#,
                json!({ "id": id }),
            )
            .await;
        let view = {
            let item = domain::ids::ItemId::parse(id).expect("id");
            let history = h
                .state
                .registry
                .history(Some(&domain::ids::Jurisdiction::national()), &item, None)
                .expect("history");
            serde_json::to_value(history).expect("json")
        };
        let item = &data["standard"]["item"];
        let entries = item["history"].as_array().expect("history");
        let want = view["entries"].as_array().expect("entries");
        assert_eq!(entries.len(), want.len(), "{id}");
        for (g, w) in entries.iter().zip(want) {
            assert_eq!(g["type"], w["event_type"]);
            assert_eq!(g["effectiveFrom"], w["effective_from"]);
            assert_eq!(g["revision"]["id"], w["revision"]);
            assert_eq!(g["actor"], Value::Null, "the public does not see actors");
            let fields: Vec<String> = g["changes"]
                .as_array()
                .expect("c")
                .iter()
                .map(|c| c["field"].as_str().expect("f").to_lowercase())
                .collect();
            let want_fields: Vec<String> = w["changes"]
                .as_array()
                .expect("c")
                .iter()
                .map(|c| c["field"].as_str().expect("f").to_owned())
                .collect();
            assert_eq!(fields, want_fields);
        }
        assert_eq!(
            item["lineage"].as_array().expect("lineage").len(),
            view["lineage"].as_array().expect("lineage").len()
        );
    }
}

#[tokio::test]
async fn revisions_pending_and_revision_lookup() {
    let h = Harness::new().await;
    let data = h
        .data(
            r#"{ standard(jurisdiction: "CN") {
                    revisions { id kind effectiveFrom status(validAt: "2022-01-01") withdrawnBy }
                    pending(validAt: "2022-01-01") { id } }
                 revision(id: "cn-2023") { id jurisdiction kind title effectiveFrom declaredItemCount } }"#,
            json!({}),
        )
        .await;
    let revisions = data["standard"]["revisions"].as_array().expect("revisions");
    assert_eq!(revisions[0]["id"], "cn-2021");
    assert_eq!(revisions[0]["status"], "IN_FORCE");
    assert_eq!(revisions[1]["id"], "cn-2023");
    assert_eq!(revisions[1]["status"], "PENDING");
    assert_eq!(revisions[1]["effectiveFrom"], "2023-08-09");
    assert_eq!(data["standard"]["pending"], json!([{ "id": "cn-2023" }]));
    assert_eq!(data["revision"]["kind"], "ADJUSTMENT");
    assert_eq!(data["revision"]["declaredItemCount"], 81);
}

#[tokio::test]
async fn not_found_and_bad_input_have_their_codes() {
    let h = Harness::new().await;
    let cases = [
        (
            r#"{ standard(jurisdiction: "110000") { jurisdiction } }"#,
            "NOT_FOUND",
        ),
        (
            r#"{ standard(jurisdiction: "Beijing") { jurisdiction } }"#,
            "BAD_USER_INPUT",
        ),
        (r#"{ revision(id: "cn-1999") { id } }"#, "NOT_FOUND"),
        (
            r#"{ revision(id: "no spaces allowed") { id } }"#,
            "BAD_USER_INPUT",
        ),
        (
            r#"{ standard(jurisdiction: "CN") { item(id: "no-such-item") { id } } }"#,
            "NOT_FOUND",
        ),
        (
            r#"{ standard(jurisdiction: "CN") { edition(validAt: "2022-13-45") { inForce } } }"#,
            "BAD_USER_INPUT",
        ),
        (
            r#"{ standard(jurisdiction: "CN") { edition(knownAt: "yesterday") { inForce } } }"#,
            "BAD_USER_INPUT",
        ),
        (
            r#"{ events(after: "not-a-cursor") { edges { cursor } } }"#,
            "BAD_USER_INPUT",
        ),
        (
            r#"{ standard(jurisdiction: "CN") { diff(from: {validAt: "2024-01-01"}, to: {validAt: "2022-01-01"}) { isEmpty } } }"#,
            "BAD_USER_INPUT",
        ),
    ];
    for (query, expected) in cases {
        let (status, body) = h.post(query, json!({}), None).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(code(&body), expected, "{query}: {body}");
        assert!(body["errors"][0]["path"].is_array(), "{query}");
    }
}

#[tokio::test]
async fn events_are_a_relay_connection_over_the_global_log() {
    let h = Harness::new().await;
    const PAGE: &str = r#"query($after: String, $filter: EventFilter) { events(first: 5, after: $after, filter: $filter) {
        edges { cursor node { globalPosition type jurisdiction revisionId actor } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"#;
    let first = h.data(PAGE, json!({})).await;
    let edges = first["events"]["edges"].as_array().expect("edges");
    assert_eq!(edges.len(), 5);
    assert_eq!(edges[0]["node"]["globalPosition"], 1);
    assert_eq!(edges[0]["node"]["type"], "revision_published");
    assert_eq!(edges[0]["node"]["actor"], Value::Null);
    assert_eq!(first["events"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["events"]["pageInfo"]["hasPreviousPage"], false);
    let after = first["events"]["pageInfo"]["endCursor"].clone();
    let second = h.data(PAGE, json!({ "after": after })).await;
    assert_eq!(second["events"]["edges"][0]["node"]["globalPosition"], 6);
    assert_eq!(second["events"]["pageInfo"]["hasPreviousPage"], true);

    let adjustments = h
        .data(
            PAGE,
            json!({ "filter": { "kinds": ["ADJUSTMENT"], "jurisdiction": "CN" } }),
        )
        .await;
    for edge in adjustments["events"]["edges"].as_array().expect("edges") {
        assert_eq!(edge["node"]["revisionId"], "cn-2023");
    }
    let none = h
        .data(
            PAGE,
            json!({ "filter": { "recordedBefore": "2000-01-01T00:00:00Z" } }),
        )
        .await;
    assert_eq!(none["events"]["edges"], json!([]));
    assert_eq!(none["events"]["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn actors_are_shown_to_auditors_and_editors_only() {
    let h = Harness::new().await;
    let query =
        r#"{ revision(id: "cn-2021") { actor } events(first: 1) { edges { node { actor } } } }"#;
    let cases = [
        (None, Value::Null),
        (Some(h.auditor.as_str()), json!("import")),
        (Some(h.national.as_str()), json!("import")),
        (Some("stdreg_unknown"), Value::Null),
    ];
    for (token, expected) in cases {
        let (status, body) = h.post(query, json!({}), token).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["revision"]["actor"], expected, "{token:?}");
        assert_eq!(
            body["data"]["events"]["edges"][0]["node"]["actor"],
            expected
        );
    }
    // A copy of the log without the sealed bytes knows no actor, so no one
    // is shown one, not even a principal.
    let copy = h.anonymous_copy().await;
    for token in [
        None,
        Some(copy.auditor.as_str()),
        Some(copy.national.as_str()),
    ] {
        let (status, body) = copy.post(query, json!({}), token).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["revision"]["actor"], Value::Null, "{token:?}");
        assert_eq!(
            body["data"]["events"]["edges"][0]["node"]["actor"],
            Value::Null,
            "{token:?}"
        );
    }
}

#[tokio::test]
async fn items_cite_their_documents_and_diffs_tell_gaps_from_changes() {
    let h = Harness::new().await;
    let data = h
        .data(
            r#"{ standard(jurisdiction: "CN") {
                edition(validAt: "2024-01-01") { item(id: "radio-listening") {
                    citations { field revision { id documentNo effectiveFrom recordedAt } } } }
                diff(from: {validAt: "2022-01-01"}, to: {validAt: "2024-01-01"}) {
                    changed { item } firstOnRecord { item change fields { field kind } } } } }"#,
            json!({}),
        )
        .await;
    let standard = &data["standard"];
    let citations = standard["edition"]["item"]["citations"]
        .as_array()
        .expect("citations");
    let cited = |field: &str| {
        citations
            .iter()
            .find(|c| c["field"] == field)
            .unwrap_or_else(|| panic!("{field} cited"))["revision"]
            .clone()
    };
    assert_eq!(cited("NAME")["id"], "cn-2021");
    assert_eq!(cited("NAME")["documentNo"], "发改社会〔2021〕443号");
    let standard_text = cited("SERVICE_STANDARD");
    assert_eq!(standard_text["id"], "cn-2023");
    // Not on record stays null, never invented.
    assert_eq!(standard_text["documentNo"], Value::Null);
    assert!(standard_text["recordedAt"].is_string());

    let diff = &standard["diff"];
    let changed: Vec<&Value> = diff["changed"]
        .as_array()
        .expect("changed")
        .iter()
        .map(|i| &i["item"])
        .collect();
    let gaps = diff["firstOnRecord"].as_array().expect("first on record");
    let radio = gaps
        .iter()
        .find(|i| i["item"] == "radio-listening")
        .expect("radio-listening's text is first on record in 2023");
    assert_eq!(radio["change"], "FIRST_ON_RECORD");
    assert!(
        radio["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .all(|f| f["kind"] == "FIRST_ON_RECORD")
    );
    assert!(!changed.contains(&&json!("radio-listening")));
}
