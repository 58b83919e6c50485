//! GraphQL over HTTP: methods, content negotiation, status codes; health and readiness.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;

use crate::{Harness, PUBLISH, code, correction};

fn post(body: &str, content_type: &str, accept: Option<&str>) -> Request<Body> {
    let mut request = Request::post("/graphql").header(header::CONTENT_TYPE, content_type);
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT, accept);
    }
    request.body(Body::from(body.to_owned())).expect("request")
}

fn get(query: &str, accept: Option<&str>) -> Request<Body> {
    let mut request = Request::get(format!("/graphql?{query}"));
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT, accept);
    }
    request.body(Body::empty()).expect("request")
}

const STANDARDS: &str = r#"{"query":"{ standards { jurisdiction } }"}"#;

#[tokio::test]
async fn the_response_type_follows_accept() {
    let h = Harness::new().await;
    let cases = [
        (None, StatusCode::OK, Some("application/json")),
        (
            Some("application/json"),
            StatusCode::OK,
            Some("application/json"),
        ),
        (
            Some("application/graphql-response+json"),
            StatusCode::OK,
            Some("application/graphql-response+json"),
        ),
        (
            Some("application/json;q=0.5, application/graphql-response+json"),
            StatusCode::OK,
            Some("application/graphql-response+json"),
        ),
        (
            Some("application/graphql-response+json;q=0.1, application/json"),
            StatusCode::OK,
            Some("application/json"),
        ),
        (Some("*/*"), StatusCode::OK, Some("application/json")),
        (
            Some("application/*"),
            StatusCode::OK,
            Some("application/json"),
        ),
        (Some("text/html"), StatusCode::NOT_ACCEPTABLE, None),
    ];
    for (accept, status, media) in cases {
        let (got, headers, body) = h.send(post(STANDARDS, "application/json", accept)).await;
        assert_eq!(got, status, "{accept:?}: {body}");
        match media {
            Some(media) => {
                let content_type = headers[header::CONTENT_TYPE].to_str().expect("ascii");
                assert!(
                    content_type.starts_with(media),
                    "{accept:?}: {content_type}"
                );
                assert_eq!(body["data"]["standards"], json!([{ "jurisdiction": "CN" }]));
            }
            None => assert_eq!(code(&body), "NOT_ACCEPTABLE"),
        }
    }
}

