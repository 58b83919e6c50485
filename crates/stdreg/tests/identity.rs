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
            "fields": { "serviceStandard": { "text": format!("新的标准 ({id})") } } } }]
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

#[test]
fn tokens_are_listed_revoked_and_added_while_the_server_runs() {
    let scratch = Scratch::new();
    let tokens = scratch.path("tokens.json").display().to_string();
    let first = national_token(&scratch, &tokens, "editor:first");
    let local = scratch
        .ok(&[
            "token",
            "add",
            "--role",
            "local-editor",
            "--jurisdiction",
            "510000",
            "--name",
            "editor:sichuan",
            "--expires",
            "30d",
            "--tokens",
            &tokens,
        ])
        .trim()
        .to_owned();
    let data_dir = scratch.data().display().to_string();
    let server = Server::start(&data_dir, &["--tokens", &tokens]);

    // `token list` shows who, never the token.
    let listed = scratch.ok(&["token", "list", "--tokens", &tokens]);
    assert!(
        listed.contains("editor:first\tnational_editor\tCN\t"),
        "{listed}"
    );
    assert!(
        listed.contains("editor:sichuan\tlocal_editor\t510000\t"),
        "{listed}"
    );
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("editor:first") && l.ends_with("never")),
        "{listed}"
    );
    let rows = scratch.json(&["token", "list", "--tokens", &tokens]);
    assert_eq!(rows.as_array().map(Vec::len), Some(2), "{rows}");
    assert!(
        rows[1]["expires_at"].is_string() && rows[1]["expired"] == false,
        "{rows}"
    );
    let file = std::fs::read_to_string(&tokens).expect("tokens file");
    for token in [&first, &local] {
        assert!(!listed.contains(token.as_str()) && !rows.to_string().contains(token.as_str()));
        assert!(!file.contains(token.as_str()), "the file keeps hashes only");
    }

    let publish = |id: &str, token: &str| {
        server.graphql(PUBLISH, json!({ "i": adjustment(id) }), Some(token))
    };
    assert_eq!(
        data(&publish("cn-2030-a", &first))["publishRevision"]["revision"]["actor"],
        "editor:first"
    );

    // Revoked while the server runs: refused from the next request on.
    scratch.ok(&["token", "revoke", "editor:first", "--tokens", &tokens]);
    assert_eq!(code(&publish("cn-2030-b", &first)), "UNAUTHENTICATED");
    let unknown = scratch.user_error(&["token", "revoke", "editor:first", "--tokens", &tokens]);
    assert!(unknown.contains("token list"), "{unknown}");

    // Added while the server runs: accepted from the next request on.
    let second = national_token(&scratch, &tokens, "editor:second");
    assert_eq!(
        data(&publish("cn-2030-b", &second))["publishRevision"]["revision"]["actor"],
        "editor:second"
    );

    // An expiry already past, or that is not one, is refused when the token is made.
    for expires in ["2001-01-01T00:00:00Z", "tomorrow"] {
        let refused = scratch.user_error(&[
            "token",
            "add",
            "--role",
            "auditor",
            "--expires",
            expires,
            "--tokens",
            &tokens,
        ]);
        assert!(refused.contains("expir"), "{expires}: {refused}");
    }
}

/// Keys made at run time for the JWT test: an Ed25519 key pair, its public
/// half in a JWKS file.
fn ed25519_jwt_signer(jwks: &std::path::Path) -> jsonwebtoken::EncodingKey {
    use base64::Engine;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("random seed");
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes());
    let set = json!({ "keys": [{ "kty": "OKP", "crv": "Ed25519", "kid": "k1", "x": x }] });
    std::fs::write(jwks, set.to_string()).expect("write jwks");
    // PKCS #8 of an Ed25519 key (RFC 8410): a fixed prefix, then the seed.
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(&seed);
    jsonwebtoken::EncodingKey::from_ed_der(&der)
}

#[test]
fn a_jwt_of_the_configured_issuer_publishes_over_http() {
    let scratch = Scratch::new();
    let jwks = scratch.path("jwks.json");
    let signer = ed25519_jwt_signer(&jwks);
    let data_dir = scratch.data().display().to_string();
    let server = Server::start(
        &data_dir,
        &[
            "--jwt-issuer",
            "https://login.example.org",
            "--jwt-audience",
            "stdreg",
            "--jwks-file",
            jwks.to_str().expect("path"),
            "--jwt-name-claim",
            "email",
        ],
    );
    let sign = |issuer: &str| {
        let now = chrono::Utc::now().timestamp();
        let claims = json!({
            "iss": issuer, "aud": "stdreg", "sub": "1", "email": "editor@example.org",
            "exp": now + 300, "stdreg_role": "national-editor",
        });
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some("k1".to_owned());
        jsonwebtoken::encode(&header, &claims, &signer).expect("sign")
    };
    let published = server.graphql(
        PUBLISH,
        json!({ "i": adjustment("cn-2030-jwt") }),
        Some(&sign("https://login.example.org")),
    );
    assert_eq!(
        data(&published)["publishRevision"]["revision"]["actor"],
        "editor@example.org"
    );
    let refused = server.graphql(
        PUBLISH,
        json!({ "i": adjustment("cn-2031-jwt") }),
        Some(&sign("https://elsewhere.example.org")),
    );
    assert_eq!(code(&refused), "UNAUTHENTICATED");
    let message = refused["errors"][0]["message"].as_str().expect("message");
    assert!(message.contains("https://login.example.org"), "{message}");
}
