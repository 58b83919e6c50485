//! Writes to the real `stdreg serve` over HTTP: the typed mutations, and who
//! may make them (static tokens, revoked without a restart).

mod support;

use serde_json::{Value, json};
use support::{Scratch, Server};

const PUBLISH: &str = "mutation($i: PublishRevisionInput!) {
  publishRevision(input: $i) { revision { id kind actor } eventCount } }";

const WITHDRAW: &str = "mutation($id: ID!, $reason: String!) {
  withdrawRevision(id: $id, reason: $reason) { revision { id kind target } } }";

const CORRECT: &str = "mutation($id: ID!, $i: CorrectionInput!) {
  correctRevision(id: $id, input: $i) { revision { id effectiveFrom } } }";

/// A future-dated adjustment of `CN` (it can still be withdrawn).
fn adjustment(id: &str) -> Value {
    json!({
        "revision": { "id": id, "jurisdiction": "CN", "kind": "ADJUSTMENT",
            "title": "关于调整……的通知", "effectiveFrom": "2030-01-01" },
        "changes": [{ "amendItem": { "item": "veteran-resettlement",
            "fields": { "serviceStandard": { "text": "新的标准" } } } }]
    })
}

/// A token made with `stdreg token add` for a national editor called `name`.
fn national_token(scratch: &Scratch, tokens: &str, name: &str) -> String {
    scratch
        .ok(&[
            "token",
            "add",
            "--role",
            "national-editor",
            "--name",
            name,
            "--tokens",
            tokens,
        ])
        .trim()
        .to_owned()
}

fn data(answer: &Value) -> &Value {
    assert!(answer.get("errors").is_none(), "{answer}");
    &answer["data"]
}

fn code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {answer}"))
}

#[test]
fn typed_mutations_publish_correct_and_withdraw_over_http() {
    let scratch = Scratch::new();
    let tokens = scratch.path("tokens.json").display().to_string();
    let token = national_token(&scratch, &tokens, "editor:typed");
    let data_dir = scratch.data().display().to_string();
    let server = Server::start(&data_dir, &["--tokens", &tokens]);

    let published = server.graphql(
        PUBLISH,
        json!({ "i": adjustment("cn-2030-adj") }),
        Some(&token),
    );
    let published = &data(&published)["publishRevision"];
    assert_eq!(
        published["revision"],
        json!({ "id": "cn-2030-adj", "kind": "ADJUSTMENT", "actor": "editor:typed" })
    );
    assert_eq!(published["eventCount"], 2);

    let corrected = server.graphql(
        CORRECT,
        json!({ "id": "cn-2021", "i": { "id": "cn-2021-corr-1", "title": "更正",
            "changes": [{ "amendItem": { "item": "veteran-resettlement",
                "fields": { "serviceStandard": { "text": "更正的标准" } } } }] } }),
        Some(&token),
    );
    assert_eq!(
        data(&corrected)["correctRevision"]["revision"],
        json!({ "id": "cn-2021-corr-1", "effectiveFrom": "2021-03-30" })
    );

    let withdrawn = server.graphql(
        WITHDRAW,
        json!({ "id": "cn-2030-adj", "reason": "superseded" }),
        Some(&token),
    );
    assert_eq!(
        data(&withdrawn)["withdrawRevision"]["revision"],
        json!({ "id": "cn-2030-adj-withdrawal", "kind": "WITHDRAWAL", "target": "cn-2030-adj" })
    );

    // An input error names the input field at fault.
    let mut bad = adjustment("cn-2031-adj");
    bad["changes"][0]["amendItem"]["item"] = json!("not an id");
    let refused = server.graphql(PUBLISH, json!({ "i": bad }), Some(&token));
    assert_eq!(code(&refused), "BAD_USER_INPUT");
    let message = refused["errors"][0]["message"].as_str().expect("message");
    assert!(message.contains("input.changes[0].amendItem"), "{message}");
    drop(server);

    // The command line reads what the server recorded.
    let revisions = scratch.json(&["revisions", "CN"]);
    let text = revisions.to_string();
    for id in ["cn-2030-adj", "cn-2021-corr-1", "cn-2030-adj-withdrawal"] {
        assert!(text.contains(id), "{id} not in {text}");
    }
}
