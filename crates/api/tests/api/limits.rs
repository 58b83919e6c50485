//! Every limit of `api::limits`: a request past it gets a clear error, not a hang.

use std::time::Duration;

use api::limits::{self, Limits};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;

use crate::{Harness, PUBLISH, code, correction};

#[tokio::test]
async fn queries_nested_too_deep_are_refused() {
    let h = Harness::new().await;
    // ItemVersion.category.items.category… nests as deep as one likes.
    let mut selection = "id".to_owned();
    // Each step nests two levels.
    for _ in 0..limits::DEPTH_MAX / 2 {
        selection = format!("category {{ items {{ {selection} }} }}");
    }
    let query = format!(
        r#"{{ standard(jurisdiction: "CN") {{ edition {{ items {{ {selection} }} }} }} }}"#
    );
    let (status, body) = h.post(&query, json!({}), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(code(&body), "QUERY_TOO_DEEP");
}

#[tokio::test]
async fn queries_with_too_many_fields_are_refused() {
    let h = Harness::new().await;
    let aliases: String = (0..=limits::COMPLEXITY_MAX)
        .map(|i| format!("a{i}: indexedPosition "))
        .collect();
    let (status, body) = h.post(&format!("{{ {aliases} }}"), json!({}), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{}", body["errors"]);
    assert_eq!(code(&body), "QUERY_TOO_COMPLEX");
}

#[tokio::test]
async fn graphiql_introspection_fits_the_limits() {
    let h = Harness::new().await;
    let (status, body) = h.post(INTROSPECTION, json!({}), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["data"]["__schema"]["types"].is_array());
}

#[tokio::test]
async fn page_size_is_1_to_100() {
    let h = Harness::new().await;
    let cases = [
        (0, false),
        (1, true),
        (100, true),
        (101, false),
        (-1, false),
    ];
    for (first, ok) in cases {
        let (_, body) = h
            .post(
                "query($n: Int) { events(first: $n) { edges { cursor } } }",
                json!({ "n": first }),
                None,
            )
            .await;
        if ok {
            assert!(body.get("errors").is_none(), "{first}: {body}");
        } else {
            assert_eq!(code(&body), "BAD_USER_INPUT", "{first}");
            assert!(
                body["errors"][0]["message"]
                    .as_str()
                    .expect("m")
                    .contains("100")
            );
        }
    }
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused() {
    let h = Harness::with_limits(Limits {
        body_bytes_max: 64 * 1024,
        ..Limits::default()
    })
    .await;
    let padding = " ".repeat(128 * 1024);
    let body = format!(r#"{{"query":"{{ standards {{ jurisdiction }} }}{padding}"}}"#);
    for declared in [true, false] {
        let mut request =
            Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
        if declared {
            request = request.header(header::CONTENT_LENGTH, body.len());
        }
        let (status, _, answer) = h
            .send(request.body(Body::from(body.clone())).expect("request"))
            .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "declared {declared}");
        assert_eq!(code(&answer), "PAYLOAD_TOO_LARGE");
    }
}

#[tokio::test]
async fn the_default_body_limit_holds_a_whole_revision() {
    let revisions = registry::bundled::national_revisions().expect("bundled");
    let text = serde_json::to_string(&revisions[0]).expect("json");
    assert!(
        text.len() * 2 < limits::BODY_BYTES_MAX,
        "{} bytes",
        text.len()
    );
}

#[tokio::test]
async fn requests_past_the_timeout_are_stopped() {
    let h = Harness::with_limits(Limits {
        request_timeout: Duration::from_millis(200),
        ..Limits::default()
    })
    .await;
    let start = h.indexed().await;
    h.stall_appends();
    let (status, body) = h
        .post(
            PUBLISH,
            json!({ "r": correction("cn-2021-corr-1", "按规定落实") }),
            Some(&h.national),
        )
        .await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{body}");
    assert_eq!(code(&body), "TIMEOUT");
    assert_eq!(h.indexed().await, start);
}

/// What GraphiQL sends to learn the schema.
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}
"#;
