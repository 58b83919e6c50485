//! Appends: round trips, expected versions, atomic batches, global order.

use super::*;

/// Every field written comes back unchanged, in stream and global reads, and
/// the store fills in positions and one record time per append.
pub async fn append_and_read_round_trip(store: &dyn EventStore) {
    let standard = stream("standard-GB/T 7714-2015 信息与文献");
    let written = vec![
        NewEvent {
            event_id: Uuid::now_v7(),
            event_type: "StandardRegistered".to_owned(),
            schema_version: 1,
            data: r#"{"title":"信息与文献 参考文献著录规则","code":"GB/T 7714—2015"}"#
                .as_bytes()
                .to_vec(),
            sealed: None,
        },
        NewEvent {
            event_id: Uuid::now_v7(),
            event_type: "修订发布".to_owned(),
            schema_version: u32::MAX,
            data: vec![0, 0xff, 0xfe, b'\n', 0, 0xe4, 0xbf],
            sealed: None,
        },
        NewEvent {
            event_id: Uuid::nil(),
            event_type: String::new(),
            schema_version: 0,
            data: Vec::new(),
            sealed: None,
        },
    ];
    let before = Utc::now().trunc_subsecs(6);
    let outcome = store
        .append(&standard, ExpectedVersion::Exact(0), written.clone())
        .await
        .expect("append to a new stream");
    let after = Utc::now();

    assert_eq!(outcome.stream_version, 3);
    assert_eq!(outcome.last_global_position, 3);
    assert!(
        before <= outcome.recorded_at && outcome.recorded_at <= after,
        "record time {} is the commit time, between {before} and {after}",
        outcome.recorded_at
    );
    assert_eq!(
        outcome.recorded_at,
        outcome.recorded_at.trunc_subsecs(6),
        "record time is kept to the microsecond"
    );

    let by_stream = store
        .read_stream(&standard, 0, 10)
        .await
        .expect("read_stream");
    let by_global = store.read_all(1, 10).await.expect("read_all");
    assert_eq!(by_stream, by_global, "both reads give the same events");
    assert_eq!(by_stream.len(), written.len());
    for (i, (stored, new)) in by_stream.iter().zip(&written).enumerate() {
        let expected = StoredEvent {
            event_id: new.event_id,
            stream: standard.clone(),
            stream_position: i as u64,
            global_position: i as u64 + 1,
            event_type: new.event_type.clone(),
            schema_version: new.schema_version,
            data: new.data.clone(),
            recorded_at: outcome.recorded_at,
            sealed: None,
        };
        assert_eq!(stored, &expected, "event {i} comes back as written");
    }
}

/// `Exact` must match the stream version, conflicts name stream/expected/actual
/// and append nothing, and `Any` always appends.
pub async fn expected_version_conflicts(store: &dyn EventStore) {
    let existing = stream("standard-CN");
    let fresh = stream("standard-CN-2");
    store
        .append(&existing, ExpectedVersion::Exact(0), events(2, "setup"))
        .await
        .expect("setup append");

    struct Case<'a> {
        stream: &'a StreamId,
        expected: u64,
        actual: u64,
    }
    let conflict = |stream, expected, actual| Case {
        stream,
        expected,
        actual,
    };
    let conflicts = [
        conflict(&existing, 0, 2),
        conflict(&existing, 1, 2),
        conflict(&existing, 3, 2),
        conflict(&existing, u64::MAX, 2),
        conflict(&fresh, 1, 0),
    ];
    let before = snapshot(store, &[&existing, &fresh]).await;
    for case in &conflicts {
        let result = store
            .append(
                case.stream,
                ExpectedVersion::Exact(case.expected),
                events(1, "conflict"),
            )
            .await;
        expect_wrong_version(result, case.stream, case.expected, case.actual);
        assert_eq!(
            snapshot(store, &[&existing, &fresh]).await,
            before,
            "a conflict on {} expecting {} appended nothing",
            case.stream,
            case.expected
        );
    }

    let accepted = [
        (&existing, ExpectedVersion::Exact(2), 3, 3),
        (&existing, ExpectedVersion::Any, 4, 4),
        (&fresh, ExpectedVersion::Any, 1, 5),
        (&fresh, ExpectedVersion::Exact(1), 2, 6),
        (&stream("standard-CN-3"), ExpectedVersion::Exact(0), 1, 7),
    ];
    for (s, expected, version, global) in accepted {
        let outcome = store
            .append(s, expected, events(1, "accepted"))
            .await
            .unwrap_or_else(|e| panic!("append to {s} with {expected:?}: {e}"));
        assert_eq!(
            outcome.stream_version, version,
            "version of {s} after append"
        );
        assert_eq!(outcome.last_global_position, global);
    }
}