#[tokio::test]
async fn queries_run_over_get_and_mutations_do_not() {
    let h = Harness::new().await;
    let (status, _, body) = h
        .send(get(
            "query=%7B%20standards%20%7B%20jurisdiction%20%7D%20%7D",
            None,
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["standards"][0]["jurisdiction"], "CN");

    let (status, headers, body) = h
        .send(get(
            "query=mutation%20%7B%20publishRevisionDocument(document%3A%20%7B%7D)%20%7B%20eventCount%20%7D%20%7D",
            Some("application/graphql-response+json"),
        ))
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    assert_eq!(headers[header::ALLOW], "POST");
    assert_eq!(code(&body), "METHOD_NOT_ALLOWED");
}

/// Requests that cannot run get no `data`. A body that is not a GraphQL
/// request gets 400 whatever the client reads; a document that does not parse
/// or validate gets 400 in `application/graphql-response+json` and 200 in
/// `application/json` (GraphQL over HTTP: older clients read errors only from a 200).
#[tokio::test]
async fn requests_that_cannot_run_get_errors_without_data() {
    let h = Harness::new().await;
    let json_status = |document_error: bool| {
        if document_error {
            StatusCode::OK
        } else {
            StatusCode::BAD_REQUEST
        }
    };
    let cases = [
        (
            r#"{"query":"{ standards { "}"#,
            "GRAPHQL_PARSE_FAILED",
            true,
        ),
        (
            r#"{"query":"{ standards { noSuchField } }"}"#,
            "GRAPHQL_VALIDATION_FAILED",
            true,
        ),
        (r#"{"query": 42}"#, "BAD_REQUEST", false),
        (r#"not json"#, "BAD_REQUEST", false),
        (
            r#"{"query":"subscription { events { type } }"}"#,
            "BAD_REQUEST",
            false,
        ),
    ];
    for (body, expected, document_error) in cases {
        for (accept, status) in [
            ("application/graphql-response+json", StatusCode::BAD_REQUEST),
            ("application/json", json_status(document_error)),
            ("*/*", json_status(document_error)),
        ] {
            let (got, _, answer) = h.send(post(body, "application/json", Some(accept))).await;
            assert_eq!(got, status, "{accept}: {body}: {answer}");
            assert_eq!(code(&answer), expected, "{body}");
            assert!(answer.get("data").is_none(), "{body}: {answer}");
        }
    }
}

/// GET takes the parameters POST takes, under the same names.
#[tokio::test]
async fn get_picks_the_operation_named() {
    let h = Harness::new().await;
    let document = "query A { indexedPosition } query B { standards { jurisdiction } }";
    let encode = |pairs: &[(&str, &str)]| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(pairs);
        query.finish()
    };
    let (status, _, body) = h
        .send(get(
            &encode(&[("query", document), ("operationName", "B")]),
            None,
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"],
        json!({ "standards": [{ "jurisdiction": "CN" }] })
    );
    // The same document by POST, for comparison.
    let post_body = json!({ "query": document, "operationName": "B" }).to_string();
    let (_, _, posted) = h.send(post(&post_body, "application/json", None)).await;
    assert_eq!(posted, body);
    let (status, _, body) = h
        .send(get(
            &encode(&[
                (
                    "query",
                    "query($j: String!) { standard(jurisdiction: $j) { jurisdiction } }",
                ),
                ("variables", r#"{"j":"CN"}"#),
            ]),
            None,
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["standard"]["jurisdiction"], "CN");
    for (query, needle) in [
        (
            encode(&[
                ("query", "{ indexedPosition }"),
                ("query", "{ standards { jurisdiction } }"),
            ]),
            "twice",
        ),
        (
            encode(&[("query", "{ indexedPosition }"), ("variables", "{nope")]),
            "`variables` is not JSON",
        ),
        (encode(&[("operationName", "B")]), "`query` is missing"),
    ] {
        let (status, _, body) = h.send(get(&query, None)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(code(&body), "BAD_REQUEST");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(needle), "{message}");
    }
}

#[tokio::test]
async fn a_wrong_content_type_gets_a_clear_json_error() {
    let h = Harness::new().await;
    for content_type in ["text/plain", "application/x-www-form-urlencoded", ""] {
        let (status, headers, body) = h.send(post(STANDARDS, content_type, None)).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type}");
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .expect("ascii")
                .contains("json")
        );
        assert_eq!(code(&body), "UNSUPPORTED_MEDIA_TYPE");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .expect("message")
                .contains("application/json")
        );
    }
    let (status, _, _) = h
        .send(post(STANDARDS, "application/json; charset=utf-8", None))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn health_and_readiness() {
    let h = Harness::new().await;
    let (status, _, body) = h
        .send(Request::get("/healthz").body(Body::empty()).expect("r"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "alive");
    let (status, _, body) = h
        .send(Request::get("/readyz").body(Body::empty()).expect("r"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["indexed"], body["head"]);
}

#[tokio::test]
async fn readiness_follows_the_log() {
    let h = Harness::new().await;
    // Append behind the registry's back: the index lags until it catches up.
    let other =
        registry::Registry::open(h.store.clone() as std::sync::Arc<dyn event_store::EventStore>)
            .await
            .expect("second registry");
    let command: domain::command::PublishRevision =
        serde_json::from_value(correction("cn-2021-corr-1", "按规定落实")).expect("command");
    other
        .publish(&command, "editor:other", None)
        .await
        .expect("publish");
    let (status, _, body) = h
        .send(Request::get("/readyz").body(Body::empty()).expect("r"))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    h.state.registry.catch_up().await.expect("catch up");
    let (status, _, _) = h
        .send(Request::get("/readyz").body(Body::empty()).expect("r"))
        .await;
    assert_eq!(status, StatusCode::OK);
    // Publishing through the API after that sees the other writer's revision.
    let (_, body) = h
        .post(
            PUBLISH,
            json!({ "r": correction("cn-2021-corr-1", "按规定落实") }),
            Some(&h.national),
        )
        .await;
    assert_eq!(code(&body), "REJECTED", "{body}");
}
