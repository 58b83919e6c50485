//! Who a bearer token names: JWTs checked against a JWKS file (signature,
//! issuer, audience, expiry, role and jurisdiction claims) with keys made at
//! run time, and a tokens file read again when it changes.

use std::path::Path;

use api::auth::{Role, TokenFile, Tokens};
use api::jwt::{JwtConfig, JwtVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::{Harness, PUBLISH, code, correction};

const ISSUER: &str = "https://login.example.org/realms/stdreg";
const AUDIENCE: &str = "stdreg-api";

/// An Ed25519 key pair made now.
struct Keys {
    signing: ed25519_dalek::SigningKey,
}

impl Keys {
    fn generate() -> Self {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).expect("random seed");
        Self {
            signing: ed25519_dalek::SigningKey::from_bytes(&seed),
        }
    }

    /// The public key as a JWK with key id `kid`.
    fn jwk(&self, kid: &str) -> Value {
        json!({
            "kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA", "kid": kid,
            "x": URL_SAFE_NO_PAD.encode(self.signing.verifying_key().as_bytes()),
        })
    }

    /// The private key in PKCS #8 (RFC 8410: a fixed prefix, then the seed).
    fn encoding_key(&self) -> EncodingKey {
        let mut der = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        der.extend_from_slice(self.signing.as_bytes());
        EncodingKey::from_ed_der(&der)
    }

    fn sign(&self, kid: &str, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, claims, &self.encoding_key()).expect("sign")
    }
}

fn write_jwks(path: &Path, keys: &[Value]) {
    let text = json!({ "keys": keys }).to_string();
    // Through a rename, as a key rotation would.
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, text).expect("write jwks");
    std::fs::rename(&temporary, path).expect("rename jwks");
}

fn config(jwks_file: &Path) -> JwtConfig {
    JwtConfig {
        issuer: ISSUER.to_owned(),
        audience: AUDIENCE.to_owned(),
        jwks_file: jwks_file.to_owned(),
        role_claim: "realm_access.roles".to_owned(),
        jurisdiction_claim: "stdreg_jurisdiction".to_owned(),
        name_claim: "preferred_username".to_owned(),
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Claims of a national editor's token, valid for ten minutes.
fn claims() -> Value {
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "f3a1", "preferred_username": "editor:oidc",
        "iat": now(), "exp": now() + 600,
        "realm_access": { "roles": ["offline_access", "national-editor"] },
    })
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

#[tokio::test]
async fn jwts_are_checked_for_key_issuer_audience_expiry_and_claims() {
    let dir = tempfile::tempdir().expect("tempdir");
    let jwks = dir.path().join("jwks.json");
    let (trusted, stranger) = (Keys::generate(), Keys::generate());
    write_jwks(&jwks, &[trusted.jwk("k1")]);
    let verifier = JwtVerifier::new(config(&jwks)).expect("verifier");
    let h = Harness::new()
        .await
        .serving(Tokens::none().with_jwt(verifier));

    let sichuan = json!({ "realm_access": { "roles": ["local_editor"] } });
    let local = with(
        with(claims(), "realm_access", sichuan["realm_access"].clone()),
        "stdreg_jurisdiction",
        json!("510000"),
    );
    // (what, token, code and a word of the message; None: published)
    type Case<'a> = (&'a str, String, Option<(&'a str, &'a str)>);
    let cases: Vec<Case> = vec![
        (
            "wrong issuer",
            trusted.sign("k1", &with(claims(), "iss", json!("https://evil.example"))),
            Some(("UNAUTHENTICATED", "issued by")),
        ),
        (
            "wrong audience",
            trusted.sign("k1", &with(claims(), "aud", json!("another-app"))),
            Some(("UNAUTHENTICATED", "not meant for")),
        ),
        (
            "expired",
            trusted.sign("k1", &with(claims(), "exp", json!(now() - 3600))),
            Some(("UNAUTHENTICATED", "has expired")),
        ),
        (
            "no expiry",
            trusted.sign("k1", &{
                let mut c = claims();
                c.as_object_mut().expect("object").remove("exp");
                c
            }),
            Some(("UNAUTHENTICATED", "`exp`")),
        ),
        (
            "not yet valid",
            trusted.sign("k1", &with(claims(), "nbf", json!(now() + 3600))),
            Some(("UNAUTHENTICATED", "not valid yet")),
        ),
        (
            "wrong key",
            stranger.sign("k1", &claims()),
            Some(("UNAUTHENTICATED", "signature does not verify")),
        ),
        (
            "unknown key id",
            stranger.sign("k2", &claims()),
            Some(("UNAUTHENTICATED", "not in this server's key set")),
        ),
        (
            "no role",
            trusted.sign(
                "k1",
                &with(claims(), "realm_access", json!({ "roles": ["viewer"] })),
            ),
            Some(("UNAUTHENTICATED", "names no role")),
        ),
        (
            "local editor without jurisdiction",
            trusted.sign(
                "k1",
                &with(claims(), "realm_access", sichuan["realm_access"].clone()),
            ),
            Some(("UNAUTHENTICATED", "do not fit")),
        ),
        (
            "not a JWT",
            "eyJhbGciOi.nonsense".to_owned(),
            Some(("UNAUTHENTICATED", "neither a token")),
        ),
        (
            "local editor on CN",
            trusted.sign("k1", &local),
            Some(("FORBIDDEN", "may publish for")),
        ),
        (
            "auditor",
            trusted.sign(
                "k1",
                &with(claims(), "realm_access", json!({ "roles": ["auditor"] })),
            ),
            Some(("FORBIDDEN", "auditor")),
        ),
        ("national editor", trusted.sign("k1", &claims()), None),
    ];
    for (what, token, expected) in cases {
        let start = h.indexed().await;
        let (status, body) = h
            .post(
                PUBLISH,
                json!({ "r": correction("cn-2021-corr-1", "新") }),
                Some(&token),
            )
            .await;
        assert_eq!(status, 200, "{what}: {body}");
        match expected {
            Some((expected, word)) => {
                assert_eq!(code(&body), expected, "{what}: {body}");
                let message = body["errors"][0]["message"].as_str().expect("message");
                assert!(message.contains(word), "{what}: {word} not in {message}");
                assert_eq!(h.indexed().await, start, "{what}: nothing appended");
            }
            None => {
                assert!(body.get("errors").is_none(), "{what}: {body}");
                assert_eq!(
                    body["data"]["publishRevisionDocument"]["revision"]["actor"], "editor:oidc",
                    "the name claim is the actor"
                );
            }
        }
    }

    // Keys rotate without a restart: the file is read again when it changes.
    write_jwks(&jwks, &[stranger.jwk("k2")]);
    let (_, body) = h
        .post(
            PUBLISH,
            json!({ "r": correction("cn-2021-corr-2", "再") }),
            Some(&stranger.sign("k2", &claims())),
        )
        .await;
    assert!(body.get("errors").is_none(), "rotated key: {body}");
    let (_, body) = h
        .post(
            PUBLISH,
            json!({ "r": correction("cn-2021-corr-3", "三") }),
            Some(&trusted.sign("k1", &claims())),
        )
        .await;
    assert_eq!(code(&body), "UNAUTHENTICATED", "retired key: {body}");
}

