//! Kept answers of read-only queries are never served where they would be
//! wrong: after the log moves, or to a caller who may see less.

use serde_json::json;

use crate::{Harness, PUBLISH, correction};

const ITEM: &str = r#"{ standard(jurisdiction: "CN") { edition(validAt: "2022-06-01") {
    item(id: "veteran-resettlement") { serviceStandard { text } lastChangedBy { id } } } } }"#;

const ACTORS: &str = r#"{ standard(jurisdiction: "CN") { revisions { id actor } } }"#;

#[tokio::test]
async fn a_repeated_query_sees_what_was_published_in_between() {
    let h = Harness::new().await;
    let first = h.data(ITEM, json!({})).await;
    assert_eq!(
        h.data(ITEM, json!({})).await,
        first,
        "the same answer twice"
    );
    let (status, body) = h
        .post(
            PUBLISH,
            json!({ "r": correction("cn-2021-corr-kept", "更正后的文本") }),
            Some(&h.national),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let after = h.data(ITEM, json!({})).await;
    let item = &after["standard"]["edition"]["item"];
    assert_eq!(item["serviceStandard"]["text"], "更正后的文本");
    assert_eq!(item["lastChangedBy"]["id"], "cn-2021-corr-kept");
}

#[tokio::test]
async fn an_answer_showing_actors_is_not_served_to_the_public() {
    let h = Harness::new().await;
    let (status, audited) = h.post(ACTORS, json!({}), Some(&h.auditor)).await;
    assert_eq!(status, 200, "{audited}");
    assert_eq!(
        audited["data"]["standard"]["revisions"][0]["actor"],
        "import"
    );
    for _ in 0..2 {
        let public = h.data(ACTORS, json!({})).await;
        assert_eq!(public["standard"]["revisions"][0]["actor"], json!(null));
    }
    let (_, again) = h.post(ACTORS, json!({}), Some(&h.auditor)).await;
    assert_eq!(again, audited);
}

#[tokio::test]
async fn variables_and_operation_names_are_part_of_the_question() {
    let h = Harness::new().await;
    let query = r#"query Edition($v: Date) { standard(jurisdiction: "CN") { edition(validAt: $v) { itemCount } } }"#;
    for (valid_at, expected) in [("2022-01-01", 34), ("2024-01-01", 35), ("2022-01-01", 34)] {
        let data = h.data(query, json!({ "v": valid_at })).await;
        assert_eq!(
            data["standard"]["edition"]["itemCount"], expected,
            "{valid_at}"
        );
    }
}
