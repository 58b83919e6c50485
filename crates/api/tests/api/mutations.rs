//! `publishRevision`: the retroactive correction through the API, and every
//! way a write is refused (nothing is appended then).

use serde_json::{Value, json};

use crate::{Harness, PUBLISH, code, correction};

const NEW_TEXT: &str = "按规定落实退役军人安置政策";

const STANDARD_AT: &str = r#"query($v: Date, $k: DateTime) { standard(jurisdiction: "CN") {
    edition(validAt: $v, knownAt: $k) { item(id: "veteran-resettlement") { serviceStandard { text } lastChangedBy { id } } } } }"#;

#[tokio::test]
async fn a_retroactive_correction_is_seen_now_and_not_as_known_before() {
    let h = Harness::new().await;
    // The instant the import was recorded: the registry as it stood before the correction.
    let before = h
        .data(r#"{ revision(id: "cn-2023") { recordedAt } }"#, json!({}))
        .await["revision"]["recordedAt"]
        .clone();
    let old = h.data(STANDARD_AT, json!({ "v": "2022-06-01" })).await["standard"]["edition"]
        ["item"]["serviceStandard"]
        .clone();
    assert_ne!(old["text"], NEW_TEXT);
    let version = h
        .data(
            r#"{ standard(jurisdiction: "CN") { streamVersion } }"#,
            json!({}),
        )
        .await["standard"]["streamVersion"]
        .clone();

    let (status, body) = h
        .post(
            PUBLISH,
            json!({ "r": correction("cn-2021-corr-1", NEW_TEXT), "v": version }),
            Some(&h.national),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    let result = &body["data"]["publishRevisionDocument"];
    assert_eq!(result["revision"]["id"], "cn-2021-corr-1");
    assert_eq!(result["revision"]["kind"], "CORRECTION");
    assert_eq!(
        result["revision"]["actor"], "editor:ndrc",
        "the token's principal"
    );
    assert_eq!(result["jurisdiction"], "CN");
    let events = result["events"].as_array().expect("events");
    assert_eq!(
        events.len() as u64,
        result["eventCount"].as_u64().expect("count")
    );
    assert!(events.iter().all(|e| e["actor"] == "editor:ndrc"));
    assert!(events.iter().any(|e| e["type"] == "item_amended"));
    assert_eq!(
        result["streamVersion"].as_u64(),
        Some(version.as_u64().expect("version") + events.len() as u64)
    );

    let now = h.data(STANDARD_AT, json!({ "v": "2022-06-01" })).await;
    let item = &now["standard"]["edition"]["item"];
    assert_eq!(item["serviceStandard"]["text"], NEW_TEXT);
    assert_eq!(item["lastChangedBy"]["id"], "cn-2021-corr-1");

    let then = h
        .data(STANDARD_AT, json!({ "v": "2022-06-01", "k": before }))
        .await;
    let item = &then["standard"]["edition"]["item"];
    assert_eq!(
        item["serviceStandard"], old,
        "as known before the correction"
    );
    assert_eq!(item["lastChangedBy"]["id"], "cn-2021");

    // Before its effective date the correction changes nothing.
    let earlier = h.data(STANDARD_AT, json!({ "v": "2021-12-31" })).await;
    assert_eq!(
        earlier["standard"]["edition"]["item"]["serviceStandard"],
        old
    );

    // The history shows the change with its before and after.
    let history = h
        .data(
            r#"{ standard(jurisdiction: "CN") { item(id: "veteran-resettlement") {
                history { type revision { id } changes { field before afterText } } } } }"#,
            json!({}),
        )
        .await;
    let entries = history["standard"]["item"]["history"]
        .as_array()
        .expect("history");
    let last = entries.last().expect("an entry");
    assert_eq!(last["revision"]["id"], "cn-2021-corr-1");
    assert_eq!(
        last["changes"],
        json!([{ "field": "SERVICE_STANDARD", "before": old, "afterText": NEW_TEXT }])
    );
}

#[tokio::test]
async fn refused_writes_have_codes_and_append_nothing() {
    let h = Harness::new().await;
    let good = correction("cn-2021-corr-1", NEW_TEXT);
    let mut unknown_item = correction("cn-2021-corr-2", NEW_TEXT);
    unknown_item["content"]["changes"][0]["item"] = json!("no-such-item");
    let mut local = correction("sc-2022", NEW_TEXT);
    local["revision"]["jurisdiction"] = json!("510000");
    // (what, revision, token, expectedVersion, code)
    type Case<'a> = (&'a str, Value, Option<&'a str>, Option<u64>, &'a str);
    let cases: Vec<Case> = vec![
        ("no token", good.clone(), None, None, "UNAUTHENTICATED"),
        (
            "unknown token",
            good.clone(),
            Some("stdreg_0000"),
            None,
            "UNAUTHENTICATED",
        ),
        ("auditor", good.clone(), Some(&h.auditor), None, "FORBIDDEN"),
        (
            "local editor on CN",
            good.clone(),
            Some(&h.sichuan),
            None,
            "FORBIDDEN",
        ),
        (
            "national editor on 510000",
            local,
            Some(&h.national),
            None,
            "FORBIDDEN",
        ),
        (
            "stale expectedVersion",
            good.clone(),
            Some(&h.national),
            Some(1),
            "CONFLICT",
        ),
        (
            "unknown item",
            unknown_item,
            Some(&h.national),
            None,
            "REJECTED",
        ),
        (
            "not the import format",
            json!({ "revision": { "id": "x" } }),
            Some(&h.national),
            None,
            "BAD_USER_INPUT",
        ),
    ];
    let start = h.indexed().await;
    for (what, revision, token, version, expected) in cases {
        let (status, body) = h
            .post(PUBLISH, json!({ "r": revision, "v": version }), token)
            .await;
        assert_eq!(status, 200, "{what}: {body}");
        assert_eq!(code(&body), expected, "{what}: {body}");
        assert_eq!(body["data"], Value::Null, "{what}");
        assert_eq!(h.indexed().await, start, "{what}: nothing appended");
    }
}

#[tokio::test]
async fn a_conflict_says_which_version_the_standard_is_at() {
    let h = Harness::new().await;
    let (_, body) = h
        .post(
            PUBLISH,
            json!({ "r": correction("cn-2021-corr-1", NEW_TEXT), "v": 3 }),
            Some(&h.national),
        )
        .await;
    let extensions = &body["errors"][0]["extensions"];
    assert_eq!(extensions["code"], "CONFLICT");
    assert_eq!(extensions["expectedVersion"], 3);
    assert!(extensions["actualVersion"].as_u64().expect("actual") > 3);
}

#[tokio::test]
async fn internal_failures_do_not_leak_details() {
    let h = Harness::new().await;
    h.fail_appends();
    let (status, body) = h
        .post(
            PUBLISH,
            json!({ "r": correction("cn-2021-corr-1", NEW_TEXT) }),
            Some(&h.national),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(code(&body), "INTERNAL");
    let text = body.to_string();
    for secret in ["INSERT", "/var/lib", "events.db", "disk"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}
