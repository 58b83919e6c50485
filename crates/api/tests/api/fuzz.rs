//! Fuzzing on stable Rust of the GraphQL request limits: documents built from
//! the schema's own fields, nested, aliased and fragmented past every limit,
//! and arbitrary bodies. The server answers each with JSON and a status it
//! documents, never a panic or a 500. Proptest's budget (64 cases each, every
//! case a request) runs in CI; `PROPTEST_CASES=10000` runs the longer campaign.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use crate::Harness;

/// Statuses a GraphQL request may get.
const DOCUMENTED: [StatusCode; 5] = [
    StatusCode::OK,
    StatusCode::BAD_REQUEST,
    StatusCode::PAYLOAD_TOO_LARGE,
    StatusCode::UNSUPPORTED_MEDIA_TYPE,
    StatusCode::NOT_ACCEPTABLE,
];

fn config(default_cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(default_cases);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// A selection built from real fields, nested up to `depth` and aliased.
fn selection() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("id".to_owned()),
        Just("name".to_owned()),
        Just("number".to_owned()),
        Just("__typename".to_owned()),
        Just("cursor".to_owned()),
        "[a-zA-Z_][a-zA-Z0-9_]{0,8}",
    ];
    leaf.prop_recursive(24, 200, 6, |inner| {
        (
            prop_oneof![
                Just("items"),
                Just("category"),
                Just("aspects"),
                Just("edition"),
                Just("standard(jurisdiction: \"CN\")"),
                Just("events(first: 100)"),
                Just("edges"),
                Just("node"),
            ],
            prop::collection::vec(inner, 1..6),
            prop::option::of("[a-z]{1,6}"),
        )
            .prop_map(|(field, children, alias)| {
                let alias = alias.map(|a| format!("{a}: ")).unwrap_or_default();
                format!("{alias}{field} {{ {} }}", children.join(" "))
            })
    })
}

fn document() -> impl Strategy<Value = String> {
    prop_oneof![
        selection().prop_map(|s| format!("{{ {s} }}")),
        (selection(), 1usize..1_500).prop_map(|(s, copies)| {
            let aliases: String = (0..copies)
                .map(|i| format!("a{i}: indexedPosition "))
                .collect();
            format!("{{ {aliases} {s} }}")
        }),
        (selection(), "[a-zA-Z]{1,8}").prop_map(|(s, name)| {
            format!("query {{ ...{name} }} fragment {name} on Query {{ {s} ...{name} }}")
        }),
        "[ -~]{0,200}",
        any::<String>(),
    ]
}

#[test]
fn generated_documents_get_documented_answers() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let harness = runtime.block_on(Harness::new());
    let mut runner = TestRunner::new(config(64));
    runner
        .run(&document(), |query| {
            let (status, body) = runtime.block_on(harness.post(&query, json!({}), None));
            prop_assert!(DOCUMENTED.contains(&status), "{status} for {query}: {body}");
            if status != StatusCode::OK {
                prop_assert!(
                    body["errors"][0]["extensions"]["code"].is_string(),
                    "{body}"
                );
            }
            Ok(())
        })
        .expect("no undocumented answer");
}

#[test]
fn arbitrary_bodies_get_documented_answers() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let harness = runtime.block_on(Harness::new());
    let body = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        "\\{\"query\": ?\"[ -~]{0,60}\"(, ?\"variables\": ?(null|\\{\\}|\\[\\]|\"x\"|1))?(, ?\"operationName\": ?\"[a-z]{0,5}\")?\\}"
            .prop_map(String::into_bytes),
    ];
    let content_type = prop_oneof![
        Just("application/json"),
        Just("application/json; charset=utf-8"),
        Just("text/plain"),
        Just(""),
    ];
    let mut runner = TestRunner::new(config(64));
    runner
        .run(&(body, content_type), |(bytes, content_type)| {
            let request = Request::post("/graphql")
                .header("content-type", content_type)
                .header("accept", "application/json")
                .body(Body::from(bytes.clone()))
                .expect("request");
            let (status, _, body) = runtime.block_on(harness.send(request));
            prop_assert!(DOCUMENTED.contains(&status), "{status}: {body}");
            prop_assert!(body.is_object(), "{body}");
            let _: &Value = &body["errors"];
            Ok(())
        })
        .expect("no undocumented answer");
}
