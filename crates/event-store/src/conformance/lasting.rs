//! Concurrent writers, durability across reopen, importing a log.

use super::*;

/// Appenders racing with `Exact` on one stream: exactly one wins each version,
/// the rest get a conflict, and the stream holds each winner once.
pub async fn concurrent_exact_appenders_one_wins_per_version(store: Arc<dyn EventStore>) {
    const APPENDERS: usize = 6;
    const ROUNDS: u64 = 15;
    let s = stream("standard-contended");
    let barrier = Arc::new(Barrier::new(APPENDERS));

    let tasks: Vec<_> = (0..APPENDERS)
        .map(|appender| {
            let store = Arc::clone(&store);
            let barrier = Arc::clone(&barrier);
            let s = s.clone();
            tokio::spawn(async move {
                let mut results = Vec::new();
                for round in 0..ROUNDS {
                    // Everyone starts a round only after the previous one is decided.
                    barrier.wait().await;
                    let new = event("Contended", format!("{appender}/{round}").as_bytes());
                    let id = new.event_id;
                    let result = store
                        .append(&s, ExpectedVersion::Exact(round), vec![new])
                        .await;
                    results.push((round, id, result));
                    barrier.wait().await;
                }
                results
            })
        })
        .collect();

    let mut winners = Vec::new();
    let mut per_round = vec![0usize; ROUNDS as usize];
    for task in tasks {
        let results = tokio::time::timeout(PATIENCE, task)
            .await
            .expect("appender finishes")
            .expect("appender task");
        for (round, id, result) in results {
            match result {
                Ok(outcome) => {
                    assert_eq!(outcome.stream_version, round + 1);
                    per_round[round as usize] += 1;
                    winners.push((round, id));
                }
                err => expect_wrong_version(err, &s, round, round + 1),
            }
        }
    }
    assert!(
        per_round.iter().all(|&wins| wins == 1),
        "exactly one winner per version: {per_round:?}"
    );

    winners.sort();
    let stored = store.read_stream(&s, 0, READ_PAGE_MAX).await.expect("read");
    let stored_ids: Vec<(u64, Uuid)> = stored
        .iter()
        .map(|e| (e.stream_position, e.event_id))
        .collect();
    assert_eq!(stored_ids, winners, "the stream holds each winner once");
    assert_eq!(store.head_position().await.expect("head"), ROUNDS);
}

/// Everything committed is there after the store is dropped and opened again,
/// and the reopened store continues the log (positions, record time, ids).
pub async fn durable_across_reopen(factory: &dyn StoreFactory) {
    let a = stream("standard-GB 2763 食品安全国家标准");
    let b = stream("standard-B");
    let store = factory.open().await;
    store
        .append(&a, ExpectedVersion::Exact(0), events(3, "一"))
        .await
        .expect("append a");
    let last = store
        .append(&b, ExpectedVersion::Exact(0), events(2, "二"))
        .await
        .expect("append b");
    let kept_id = store.read_all(1, 1).await.expect("read")[0].event_id;
    let before = snapshot(&*store, &[&a, &b]).await;
    drop(store);

    let store = factory.open().await;
    assert_eq!(
        snapshot(&*store, &[&a, &b]).await,
        before,
        "the reopened log is the one committed"
    );
    let mut head = store.subscribe();
    assert_eq!(
        *head.borrow_and_update(),
        5,
        "the watch starts at the stored head"
    );

    expect_wrong_version(
        store
            .append(&a, ExpectedVersion::Exact(0), events(1, "conflict"))
            .await,
        &a,
        0,
        3,
    );
    match store
        .append(
            &b,
            ExpectedVersion::Any,
            vec![NewEvent {
                event_id: kept_id,
                ..event("Again", b"{}")
            }],
        )
        .await
    {
        Err(StoreError::InvalidAppend(_)) => {}
        other => panic!("a stored event id must stay taken, got {other:?}"),
    }

    let next = store
        .append(&a, ExpectedVersion::Exact(3), events(1, "三"))
        .await
        .expect("append after reopen");
    assert_eq!(next.stream_version, 4);
    assert_eq!(next.last_global_position, 6);
    assert!(next.recorded_at >= last.recorded_at);
    tokio::time::timeout(PATIENCE, head.wait_for(|h| *h >= 6))
        .await
        .expect("the watch moves after reopen")
        .expect("the store keeps the watch open");
}