#[test]
fn key_sets_that_cannot_verify_are_refused_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let jwks = dir.path().join("jwks.json");
    let key = Keys::generate();
    let cases = [
        ("missing", None),
        ("not json", Some(json!("keys"))),
        ("empty", Some(json!({ "keys": [] }))),
        (
            "symmetric",
            Some(json!({ "keys": [{ "kty": "oct", "k": "c2VjcmV0", "kid": "h" }] })),
        ),
        (
            "short Ed25519 key",
            Some(json!({ "keys": [{ "kty": "OKP", "crv": "Ed25519", "x": "AAAA" }] })),
        ),
        (
            "alg of another type",
            Some(json!({ "keys": [with(key.jwk("k"), "alg", json!("RS256"))] })),
        ),
    ];
    for (what, content) in cases {
        let _ = std::fs::remove_file(&jwks);
        if let Some(content) = content {
            std::fs::write(&jwks, content.to_string()).expect("write");
        }
        let error = JwtVerifier::new(config(&jwks)).expect_err(what).to_string();
        assert!(error.contains("JWKS"), "{what}: {error}");
    }
}

#[tokio::test]
async fn a_changed_tokens_file_counts_from_the_next_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.json");
    let now = chrono::Utc::now();
    let mut file = TokenFile::default();
    let (kept, _) = file
        .add(Role::NationalEditor, None, Some("editor:kept".into()), now)
        .expect("token");
    let (revoked, _) = file
        .add(Role::NationalEditor, None, Some("editor:gone".into()), now)
        .expect("token");
    let (expiring, _) = file
        .add_expiring(
            Role::NationalEditor,
            None,
            Some("editor:soon".into()),
            now,
            Some(now + chrono::Duration::hours(1)),
        )
        .expect("token");
    file.save(&path).expect("save");
    let h = Harness::new()
        .await
        .serving(Tokens::watch(&path).expect("watch"));
    let may_write = |token: String| {
        let h = &h;
        async move {
            let (_, body) = h
                .post(
                    PUBLISH,
                    json!({ "r": correction("cn-2021-corr-1", "x"), "v": 1 }),
                    Some(&token),
                )
                .await;
            // A caller it accepts gets as far as the version check.
            code(&body).to_owned()
        }
    };
    for token in [&kept, &revoked, &expiring] {
        assert_eq!(may_write(token.clone()).await, "CONFLICT");
    }

    assert_eq!(file.revoke("editor:gone"), 1);
    // An expiry that has passed since the token was made.
    file.tokens
        .iter_mut()
        .filter(|t| t.principal.name == "editor:soon")
        .for_each(|t| t.expires_at = Some(now - chrono::Duration::seconds(1)));
    file.save(&path).expect("save");
    assert_eq!(may_write(kept.clone()).await, "CONFLICT");
    assert_eq!(may_write(revoked.clone()).await, "UNAUTHENTICATED");
    let (_, body) = h
        .post(
            PUBLISH,
            json!({ "r": correction("cn-2021-corr-1", "x") }),
            Some(&expiring),
        )
        .await;
    assert_eq!(code(&body), "UNAUTHENTICATED");
    assert!(body.to_string().contains("expired"), "{body}");

    // A file that no longer reads grants nothing until it is fixed.
    std::fs::write(&path, "{ not json").expect("break");
    assert_eq!(may_write(kept.clone()).await, "UNAUTHENTICATED");
    file.save(&path).expect("save");
    assert_eq!(may_write(kept).await, "CONFLICT");
}
