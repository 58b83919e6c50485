//! The events subscription: a subscriber that started before a publish receives its events.

use std::time::Duration;

use api::auth::Caller;
use futures::StreamExt;
use serde_json::json;

use crate::{Harness, PUBLISH, correction};

/// Bounds every wait, so that a broken stream fails the test instead of hanging it.
const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_subscriber_receives_events_recorded_after_it_subscribed() {
    let h = Harness::new().await;
    let schema = api::schema(&h.state);
    let after = h.indexed().await;
    let request = async_graphql::Request::new(format!(
        r#"subscription {{ events(after: "{after}", filter: {{ jurisdiction: "CN" }}) {{ globalPosition type revisionId actor }} }}"#
    ))
    .data(Caller::Anonymous);
    let mut stream = schema.execute_stream(request);

    let (_, body) = h
        .post(
            PUBLISH,
            json!({ "r": correction("cn-2021-corr-1", "按规定落实") }),
            Some(&h.national),
        )
        .await;
    let count = body["data"]["publishRevisionDocument"]["eventCount"]
        .as_u64()
        .expect("published");

    let mut received = Vec::new();
    for _ in 0..count {
        let response = tokio::time::timeout(WAIT, stream.next())
            .await
            .expect("an event in time")
            .expect("stream open");
        assert!(response.errors.is_empty(), "{:?}", response.errors);
        let value = response.data.into_json().expect("json");
        received.push(value["events"].clone());
    }
    assert_eq!(received[0]["type"], "revision_published");
    assert_eq!(received[0]["globalPosition"].as_u64(), Some(after + 1));
    assert!(received.iter().all(|e| e["revisionId"] == "cn-2021-corr-1"));
    assert!(
        received.iter().all(|e| e["actor"].is_null()),
        "public subscriber"
    );
}

#[tokio::test]
async fn a_subscription_without_after_starts_now_and_filters() {
    let h = Harness::new().await;
    let schema = api::schema(&h.state);
    let request = async_graphql::Request::new(
        r#"subscription { events(filter: { kinds: [CORRECTION] }) { type revisionId actor } }"#,
    )
    .data(Caller::Anonymous);
    let mut stream = schema.execute_stream(request);
    // Nothing recorded yet: the first poll starts the subscription and finds nothing.
    assert!(futures::poll!(stream.next()).is_pending());
    let (_, body) = h
        .post(
            PUBLISH,
            json!({ "r": correction("cn-2021-corr-1", "按规定落实") }),
            Some(&h.national),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let response = tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("an event in time")
        .expect("stream open");
    let value = response.data.into_json().expect("json");
    assert_eq!(value["events"]["type"], "revision_published");
    assert_eq!(value["events"]["revisionId"], "cn-2021-corr-1");
}

#[tokio::test]
async fn a_bad_cursor_ends_the_subscription_with_an_error() {
    let h = Harness::new().await;
    let schema = api::schema(&h.state);
    let mut stream = schema.execute_stream(
        async_graphql::Request::new(r#"subscription { events(after: "x") { type } }"#)
            .data(Caller::Anonymous),
    );
    let response = tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("an answer in time")
        .expect("one response");
    assert_eq!(response.errors.len(), 1);
    let extensions = serde_json::to_value(&response.errors[0]).expect("json");
    assert_eq!(extensions["extensions"]["code"], "BAD_USER_INPUT");
}
