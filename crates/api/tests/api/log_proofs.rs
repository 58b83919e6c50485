//! The verifiable log over GraphQL: proofs served verify with the
//! `transparency` crate's own checks, the checkpoint with the public key.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use registry::verifiable::Checkpoints;
use serde_json::{Value, json};
use transparency::{Hash, NoteVerifier, verify_consistency, verify_inclusion};

use crate::{Harness, PUBLISH, code, correction};

fn hash(value: &Value) -> Hash {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a hash: {value}"));
    let bytes = STANDARD.decode(text).expect("base64");
    Hash::try_from(bytes).expect("32 bytes")
}

fn hashes(value: &Value) -> Vec<Hash> {
    value.as_array().expect("hashes").iter().map(hash).collect()
}

const INCLUSION: &str = "query($p: Int!, $n: Int) { inclusionProof(position: $p, treeSize: $n) { position leafIndex treeSize leafHash rootHash hashes } }";
const CONSISTENCY: &str = "query($m: Int!, $n: Int) { consistencyProof(fromSize: $m, toSize: $n) { fromSize toSize fromRoot toRoot hashes } }";

async fn tree_size(h: &Harness) -> u64 {
    h.indexed().await
}

#[tokio::test]
async fn inclusion_proofs_verify_against_the_root() {
    let h = Harness::new().await;
    let size = tree_size(&h).await;
    assert!(size >= 10, "{size}");
    let cases: [(u64, Option<u64>); 6] = [
        (1, None),
        (size, None),
        (1, Some(1)),
        (7, Some(10)),
        (10, Some(10)),
        (size / 2, Some(size - 1)),
    ];
    for (position, asked) in cases {
        let data = h
            .data(INCLUSION, json!({ "p": position, "n": asked }))
            .await;
        let proof = &data["inclusionProof"];
        let n = asked.unwrap_or(size);
        assert_eq!(proof["position"], position);
        assert_eq!(proof["leafIndex"], position - 1);
        assert_eq!(proof["treeSize"], n);
        verify_inclusion(
            &hash(&proof["leafHash"]),
            position - 1,
            n,
            &hashes(&proof["hashes"]),
            &hash(&proof["rootHash"]),
        )
        .unwrap_or_else(|e| panic!("position {position} in {n}: {e}"));
        let expected_root = h.state.registry.merkle().root_at(n).expect("root");
        assert_eq!(hash(&proof["rootHash"]), expected_root);
    }
}

#[tokio::test]
async fn event_leaf_hashes_are_the_leaves_proofs_prove() {
    let h = Harness::new().await;
    let data = h
        .data(
            "{ events(first: 5) { edges { node { globalPosition leafHash } } } }",
            json!({}),
        )
        .await;
    let edges = data["events"]["edges"].as_array().expect("edges");
    assert_eq!(edges.len(), 5);
    for edge in edges {
        let position = edge["node"]["globalPosition"].as_u64().expect("position");
        let proof = h.data(INCLUSION, json!({ "p": position })).await;
        assert_eq!(
            edge["node"]["leafHash"], proof["inclusionProof"]["leafHash"],
            "{position}"
        );
        assert_eq!(
            Some(hash(&edge["node"]["leafHash"])),
            h.state.registry.merkle().leaf(position - 1)
        );
    }
}

#[tokio::test]
async fn consistency_proofs_verify_between_roots() {
    let h = Harness::new().await;
    let size = tree_size(&h).await;
    let cases: [(u64, Option<u64>); 5] = [
        (1, None),
        (size, None),
        (10, Some(50.min(size))),
        (33, Some(64.min(size))),
        (size - 1, Some(size)),
    ];
    for (from, asked) in cases {
        let data = h.data(CONSISTENCY, json!({ "m": from, "n": asked })).await;
        let proof = &data["consistencyProof"];
        let to = asked.unwrap_or(size);
        assert_eq!(proof["fromSize"], from);
        assert_eq!(proof["toSize"], to);
        verify_consistency(
            from,
            to,
            &hash(&proof["fromRoot"]),
            &hash(&proof["toRoot"]),
            &hashes(&proof["hashes"]),
        )
        .unwrap_or_else(|e| panic!("{from} to {to}: {e}"));
        let tree = h.state.registry.merkle();
        assert_eq!(hash(&proof["fromRoot"]), tree.root_at(from).expect("root"));
        assert_eq!(hash(&proof["toRoot"]), tree.root_at(to).expect("root"));
    }
}