/// A batch that fails shows nothing of itself, and burns no positions.
pub async fn failed_batches_are_atomic(store: &dyn EventStore) {
    let a = stream("standard-A");
    let b = stream("standard-B");
    let logged = events(2, "logged");
    let logged_id = logged[1].event_id;
    store
        .append(&a, ExpectedVersion::Exact(0), logged)
        .await
        .expect("setup append");

    let twin = event("Twin", b"{}");
    let cases: Vec<(&str, &StreamId, ExpectedVersion, Vec<NewEvent>)> = vec![
        ("empty batch", &a, ExpectedVersion::Any, Vec::new()),
        (
            "same id twice in the batch, existing stream",
            &a,
            ExpectedVersion::Any,
            vec![event("First", b"1"), twin.clone(), twin.clone()],
        ),
        (
            "same id twice in the batch, new stream",
            &b,
            ExpectedVersion::Exact(0),
            vec![twin.clone(), twin.clone()],
        ),
        (
            "id already in the log, same stream",
            &a,
            ExpectedVersion::Exact(2),
            vec![
                event("First", b"1"),
                NewEvent {
                    event_id: logged_id,
                    ..event("Again", b"2")
                },
            ],
        ),
        (
            "id already in the log, other stream",
            &b,
            ExpectedVersion::Any,
            vec![
                event("First", b"1"),
                event("Second", b"2"),
                NewEvent {
                    event_id: logged_id,
                    ..event("Again", b"3")
                },
            ],
        ),
    ];
    let before = snapshot(store, &[&a, &b]).await;
    for (name, s, expected, batch) in cases {
        match store.append(s, expected, batch).await {
            Err(StoreError::InvalidAppend(_)) => {}
            other => panic!("{name}: expected InvalidAppend, got {other:?}"),
        }
        assert_eq!(
            snapshot(store, &[&a, &b]).await,
            before,
            "{name}: nothing of the failed batch is visible"
        );
    }

    let outcome = store
        .append(&b, ExpectedVersion::Exact(0), vec![twin])
        .await
        .expect("the twin id is still free after the failed batches");
    assert_eq!(outcome.last_global_position, 3, "no position was burned");
    assert_eq!(outcome.stream_version, 1);
}

/// Appends to many streams form one gapless, strictly increasing global order
/// with non-decreasing record times, and each stream reads as its slice of it.
pub async fn global_order_across_streams(store: &dyn EventStore) {
    let streams: Vec<StreamId> = (0..5).map(|i| stream(&format!("standard-{i}"))).collect();
    let mut appended = 0u64;
    let mut last_recorded: Option<DateTime<Utc>> = None;
    for round in 0..12usize {
        let s = &streams[(round * 3) % streams.len()];
        let batch_size = round % 4 + 1;
        let outcome = store
            .append(s, ExpectedVersion::Any, events(batch_size, s.as_str()))
            .await
            .expect("append");
        appended += batch_size as u64;
        assert_eq!(outcome.last_global_position, appended);
        if let Some(last) = last_recorded {
            assert!(
                outcome.recorded_at >= last,
                "record time never goes back between appends"
            );
        }
        last_recorded = Some(outcome.recorded_at);
    }

    let all = read_everything(store).await;
    assert_eq!(all.len() as u64, appended);
    for (i, e) in all.iter().enumerate() {
        assert_eq!(e.global_position, i as u64 + 1, "global log is gapless");
    }
    for pair in all.windows(2) {
        assert!(
            pair[0].recorded_at <= pair[1].recorded_at,
            "record time at {} goes back",
            pair[1].global_position
        );
    }
    for s in &streams {
        let in_stream: Vec<StoredEvent> = all.iter().filter(|e| &e.stream == s).cloned().collect();
        let read = store.read_stream(s, 0, READ_PAGE_MAX).await.expect("read");
        assert_eq!(read, in_stream, "{s} is its slice of the global log");
        for (i, e) in read.iter().enumerate() {
            assert_eq!(e.stream_position, i as u64, "{s} positions are gapless");
        }
        assert_eq!(
            store.stream_version(s).await.expect("version"),
            read.len() as u64
        );
    }
}
