//! Round trips through the protobuf contract.

use chrono::{DateTime, Utc};
use event_store::{StoredEvent, StreamId};
use prost::Message;
use transparency::{NoteSigner, event_leaf_hash};

use super::*;

fn event(position: u64, data: &[u8], micros: i64) -> StoredEvent {
    StoredEvent {
        event_id: uuid::Uuid::from_u128(
            0x0192_0000_0000_7000_8000_0000_0000_0000 + u128::from(position),
        ),
        stream: StreamId::new("standard-CN"),
        stream_position: position - 1,
        global_position: position,
        event_type: "revision_published".into(),
        schema_version: 1,
        data: data.to_vec(),
        recorded_at: DateTime::<Utc>::from_timestamp_micros(micros).expect("time"),
        sealed: None,
    }
}

#[test]
fn events_survive_encoding_and_decoding() {
    let cases = [
        event(1, b"{}", 0),
        event(2, br#"{"a": 1,  "b":[true]}"#, 1_700_000_000_123_456),
        event(3, b"", -1),
        event(4, "\u{56fd}\u{5bb6}\n\"".as_bytes(), 4_102_444_800_000_000),
    ];
    for original in cases {
        for sealed in [None, Some(Vec::new()), Some(b"{\"actor\":\"x\"}".to_vec())] {
            let original = StoredEvent {
                sealed,
                ..original.clone()
            };
            // Sent, or left out for a caller who may not receive them.
            for send in [true, false] {
                let message = proto::FollowResponse {
                    item: Some(proto::follow_response::Item::Event(logged_event(
                        &original, send,
                    ))),
                };
                let bytes = message.encode_to_vec();
                let decoded = proto::FollowResponse::decode(bytes.as_slice()).expect("decode");
                let Some(proto::follow_response::Item::Event(logged)) = decoded.item else {
                    panic!("not an event: {decoded:?}");
                };
                assert_eq!(logged.leaf_hash, event_leaf_hash(&original).to_vec());
                let expected = StoredEvent {
                    sealed: if send { original.sealed.clone() } else { None },
                    ..original.clone()
                };
                assert_eq!(stored_event(logged).expect("read back"), expected);
            }
        }
    }
}

#[test]
fn an_event_not_matching_its_leaf_hash_is_refused() {
    let original = event(7, b"{}", 1);
    type Change = fn(&mut proto::LoggedEvent);
    let changes: [(&str, Change); 4] = [
        ("data", |m| {
            m.event.as_mut().expect("e").data = b"{ }".to_vec()
        }),
        ("time", |m| {
            m.event.as_mut().expect("e").recorded_at_micros += 1
        }),
        ("stream position", |m| {
            m.event.as_mut().expect("e").stream_position += 1
        }),
        ("leaf hash", |m| m.leaf_hash[0] ^= 1),
    ];
    for (what, change) in changes {
        let mut message = logged_event(&original, false);
        change(&mut message);
        match stored_event(message) {
            Err(GrpcError::LeafMismatch { position: 7 }) => {}
            other => panic!("{what}: {other:?}"),
        }
    }
}

#[test]
fn malformed_envelopes_are_refused() {
    let original = event(1, b"{}", 1);
    type Change = fn(&mut proto::LoggedEvent);
    let changes: [(&str, Change); 3] = [
        ("no event", |m| m.event = None),
        ("bad uuid", |m| {
            m.event.as_mut().expect("e").event_id = "x".into()
        }),
        ("time out of range", |m| {
            m.event.as_mut().expect("e").recorded_at_micros = i64::MAX
        }),
    ];
    for (what, change) in changes {
        let mut message = logged_event(&original, false);
        change(&mut message);
        assert!(
            matches!(stored_event(message), Err(GrpcError::Malformed(_))),
            "{what}"
        );
    }
}

#[test]
fn checkpoints_survive_encoding_and_verify() {
    let signer = NoteSigner::from_seed("stdreg/log-test", [7; 32]).expect("signer");
    let signed = signer.sign(42, [9; 32]);
    let message = proto::GetCheckpointResponse {
        checkpoint: Some(checkpoint_message(&signed)),
        public_key: signer.verifier().to_string(),
    };
    let decoded =
        proto::GetCheckpointResponse::decode(message.encode_to_vec().as_slice()).expect("decode");
    let checkpoint = decoded.checkpoint.expect("checkpoint");
    assert_eq!(
        (
            checkpoint.origin.as_str(),
            checkpoint.size,
            checkpoint.root_hash.as_slice()
        ),
        ("stdreg/log-test", 42, [9; 32].as_slice())
    );
    let verifier = transparency::NoteVerifier::parse(&decoded.public_key).expect("key");
    assert_eq!(verifier.open(&checkpoint.note).expect("verifies"), signed);
}

#[test]
fn proofs_are_bounded_and_hashes_are_32_bytes() {
    let cases: [(Vec<Vec<u8>>, bool); 4] = [
        (vec![], true),
        (vec![vec![1; 32]; 3], true),
        (vec![vec![1; 31]], false),
        (vec![vec![1; 32]; transparency::PROOF_HASHES_MAX + 1], false),
    ];
    for (hashes, ok) in cases {
        let message = proto::GetConsistencyProofResponse {
            old_size: 1,
            new_size: 2,
            hashes,
        };
        let decoded =
            proto::GetConsistencyProofResponse::decode(message.encode_to_vec().as_slice())
                .expect("decode");
        assert_eq!(
            proof_hashes(&decoded.hashes).is_ok(),
            ok,
            "{}",
            decoded.hashes.len()
        );
    }
}

mod service {
    use std::sync::Arc;

    use event_store::MemoryStore;
    use registry::Registry;
    use registry::import::ImportFile;
    use registry::verifiable::Checkpoints;
    use tokio::sync::watch;
    use transparency::{MerkleTree, NoteVerifier, verify_consistency, verify_inclusion};

    use crate::{FollowItem, LogClient, serve};

    #[tokio::test]
    async fn a_client_follows_verifies_and_the_stream_ends_on_shutdown() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store: Arc<dyn event_store::EventStore> = Arc::new(MemoryStore::new());
        let registry = Arc::new(Registry::open(Arc::clone(&store)).await.expect("registry"));
        let checkpoints = Arc::new(
            Checkpoints::open(store, dir.path(), None)
                .await
                .expect("checkpoints"),
        );
        let revisions = registry::bundled::national_revisions().expect("bundled");
        registry
            .import(&ImportFile::new(revisions), "test")
            .await
            .expect("import");
        let signed = checkpoints
            .sign(&registry)
            .await
            .expect("sign")
            .expect("signed");
        let size = signed.checkpoint.size;

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let (stop, stopped) = watch::channel(false);
        let server = tokio::spawn(serve(
            listener,
            Arc::clone(&registry),
            Arc::clone(&checkpoints),
            Arc::new(|authorization: Option<&str>| match authorization {
                None => Ok(false),
                Some("Bearer sesame") => Ok(true),
                Some(_) => Err("unknown token".to_owned()),
            }),
            stopped,
        ));

        let mut client = LogClient::connect(&url).await.expect("connect");
        let head = client.head().await.expect("head");
        let key = NoteVerifier::parse(&head.public_key).expect("key");
        assert_eq!(key, checkpoints.verifier());
        let mut stream = client.follow(0).await.expect("follow");
        let mut tree = MerkleTree::new();
        let note = loop {
            match stream.next().await.expect("item").expect("not ended") {
                FollowItem::Event(event) => {
                    assert_eq!(event.global_position, tree.size() + 1);
                    tree.push(transparency::event_leaf_hash(&event));
                }
                FollowItem::Checkpoint(note) => break note,
            }
        };
        let checkpoint = key.open(&note).expect("signed by the key").checkpoint;
        assert_eq!((checkpoint.size, tree.size()), (size, size));
        assert_eq!(tree.root(), checkpoint.root);

        let (leaf, path) = client.inclusion_proof(size, 0).await.expect("inclusion");
        assert_eq!(Some(leaf), tree.leaf(size - 1));
        verify_inclusion(&leaf, size - 1, size, &path, &checkpoint.root).expect("included");
        let proof = client
            .consistency_proof(1, size)
            .await
            .expect("consistency");
        verify_consistency(
            1,
            size,
            &tree.root_at(1).expect("root"),
            &checkpoint.root,
            &proof,
        )
        .expect("consistent");
        let cases = [(0, 0), (size + 1, size), (1, size + 1)];
        for (position, tree_size) in cases {
            assert!(
                client.inclusion_proof(position, tree_size).await.is_err(),
                "position {position} in {tree_size}"
            );
        }

        // The public gets no sealed bytes, a principal gets every event's,
        // and a token the server does not accept is refused.
        let first = |mut client: LogClient| async move {
            let mut stream = client.follow(1).await?;
            match stream.next().await? {
                Some(FollowItem::Event(event)) => Ok(event.sealed),
                other => panic!("expected an event, got {other:?}"),
            }
        };
        assert_eq!(first(client.clone()).await.expect("public"), None);
        let sealed = first(client.clone().with_token("sesame").expect("token"))
            .await
            .expect("principal")
            .expect("sealed bytes for a principal");
        assert!(String::from_utf8_lossy(&sealed).contains("\"actor\":\"test\""));
        match first(client.clone().with_token("guess").expect("token")).await {
            Err(crate::GrpcError::Status { status, .. }) => {
                assert_eq!(status.code(), tonic::Code::Unauthenticated, "{status:?}")
            }
            other => panic!("a token not accepted must be refused, got {other:?}"),
        }

        stop.send(true).expect("stop");
        assert_eq!(stream.next().await.expect("clean end"), None);
        server.await.expect("server task").expect("server");
    }
}
