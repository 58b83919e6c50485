//! The typed mutations: `publishRevision(input:)`, `correctRevision` and
//! `withdrawRevision` record what the import format would, are refused by
//! the same rules (with the input path in the message), and check the caller
//! as `publishRevisionDocument` does.

use serde_json::{Value, json};

use crate::{Harness, PUBLISH, code, correction};

const NEW_TEXT: &str = "按规定落实退役军人安置政策";

const RESULT: &str = "revision { id kind title documentNo issuers issuedOn effectiveFrom target sources actor } jurisdiction eventCount events { type revisionId actor effectiveFrom }";

fn typed_publish() -> String {
    format!(
        "mutation($i: PublishRevisionInput!, $v: Int) {{ publishRevision(input: $i, expectedVersion: $v) {{ {RESULT} }} }}"
    )
}

fn typed_correct() -> String {
    format!(
        "mutation($id: ID!, $i: CorrectionInput!, $v: Int) {{ correctRevision(id: $id, input: $i, expectedVersion: $v) {{ {RESULT} }} }}"
    )
}

fn typed_withdraw() -> String {
    format!(
        "mutation($id: ID!, $reason: String!, $v: Int, $w: WithdrawalInput) {{ withdrawRevision(id: $id, reason: $reason, expectedVersion: $v, withdrawal: $w) {{ {RESULT} }} }}"
    )
}

/// `correction(id, text)` of the import format, as `publishRevision`'s input.
fn typed_correction(id: &str, text: &str) -> Value {
    json!({
        "revision": {
            "id": id, "jurisdiction": "CN", "kind": "CORRECTION",
            "title": "关于更正《国家基本公共服务标准(2021年版)》的说明",
            "effectiveFrom": "2022-01-01", "target": "cn-2021"
        },
        "changes": [{ "amendItem": {
            "item": "veteran-resettlement",
            "fields": { "serviceStandard": { "text": text } },
            "reason": "corrects the printed text"
        }}]
    })
}

/// A future-dated adjustment of `CN`, which can still be withdrawn.
fn typed_adjustment(id: &str) -> Value {
    json!({
        "revision": {
            "id": id, "jurisdiction": "CN", "kind": "ADJUSTMENT",
            "title": "关于调整……的通知", "documentNo": "发改社会〔2029〕1号",
            "effectiveFrom": "2030-01-01", "sources": ["https://example.org/notice"]
        },
        "changes": [
            { "introduceItem": {
                "id": "new-service",
                "placement": { "category": "C21", "number": 9 },
                "name": "新服务",
                "fields": {
                    "serviceTarget": "城乡居民。",
                    "serviceStandard": { "text": "每年不少于2次。", "levels": [
                        { "measure": "次", "comparator": "AT_LEAST", "quantity": 2, "unit": "次", "period": "YEAR" }
                    ]},
                    "leadUnits": ["广电总局"]
                }
            }},
            { "amendItem": { "item": "new-service", "fields": { "serviceContent": null } } }
        ]
    })
}

