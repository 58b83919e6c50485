//! Metadata records: compare-and-set beside the log, shared by every process.

use super::*;

/// One step of [`metadata_compare_and_set`]: a write and what it must answer.
struct Step {
    key: &'static str,
    expected: Option<&'static [u8]>,
    value: &'static [u8],
    /// `Ok(())`, or the conflict's current value.
    answer: Result<(), Option<&'static [u8]>>,
}

/// Writes succeed only against the value the record holds, conflicts report
/// that value, keys are independent, and the log is untouched.
pub async fn metadata_compare_and_set(store: &dyn EventStore) {
    assert_eq!(
        store.read_metadata("identity").await.expect("read"),
        None,
        "a new store holds no metadata"
    );
    let steps = [
        // created once
        Step {
            key: "identity",
            expected: None,
            value: b"key-a",
            answer: Ok(()),
        },
        Step {
            key: "identity",
            expected: None,
            value: b"key-b",
            answer: Err(Some(b"key-a")),
        },
        // replaced only from the value it holds
        Step {
            key: "identity",
            expected: Some(b"key-x"),
            value: b"key-b",
            answer: Err(Some(b"key-a")),
        },
        Step {
            key: "identity",
            expected: Some(b"key-a"),
            value: b"key-b",
            answer: Ok(()),
        },
        Step {
            key: "identity",
            expected: Some(b"key-a"),
            value: b"key-c",
            answer: Err(Some(b"key-b")),
        },
        // another key is another record
        Step {
            key: "checkpoint",
            expected: Some(b"key-b"),
            value: b"1",
            answer: Err(None),
        },
        Step {
            key: "checkpoint",
            expected: None,
            value: b"1",
            answer: Ok(()),
        },
        Step {
            key: "checkpoint",
            expected: Some(b"1"),
            value: b"",
            answer: Ok(()),
        },
        Step {
            key: "checkpoint",
            expected: Some(b""),
            value: "二\n\u{2014}".as_bytes(),
            answer: Ok(()),
        },
    ];
    for (i, step) in steps.iter().enumerate() {
        let result = store
            .write_metadata(step.key, step.expected, step.value)
            .await;
        match (&step.answer, result) {
            (Ok(()), Ok(())) => {}
            (Err(want), Err(StoreError::MetadataConflict { key, current })) => {
                assert_eq!(key, step.key, "step {i}: the conflict names the key");
                assert_eq!(
                    current.as_deref(),
                    *want,
                    "step {i}: the conflict reports the value held"
                );
            }
            (want, got) => panic!("step {i}: expected {want:?}, got {got:?}"),
        }
    }
    assert_eq!(
        store
            .read_metadata("identity")
            .await
            .expect("read")
            .as_deref(),
        Some(&b"key-b"[..])
    );
    assert_eq!(
        store
            .read_metadata("checkpoint")
            .await
            .expect("read")
            .as_deref(),
        Some("二\n\u{2014}".as_bytes())
    );
    assert_eq!(
        store.head_position().await.expect("head"),
        0,
        "metadata are not events"
    );

    let too_long = "k".repeat(crate::METADATA_KEY_BYTES_MAX + 1);
    let too_big = vec![0; crate::METADATA_VALUE_BYTES_MAX + 1];
    for (key, value) in [
        ("", &b"v"[..]),
        ("a key", b"v"),
        (too_long.as_str(), b"v"),
        ("big", &too_big),
    ] {
        let result = store.write_metadata(key, None, value).await;
        assert!(
            matches!(result, Err(StoreError::InvalidMetadata(_))),
            "key {key:?} with {} bytes: {result:?}",
            value.len()
        );
    }
    assert_eq!(store.read_metadata("big").await.expect("read"), None);
}

/// Writers racing from the same expected value: exactly one wins each round.
pub async fn metadata_concurrent_writers_one_wins(store: Arc<dyn EventStore>) {
    const WRITERS: usize = 5;
    const ROUNDS: usize = 8;
    let barrier = Arc::new(Barrier::new(WRITERS));
    let tasks: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            tokio::spawn(async move {
                let mut wins = Vec::new();
                for round in 0..ROUNDS {
                    barrier.wait().await;
                    let expected = (round > 0).then(|| format!("round {}", round - 1));
                    let mine = format!("round {round}");
                    let result = store
                        .write_metadata(
                            "contended",
                            expected.as_deref().map(str::as_bytes),
                            mine.as_bytes(),
                        )
                        .await;
                    match result {
                        Ok(()) => wins.push(round),
                        Err(StoreError::MetadataConflict { current, .. }) => {
                            assert_eq!(
                                current.as_deref(),
                                Some(mine.as_bytes()),
                                "writer {writer}: the winner wrote this round's value"
                            )
                        }
                        Err(e) => panic!("writer {writer}, round {round}: {e}"),
                    }
                    barrier.wait().await;
                }
                wins
            })
        })
        .collect();
    let mut per_round = [0usize; ROUNDS];
    for task in tasks {
        let wins = tokio::time::timeout(PATIENCE, task)
            .await
            .expect("writer finishes")
            .expect("writer task");
        for round in wins {
            per_round[round] += 1;
        }
    }
    assert!(
        per_round.iter().all(|&w| w == 1),
        "one winner per round: {per_round:?}"
    );
}

/// Metadata written are there after the store is opened again.
pub async fn metadata_durable_across_reopen(factory: &dyn StoreFactory) {
    let store = factory.open().await;
    store
        .write_metadata("identity", None, b"key-a")
        .await
        .expect("write");
    store
        .write_metadata("identity", Some(b"key-a"), b"key-b")
        .await
        .expect("replace");
    drop(store);
    let store = factory.open().await;
    assert_eq!(
        store
            .read_metadata("identity")
            .await
            .expect("read")
            .as_deref(),
        Some(&b"key-b"[..])
    );
    let again = store.write_metadata("identity", None, b"key-c").await;
    assert!(
        matches!(again, Err(StoreError::MetadataConflict { .. })),
        "{again:?}"
    );
}