/// Conflicting and invalid appends change nothing that a reopened store shows.
pub async fn failed_appends_leave_log_unchanged_across_reopen(factory: &dyn StoreFactory) {
    let a = stream("standard-A");
    let store = factory.open().await;
    let setup = events(2, "setup");
    let taken = setup[0].event_id;
    store
        .append(&a, ExpectedVersion::Exact(0), setup)
        .await
        .expect("setup");
    let before = snapshot(&*store, &[&a]).await;

    let twin = event("Twin", b"{}");
    let failing: [(ExpectedVersion, Vec<NewEvent>); 4] = [
        (ExpectedVersion::Exact(0), events(3, "conflict")),
        (ExpectedVersion::Exact(5), events(1, "conflict")),
        (ExpectedVersion::Any, vec![twin.clone(), twin]),
        (
            ExpectedVersion::Exact(2),
            vec![
                event("Fresh", b"{}"),
                NewEvent {
                    event_id: taken,
                    ..event("Taken", b"{}")
                },
            ],
        ),
    ];
    for (expected, batch) in failing {
        let result = store.append(&a, expected, batch).await;
        assert!(result.is_err(), "append with {expected:?} must fail");
    }
    drop(store);

    let store = factory.open().await;
    assert_eq!(snapshot(&*store, &[&a]).await, before);
    let outcome = store
        .append(&a, ExpectedVersion::Exact(2), events(1, "after"))
        .await
        .expect("append after reopen");
    assert_eq!(outcome.last_global_position, 3, "no position was burned");
}

/// Importing stored events (migration, mirroring): a copied log arrives
/// exactly, batches not continuing the log are refused whole (the rules of
/// [`crate::check_import`]), and appends continue after imported events.
pub async fn import_continues_log_exactly(store: &dyn EventStore) {
    let import = async |events: Vec<StoredEvent>| store.import_stored(events).await;
    let a = stream("standard-A");
    let b = stream("标准-B");

    // A source log to copy from, whose record times lie ahead of this store's clock.
    let source = MemoryStore::new();
    for (s, count) in [(&a, 2), (&b, 3), (&a, 1), (&b, 2)] {
        source
            .append(s, ExpectedVersion::Any, events(count, s.as_str()))
            .await
            .expect("source append");
    }
    let future = Utc::now().trunc_subsecs(6) + chrono::Duration::days(1);
    let copied: Vec<StoredEvent> = read_everything(&source)
        .await
        .into_iter()
        .map(|e| StoredEvent {
            recorded_at: future + chrono::Duration::microseconds(e.global_position as i64 / 3),
            ..e
        })
        .collect();
    assert_eq!(copied.len(), 8);

    import(Vec::new())
        .await
        .expect("an empty import does nothing");
    assert_eq!(store.head_position().await.expect("head"), 0);

    let mut head = store.subscribe();
    head.borrow_and_update();
    import(copied[..5].to_vec()).await.expect("first import");
    tokio::time::timeout(PATIENCE, head.wait_for(|h| *h >= 5))
        .await
        .expect("the watch moves after an import")
        .expect("the store keeps the watch open");

    let before = snapshot(store, &[&a, &b]).await;
    let at = |i: usize| copied[i].clone();
    let refused: Vec<(&str, Vec<StoredEvent>)> = vec![
        ("gap before the batch", vec![at(6), at(7)]),
        ("repeats the head", vec![at(4), at(5)]),
        (
            "gap inside the batch",
            vec![
                at(5),
                StoredEvent {
                    global_position: 8,
                    ..at(6)
                },
            ],
        ),
        (
            "stream position does not continue",
            vec![
                at(5),
                StoredEvent {
                    stream_position: 7,
                    ..at(6)
                },
            ],
        ),
        (
            "event id already in the log",
            vec![
                at(5),
                StoredEvent {
                    event_id: copied[0].event_id,
                    ..at(6)
                },
            ],
        ),
        (
            "record time goes back",
            vec![
                at(5),
                StoredEvent {
                    recorded_at: copied[0].recorded_at,
                    ..at(6)
                },
            ],
        ),
        (
            "record time finer than microseconds",
            vec![
                at(5),
                StoredEvent {
                    recorded_at: copied[6].recorded_at + chrono::Duration::nanoseconds(1),
                    ..at(6)
                },
            ],
        ),
    ];
    for (name, batch) in refused {
        match import(batch).await {
            Err(StoreError::InvalidAppend(_)) => {}
            other => panic!("{name}: expected InvalidAppend, got {other:?}"),
        }
        assert_eq!(
            snapshot(store, &[&a, &b]).await,
            before,
            "{name}: nothing of the refused import is visible"
        );
    }

    import(copied[5..].to_vec()).await.expect("second import");
    assert_eq!(
        read_everything(store).await,
        copied,
        "imported events keep ids, positions and record times"
    );

    let outcome = store
        .append(&b, ExpectedVersion::Exact(5), events(1, "after import"))
        .await
        .expect("append after import");
    assert_eq!(outcome.last_global_position, 9);
    assert!(
        outcome.recorded_at >= copied[7].recorded_at,
        "record time does not go back behind imported events"
    );
}