/// Runs a mutation that must succeed; returns the field it answers with.
async fn ok(h: &Harness, query: &str, variables: Value, field: &str) -> Value {
    let (status, body) = h.post(query, variables, Some(&h.national)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    body["data"][field].clone()
}

#[tokio::test]
async fn typed_and_document_publishing_record_the_same() {
    let typed = Harness::new().await;
    let document = Harness::new().await;
    let by_type = ok(
        &typed,
        &typed_publish(),
        json!({ "i": typed_correction("cn-2021-corr-1", NEW_TEXT) }),
        "publishRevision",
    )
    .await;
    let by_document = ok(
        &document,
        &PUBLISH.replace(
            "revision { id kind recordedAt actor } jurisdiction eventCount streamVersion lastGlobalPosition recordedAt events { type revisionId actor }",
            RESULT,
        ),
        json!({ "r": correction("cn-2021-corr-1", NEW_TEXT) }),
        "publishRevisionDocument",
    )
    .await;
    assert_eq!(by_type, by_document);
    assert_eq!(by_type["revision"]["documentNo"], Value::Null);
    assert!(
        by_type["events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["type"] == "item_amended")
    );

    // The correction mutation records the same with the document fields flat.
    let corrected = Harness::new().await;
    let by_correction = ok(
        &corrected,
        &typed_correct(),
        json!({ "id": "cn-2021", "i": {
            "id": "cn-2021-corr-1",
            "title": "关于更正《国家基本公共服务标准(2021年版)》的说明",
            "effectiveFrom": "2022-01-01",
            "changes": typed_correction("x", NEW_TEXT)["changes"],
        }}),
        "correctRevision",
    )
    .await;
    assert_eq!(by_correction, by_type);
}

#[tokio::test]
async fn a_whole_adjustment_with_every_kind_of_field_is_recorded() {
    let h = Harness::new().await;
    let published = ok(
        &h,
        &typed_publish(),
        json!({ "i": typed_adjustment("cn-2030-adj") }),
        "publishRevision",
    )
    .await;
    assert_eq!(published["revision"]["kind"], "ADJUSTMENT");
    assert_eq!(published["revision"]["documentNo"], "发改社会〔2029〕1号");
    assert_eq!(
        published["revision"]["sources"],
        json!(["https://example.org/notice"])
    );
    let item = h
        .data(
            r#"{ standard(jurisdiction: "CN") { edition(validAt: "2030-01-01") { item(id: "new-service") {
                name serviceTarget serviceContent serviceStandard { text levels { comparator quantity period } } leadUnits } } } }"#,
            json!({}),
        )
        .await;
    let item = &item["standard"]["edition"]["item"];
    assert_eq!(item["name"], "新服务");
    assert_eq!(item["serviceContent"], Value::Null, "not on record");
    assert_eq!(
        item["serviceStandard"]["levels"],
        json!([{ "comparator": "AT_LEAST", "quantity": 2.0, "period": "YEAR" }])
    );
    assert_eq!(item["leadUnits"], json!(["广电总局"]));
}