#[tokio::test]
async fn bad_positions_and_sizes_are_bad_user_input() {
    let h = Harness::new().await;
    let size = tree_size(&h).await as i64;
    let cases = [
        (INCLUSION, json!({ "p": 0 }), "position"),
        (INCLUSION, json!({ "p": -3 }), "position"),
        (INCLUSION, json!({ "p": size + 1 }), "position"),
        (INCLUSION, json!({ "p": 1, "n": 0 }), "treeSize"),
        (INCLUSION, json!({ "p": 1, "n": size + 1 }), "treeSize"),
        (INCLUSION, json!({ "p": 11, "n": 10 }), "position 11"),
        (CONSISTENCY, json!({ "m": 0 }), "fromSize"),
        (CONSISTENCY, json!({ "m": 20, "n": 10 }), "fromSize 20"),
        (CONSISTENCY, json!({ "m": 1, "n": size + 1 }), "toSize"),
        (CONSISTENCY, json!({ "m": size + 1 }), "fromSize"),
    ];
    for (query, variables, mentioned) in cases {
        let (status, body) = h.post(query, variables.clone(), None).await;
        assert_eq!(status, 200, "{variables}: {body}");
        assert_eq!(code(&body), "BAD_USER_INPUT", "{variables}: {body}");
        let message = body["errors"][0]["message"].as_str().expect("message");
        assert!(message.contains(mentioned), "{variables}: {message}");
    }
}

#[tokio::test]
async fn an_empty_log_has_nothing_to_prove() {
    let h = Harness::empty().await;
    let (_, body) = h.post(INCLUSION, json!({ "p": 1 }), None).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    let (_, body) = h.post(CONSISTENCY, json!({ "m": 1 }), None).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
}

#[tokio::test]
async fn without_checkpoints_the_checkpoint_is_null() {
    let h = Harness::new().await;
    let data = h.data("{ checkpoint { treeSize } }", json!({})).await;
    assert_eq!(data["checkpoint"], Value::Null);
}

const CHECKPOINT: &str = "{ checkpoint { origin treeSize rootHash note publicKey } }";

/// Opens the verifier named by a served checkpoint and checks the note with it.
fn open(checkpoint: &Value) -> transparency::SignedCheckpoint {
    let key = NoteVerifier::parse(checkpoint["publicKey"].as_str().expect("key")).expect("key");
    let signed = key
        .open(checkpoint["note"].as_str().expect("note"))
        .expect("the note verifies with the public key");
    assert_eq!(signed.checkpoint.origin, checkpoint["origin"]);
    assert_eq!(signed.checkpoint.size, checkpoint["treeSize"]);
    assert_eq!(signed.checkpoint.root, hash(&checkpoint["rootHash"]));
    signed
}

#[tokio::test]
async fn the_checkpoint_verifies_and_proofs_check_against_it() {
    let dir = tempfile::tempdir().expect("data dir");
    let h = Harness::new().await;
    let checkpoints = Arc::new(
        Checkpoints::open(Arc::clone(h.state.registry.store()), dir.path(), None)
            .await
            .expect("checkpoints"),
    );
    let h = h.with_checkpoints(Arc::clone(&checkpoints));
    checkpoints.sign(&h.state.registry).await.expect("sign");

    let first = h.data(CHECKPOINT, json!({})).await["checkpoint"].clone();
    let signed = open(&first);
    assert_eq!(signed.checkpoint.size, tree_size(&h).await);
    let position = 5;
    let proof = &h
        .data(
            INCLUSION,
            json!({ "p": position, "n": signed.checkpoint.size }),
        )
        .await["inclusionProof"];
    verify_inclusion(
        &hash(&proof["leafHash"]),
        position - 1,
        signed.checkpoint.size,
        &hashes(&proof["hashes"]),
        &signed.checkpoint.root,
    )
    .expect("inclusion in the signed tree");

    // The log grows; the new checkpoint extends the old one.
    let (_, body) = h
        .post(
            PUBLISH,
            json!({ "r": correction("cn-2021-fix-proofs", "更正后的文本") }),
            Some(&h.national),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    checkpoints.sign(&h.state.registry).await.expect("sign");
    let second = h.data(CHECKPOINT, json!({})).await["checkpoint"].clone();
    let newer = open(&second);
    assert!(newer.checkpoint.size > signed.checkpoint.size);
    let proof = &h
        .data(
            CONSISTENCY,
            json!({ "m": signed.checkpoint.size, "n": newer.checkpoint.size }),
        )
        .await["consistencyProof"];
    verify_consistency(
        signed.checkpoint.size,
        newer.checkpoint.size,
        &signed.checkpoint.root,
        &newer.checkpoint.root,
        &hashes(&proof["hashes"]),
    )
    .expect("the newer checkpoint extends the older");
}