#[tokio::test]
async fn a_pending_revision_is_withdrawn_and_one_in_force_is_not() {
    let h = Harness::new().await;
    ok(
        &h,
        &typed_publish(),
        json!({ "i": typed_adjustment("cn-2030-adj") }),
        "publishRevision",
    )
    .await;
    let withdrawn = ok(
        &h,
        &typed_withdraw(),
        json!({ "id": "cn-2030-adj", "reason": "superseded before taking effect" }),
        "withdrawRevision",
    )
    .await;
    assert_eq!(withdrawn["revision"]["id"], "cn-2030-adj-withdrawal");
    assert_eq!(withdrawn["revision"]["kind"], "WITHDRAWAL");
    assert_eq!(withdrawn["revision"]["target"], "cn-2030-adj");
    assert_eq!(
        withdrawn["revision"]["title"],
        "superseded before taking effect"
    );
    assert_eq!(withdrawn["revision"]["effectiveFrom"], "2030-01-01");
    assert!(
        withdrawn["events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["type"] == "revision_withdrawn")
    );
    let status = h
        .data(
            r#"{ revision(id: "cn-2030-adj") { status withdrawnBy } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        status["revision"],
        json!({ "status": "WITHDRAWN", "withdrawnBy": "cn-2030-adj-withdrawal" })
    );

    // Given the notice's own fields.
    ok(
        &h,
        &typed_publish(),
        json!({ "i": typed_adjustment("cn-2031-adj") }),
        "publishRevision",
    )
    .await;
    let notice = ok(
        &h,
        &typed_withdraw(),
        json!({ "id": "cn-2031-adj", "reason": "r", "w": {
            "id": "cn-2031-w", "title": "关于撤回……的通知", "issuedOn": "2029-06-01" } }),
        "withdrawRevision",
    )
    .await;
    assert_eq!(notice["revision"]["id"], "cn-2031-w");
    assert_eq!(notice["revision"]["issuedOn"], "2029-06-01");

    let start = h.indexed().await;
    for (what, id, expected) in [
        ("in force", "cn-2021", "REJECTED"),
        ("already withdrawn", "cn-2030-adj", "REJECTED"),
        ("not recorded", "cn-1999", "NOT_FOUND"),
        ("not an id", "no spaces", "BAD_USER_INPUT"),
    ] {
        let (_, body) = h
            .post(
                &typed_withdraw(),
                json!({ "id": id, "reason": "r" }),
                Some(&h.national),
            )
            .await;
        assert_eq!(code(&body), expected, "{what}: {body}");
        assert_eq!(h.indexed().await, start, "{what}: nothing appended");
    }
}

#[tokio::test]
async fn input_errors_name_the_input_path() {
    let h = Harness::new().await;
    let with = |path: &[&str], value: Value| {
        let mut input = typed_correction("cn-2021-corr-9", NEW_TEXT);
        let mut at = &mut input;
        for key in path {
            at = match key.parse::<usize>() {
                Ok(index) => &mut at[index],
                Err(_) => &mut at[*key],
            };
        }
        *at = value;
        input
    };
    let whole = json!({
        "aspects": [], "categories": [],
        "items": [{ "id": "i", "placement": { "category": "not a category" }, "fields": {} }]
    });
    // (what, input, words the message must hold)
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        (
            "jurisdiction",
            with(&["revision", "jurisdiction"], json!("Sichuan")),
            vec!["input.revision.jurisdiction", "Sichuan"],
        ),
        (
            "revision id",
            with(&["revision", "id"], json!("a b")),
            vec!["input.revision.id", "revision id"],
        ),
        (
            "item of a change",
            with(&["changes", "0", "amendItem", "item"], json!("no/slash")),
            vec!["input.changes[0].amendItem", "item id"],
        ),
        (
            "both contents",
            with(&["whole"], whole.clone()),
            vec!["exactly one of `whole`", "`changes`"],
        ),
        (
            "category of a whole item",
            {
                let mut input = typed_correction("cn-2021-corr-9", NEW_TEXT);
                input["revision"]["kind"] = json!("COMPREHENSIVE_REVISION");
                input["changes"] = Value::Null;
                input["whole"] = whole;
                input
            },
            vec!["input.whole.items[0].placement.category", "category id"],
        ),
    ];
    let start = h.indexed().await;
    for (what, input, words) in cases {
        let (_, body) = h
            .post(&typed_publish(), json!({ "i": input }), Some(&h.national))
            .await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{what}: {body}");
        let message = body["errors"][0]["message"].as_str().expect("message");
        for word in words {
            assert!(message.contains(word), "{what}: {word} not in {message}");
        }
        assert_eq!(h.indexed().await, start, "{what}: nothing appended");
    }

    // What GraphQL itself checks (types, enums, dates) names the input type.
    let (status, body) = h
        .post(
            &typed_publish(),
            json!({ "i": with(&["revision", "effectiveFrom"], json!("2022-1-1")) }),
            Some(&h.national),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let message = body["errors"][0]["message"].as_str().expect("message");
    for word in ["2022-1-1", "YYYY-MM-DD", "RevisionInput"] {
        assert!(message.contains(word), "{word} not in {message}");
    }
}

#[tokio::test]
async fn every_write_checks_the_caller_the_same_way() {
    let h = Harness::new().await;
    ok(
        &h,
        &typed_publish(),
        json!({ "i": typed_adjustment("cn-2030-adj") }),
        "publishRevision",
    )
    .await;
    let writes: Vec<(&str, String, Value)> = vec![
        (
            "publishRevision",
            typed_publish(),
            json!({ "i": typed_correction("cn-2021-corr-1", NEW_TEXT) }),
        ),
        (
            "publishRevisionDocument",
            PUBLISH.to_owned(),
            json!({ "r": correction("cn-2021-corr-1", NEW_TEXT) }),
        ),
        (
            "correctRevision",
            typed_correct(),
            json!({ "id": "cn-2021", "i": { "id": "cn-2021-corr-1", "title": "t",
                "changes": typed_correction("x", NEW_TEXT)["changes"] } }),
        ),
        (
            "withdrawRevision",
            typed_withdraw(),
            json!({ "id": "cn-2030-adj", "reason": "r" }),
        ),
    ];
    let callers = [
        ("no token", None, "UNAUTHENTICATED"),
        ("unknown token", Some("stdreg_0000"), "UNAUTHENTICATED"),
        ("auditor", Some(h.auditor.as_str()), "FORBIDDEN"),
        ("local editor on CN", Some(h.sichuan.as_str()), "FORBIDDEN"),
    ];
    let start = h.indexed().await;
    for (mutation, query, variables) in &writes {
        for (who, token, expected) in callers {
            let (_, body) = h.post(query, variables.clone(), token).await;
            assert_eq!(code(&body), expected, "{mutation} by {who}: {body}");
            assert_eq!(h.indexed().await, start, "{mutation} by {who}");
        }
        // A stale expectedVersion is a conflict on every write.
        let mut stale = variables.clone();
        stale["v"] = json!(1);
        let (_, body) = h.post(query, stale, Some(&h.national)).await;
        assert_eq!(code(&body), "CONFLICT", "{mutation}: {body}");
    }
}
