//! Behaviour specific to the PostgreSQL store: several processes on one log.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use common::{TestSchema, event, read_everything};
use event_store::{EventStore, ExpectedVersion, StoreError, StoredEvent, StreamId};
use store_postgres::{ConnectOptions, OpenError, PostgresStore};
use uuid::Uuid;

const WRITERS: usize = 4;
const BATCHES_PER_WRITER: usize = 50;
const SHARED_STREAMS: usize = 2;
const MAX_RETRIES: usize = 1_000;

/// A tiny deterministic generator: the test needs varied batch sizes, not randomness.
fn batch_sizes(seed: u64) -> Vec<usize> {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..BATCHES_PER_WRITER)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            1 + ((state >> 33) % 5) as usize
        })
        .collect()
}

/// Returns (events written, conflicts retried).
async fn writer(store: PostgresStore, index: usize, sizes: Vec<usize>) -> (usize, usize) {
    let own = StreamId::new(format!("writer-{index}"));
    let mut own_version = 0_u64;
    let mut written = 0;
    let mut conflicts = 0;
    for (batch, size) in sizes.into_iter().enumerate() {
        let events: Vec<_> = (0..size)
            .map(|i| event("Tick", format!("w{index} b{batch} e{i}").as_bytes()))
            .collect();
        if batch % 2 == 0 {
            let outcome = store
                .append(&own, ExpectedVersion::Exact(own_version), events)
                .await
                .expect("append to own stream");
            own_version = outcome.stream_version;
        } else {
            let shared = StreamId::new(format!("shared-{}", batch % SHARED_STREAMS));
            let mut attempt = 0;
            loop {
                attempt += 1;
                assert!(attempt <= MAX_RETRIES, "shared append kept conflicting");
                let version = store.stream_version(&shared).await.expect("stream version");
                match store
                    .append(&shared, ExpectedVersion::Exact(version), events.clone())
                    .await
                {
                    Ok(_) => break,
                    Err(StoreError::WrongExpectedVersion { .. }) => conflicts += 1,
                    Err(e) => panic!("shared append failed: {e}"),
                }
            }
        }
        written += size;
    }
    (written, conflicts)
}

async fn follow(store: PostgresStore, total: u64) -> Vec<(u64, Uuid)> {
    let mut seen = Vec::new();
    let mut head = store.subscribe();
    // Bounded: every round either reads at least one event or waits for a change.
    for _ in 0..(total * 4 + 1_000) {
        let announced = *head.borrow_and_update();
        loop {
            let page = store
                .read_all(seen.len() as u64 + 1, 7)
                .await
                .expect("follower read");
            if page.is_empty() {
                break;
            }
            for e in page {
                seen.push((e.global_position, e.event_id));
            }
        }
        if seen.len() as u64 == total {
            return seen;
        }
        assert!(
            announced <= seen.len() as u64,
            "head {announced} was announced but reading stopped at {}",
            seen.len()
        );
        tokio::time::timeout(Duration::from_secs(20), head.changed())
            .await
            .expect("no new head within 20 s while writers were appending")
            .expect("store dropped");
    }
    panic!("follower did not reach {total} events");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_and_a_follower_see_one_gapless_order() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let plans: Vec<Vec<usize>> = (0..WRITERS).map(|w| batch_sizes(w as u64 + 1)).collect();
    let total: usize = plans.iter().flatten().sum();

    // Every participant has its own store, hence its own pool and connections,
    // as separate processes would.
    let follower = tokio::spawn(follow(schema.open().await, total as u64));
    let mut writers = Vec::new();
    for (index, sizes) in plans.into_iter().enumerate() {
        let store = schema
            .open_with(ConnectOptions::default().with_max_connections(2))
            .await;
        writers.push(tokio::spawn(writer(store, index, sizes)));
    }
    let (mut written, mut conflicts) = (0, 0);
    for w in writers {
        let (events, retried) = tokio::time::timeout(Duration::from_secs(120), w)
            .await
            .expect("writer finished in time")
            .expect("writer task");
        written += events;
        conflicts += retried;
    }
    assert_eq!(written, total);
    println!("{total} events appended, {conflicts} shared-stream conflicts retried");
    let followed = tokio::time::timeout(Duration::from_secs(60), follower)
        .await
        .expect("follower caught up in time")
        .expect("follower task");

    let checker = schema.open().await;
    let log = read_everything(&checker).await;
    let expected: Vec<(u64, Uuid)> = log
        .iter()
        .map(|e| (e.global_position, e.event_id))
        .collect();
    assert_eq!(followed, expected, "follower's view differs from the log");
    assert_eq!(log.len(), total);
    assert_gapless(&log);
    assert_eq!(checker.head_position().await.expect("head"), total as u64);
}

fn assert_gapless(log: &[StoredEvent]) {
    let mut ids = HashSet::new();
    let mut next_in_stream: HashMap<&StreamId, u64> = HashMap::new();
    for (i, e) in log.iter().enumerate() {
        assert_eq!(
            e.global_position,
            i as u64 + 1,
            "global positions have a gap"
        );
        assert!(ids.insert(e.event_id), "event {} appears twice", e.event_id);
        let next = next_in_stream.entry(&e.stream).or_insert(0);
        assert_eq!(e.stream_position, *next, "stream {} has a gap", e.stream);
        *next += 1;
        if i > 0 {
            assert!(
                e.recorded_at >= log[i - 1].recorded_at,
                "record time went back"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_first_appends_from_two_processes_let_exactly_one_win() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let a = schema.open().await;
    let b = schema.open().await;
    for round in 0..20 {
        let stream = StreamId::new(format!("race-{round}"));
        let (ra, rb) = tokio::join!(
            a.append(&stream, ExpectedVersion::Exact(0), vec![event("A", b"a")]),
            b.append(&stream, ExpectedVersion::Exact(0), vec![event("B", b"b")]),
        );
        let wins = [&ra, &rb].iter().filter(|r| r.is_ok()).count();
        assert_eq!(wins, 1, "round {round}: {ra:?} / {rb:?}");
        for r in [ra, rb] {
            match r {
                Ok(outcome) => assert_eq!(outcome.stream_version, 1),
                Err(StoreError::WrongExpectedVersion {
                    expected, actual, ..
                }) => assert_eq!((expected, actual), (0, 1)),
                Err(e) => panic!("unexpected error: {e}"),
            }
        }
        assert_eq!(a.read_stream(&stream, 0, 10).await.expect("read").len(), 1);
    }
    assert_gapless(&read_everything(&a).await);
}

#[tokio::test]
async fn an_append_through_one_store_wakes_a_subscriber_of_another() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    // Polling is pushed far beyond the timeout, so only NOTIFY can deliver.
    let slow_poll = ConnectOptions::default().with_poll_interval(Duration::from_secs(3_600));
    let listener = schema.open_with(slow_poll.clone()).await;
    let writer = schema.open_with(slow_poll).await;
    let mut head = listener.subscribe();
    assert_eq!(*head.borrow_and_update(), 0);

    for expected_head in 1..=3_u64 {
        writer
            .append(
                &StreamId::new("s"),
                ExpectedVersion::Any,
                vec![event("E", b"x")],
            )
            .await
            .expect("append");
        tokio::time::timeout(Duration::from_secs(10), async {
            while *head.borrow_and_update() < expected_head {
                head.changed().await.expect("store alive");
            }
        })
        .await
        .expect("notification arrived within 10 s");
        assert_eq!(*head.borrow(), expected_head);
    }
}

#[tokio::test]
async fn polling_catches_up_when_notifications_are_lost() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let follower = schema
        .open_with(ConnectOptions::default().with_poll_interval(Duration::from_millis(100)))
        .await;
    let writer = schema.open().await;
    let mut head = follower.subscribe();
    // Kill the sessions listening on this log, the follower's included, so the notification of the next append is likely to go nowhere.
    let admin = sqlx::PgPool::connect(&schema.url)
        .await
        .expect("admin pool");
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()
           AND query LIKE '%' || $1 || '%'",
    )
    .bind(follower.notify_channel())
    .execute(&admin)
    .await
    .expect("terminate listeners");
    writer
        .append(
            &StreamId::new("s"),
            ExpectedVersion::Any,
            vec![event("E", b"x")],
        )
        .await
        .expect("append");
    tokio::time::timeout(Duration::from_secs(10), async {
        while *head.borrow_and_update() < 1 {
            head.changed().await.expect("store alive");
        }
    })
    .await
    .expect("head reached the follower within 10 s");
    admin.close().await;
}

#[tokio::test]
async fn events_survive_reopening() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let stream = StreamId::new("standard-CN");
    let first = schema.open().await;
    first
        .append(
            &stream,
            ExpectedVersion::Exact(0),
            vec![event("A", b"1"), event("B", b"2")],
        )
        .await
        .expect("append");
    let before = read_everything(&first).await;
    drop(first);

    let second = schema.open().await;
    assert_eq!(read_everything(&second).await, before);
    assert_eq!(second.head_position().await.expect("head"), 2);
    assert_eq!(*second.subscribe().borrow(), 2);
    let outcome = second
        .append(&stream, ExpectedVersion::Exact(2), vec![event("C", b"3")])
        .await
        .expect("append after reopen");
    assert_eq!(outcome.last_global_position, 3);
    assert!(outcome.recorded_at >= before[1].recorded_at);
}

const APPEND_WITH_SEALED: &str = "DROP FUNCTION stdreg_append(TEXT, BIGINT, UUID[], TEXT[], BIGINT[], BYTEA[], BYTEA[], TEXT, TEXT)";
const APPEND_WITHOUT_SEALED: &str =
    "DROP FUNCTION stdreg_append(TEXT, BIGINT, UUID[], TEXT[], BIGINT[], BYTEA[], TEXT, TEXT)";

/// Logs of older schema versions (1: before appends became one function
/// call; 3: before sealed bytes) are migrated on open and keep their events,
/// versions and id checks; the events they held have no sealed bytes, and
/// new appends store them.
#[tokio::test]
async fn a_log_of_an_older_schema_is_migrated_and_continues() {
    let cases: [(i64, &[&str]); 2] = [
        (
            1,
            &[
                APPEND_WITH_SEALED,
                APPEND_WITHOUT_SEALED,
                "ALTER TABLE stdreg_events DROP COLUMN sealed",
                "DROP TABLE stdreg_metadata",
                "DELETE FROM stdreg_schema_version WHERE version > 1",
            ],
        ),
        (
            3,
            &[
                APPEND_WITH_SEALED,
                "ALTER TABLE stdreg_events DROP COLUMN sealed",
                "DELETE FROM stdreg_schema_version WHERE version > 3",
            ],
        ),
    ];
    for (version, downgrade) in cases {
        let Some(schema) = TestSchema::create().await else {
            return;
        };
        let stream = StreamId::new("standard-CN");
        let first = schema.open().await;
        let kept = event("A", b"1");
        let kept_id = kept.event_id;
        first
            .append(
                &stream,
                ExpectedVersion::Exact(0),
                vec![kept, event("B", b"2")],
            )
            .await
            .expect("append");
        let before = read_everything(&first).await;
        drop(first);

        let admin = sqlx::PgPool::connect(&schema.url)
            .await
            .expect("admin pool");
        for &sql in downgrade {
            sqlx::query(sql)
                .execute(&admin)
                .await
                .unwrap_or_else(|e| panic!("turn the log back into schema version {version}: {e}"));
        }
        admin.close().await;

        let second = schema.open().await;
        assert_eq!(read_everything(&second).await, before, "version {version}");
        match second
            .append(&stream, ExpectedVersion::Exact(1), vec![event("C", b"3")])
            .await
        {
            Err(StoreError::WrongExpectedVersion {
                expected: 1,
                actual: 2,
                ..
            }) => {}
            other => panic!("version {version}: expected WrongExpectedVersion at 2, got {other:?}"),
        }
        let mut again = event("C", b"3");
        again.event_id = kept_id;
        match second
            .append(&stream, ExpectedVersion::Exact(2), vec![again])
            .await
        {
            Err(StoreError::InvalidAppend(_)) => {}
            other => {
                panic!("version {version}: expected InvalidAppend for a stored id, got {other:?}")
            }
        }
        let sealed = event_store::NewEvent {
            sealed: Some(b"sealed".to_vec()),
            ..event("C", b"3")
        };
        let outcome = second
            .append(&stream, ExpectedVersion::Exact(2), vec![sealed])
            .await
            .expect("append after migrating");
        assert_eq!(outcome.stream_version, 3);
        assert_eq!(outcome.last_global_position, 3);
        assert_eq!(
            second.read_all(3, 1).await.expect("read")[0]
                .sealed
                .as_deref(),
            Some(&b"sealed"[..]),
            "version {version}"
        );
    }
}

/// The record time follows `event_store::next_record_time`: when the clock is
/// behind the last record time, the append is recorded one microsecond later.
#[tokio::test]
async fn record_time_never_goes_back_when_the_clock_does() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let store = schema.open().await;
    let stream = StreamId::new("standard-CN");
    let admin = sqlx::PgPool::connect(&schema.url)
        .await
        .expect("admin pool");
    let ahead: chrono::DateTime<chrono::Utc> = sqlx::query_scalar(
        "UPDATE stdreg_log_head SET last_recorded_at = date_trunc('second', now()) + INTERVAL '1 day'
        RETURNING last_recorded_at",
    )
    .fetch_one(&admin)
    .await
    .expect("move the last record time ahead of the clock");
    admin.close().await;

    let outcome = store
        .append(
            &stream,
            ExpectedVersion::Exact(0),
            vec![event("A", b"1"), event("B", b"2")],
        )
        .await
        .expect("append");
    let expected = event_store::next_record_time(chrono::Utc::now(), Some(ahead));
    assert_eq!(outcome.recorded_at, expected);
    let log = read_everything(&store).await;
    assert!(log.iter().all(|e| e.recorded_at == expected));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stores_opening_a_fresh_schema_at_once_migrate_it_once() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let url = schema.url.clone();
            tokio::spawn(async move { PostgresStore::connect(&url).await })
        })
        .collect();
    for open in opens {
        open.await.expect("task").expect("open");
    }
    let store = schema.open().await;
    assert_eq!(store.schema(), schema.name);
    assert_eq!(store.head_position().await.expect("head"), 0);
}

#[tokio::test]
async fn import_keeps_ids_positions_and_times_and_refuses_what_does_not_continue() {
    let Some(source_schema) = TestSchema::create().await else {
        return;
    };
    let Some(target_schema) = TestSchema::create().await else {
        return;
    };
    let source = source_schema.open().await;
    let a = StreamId::new("a");
    let b = StreamId::new("b");
    source
        .append(
            &a,
            ExpectedVersion::Exact(0),
            vec![event("A", b"1"), event("A", b"2")],
        )
        .await
        .expect("append");
    source
        .append(&b, ExpectedVersion::Exact(0), vec![event("B", b"3")])
        .await
        .expect("append");
    source
        .append(&a, ExpectedVersion::Exact(2), vec![event("A", b"4")])
        .await
        .expect("append");
    let exported = read_everything(&source).await;

    let target = target_schema.open().await;
    let mut head = target.subscribe();
    target
        .import_stored(Vec::new())
        .await
        .expect("empty import");

    let refuse = |events: Vec<StoredEvent>, head: u64, why: &str| {
        let target = &target;
        let why = why.to_owned();
        async move {
            match target.import_stored(events).await {
                Err(StoreError::InvalidAppend(_)) => {}
                other => panic!("{why}: expected InvalidAppend, got {other:?}"),
            }
            assert_eq!(target.head_position().await.expect("head"), head, "{why}");
        }
    };
    refuse(exported[1..].to_vec(), 0, "starts after position 1").await;
    let mut gap = exported.clone();
    gap.remove(2);
    refuse(gap, 0, "gap in global positions").await;
    let mut wrong_stream_position = exported.clone();
    wrong_stream_position[3].stream_position = 5;
    refuse(
        wrong_stream_position,
        0,
        "stream position does not continue",
    )
    .await;
    let mut time_back = exported.clone();
    time_back[3].recorded_at = time_back[0].recorded_at - chrono::Duration::seconds(1);
    refuse(time_back, 0, "record time goes back").await;
    let mut duplicate = exported.clone();
    duplicate[1].event_id = duplicate[0].event_id;
    refuse(duplicate, 0, "duplicate event id").await;

    target
        .import_stored(exported[..2].to_vec())
        .await
        .expect("import first part");
    refuse(exported[..2].to_vec(), 2, "same events again").await;
    target
        .import_stored(exported[2..].to_vec())
        .await
        .expect("import rest");
    assert_eq!(read_everything(&target).await, exported);
    assert_eq!(*head.borrow_and_update(), 4);

    // Appends continue after imported events, never before their record time.
    let outcome = target
        .append(&a, ExpectedVersion::Exact(3), vec![event("A", b"5")])
        .await
        .expect("append after import");
    assert_eq!(outcome.last_global_position, 5);
    assert!(outcome.recorded_at > exported[3].recorded_at);
}

#[tokio::test]
async fn caller_mistakes_are_invalid_appends() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let store = schema.open().await;
    let s = StreamId::new("s");
    let e = event("E", b"x");
    assert!(matches!(
        store.append(&s, ExpectedVersion::Any, vec![]).await,
        Err(StoreError::InvalidAppend(_))
    ));
    assert!(matches!(
        store
            .append(&s, ExpectedVersion::Any, vec![e.clone(), e.clone()])
            .await,
        Err(StoreError::InvalidAppend(_))
    ));
    store
        .append(&s, ExpectedVersion::Any, vec![e.clone()])
        .await
        .expect("first");
    assert!(matches!(
        store.append(&s, ExpectedVersion::Any, vec![e]).await,
        Err(StoreError::InvalidAppend(_))
    ));
    assert!(matches!(
        store
            .append(
                &StreamId::new("nul\0"),
                ExpectedVersion::Any,
                vec![event("E", b"")]
            )
            .await,
        Err(StoreError::InvalidAppend(_))
    ));
    assert_eq!(
        store
            .stream_version(&StreamId::new("nul\0"))
            .await
            .expect("version"),
        0
    );
    assert_eq!(store.head_position().await.expect("head"), 1);
    // Large positions are simply past the end.
    assert!(store.read_all(u64::MAX, 10).await.expect("read").is_empty());
    assert!(
        store
            .read_stream(&s, u64::MAX, 10)
            .await
            .expect("read")
            .is_empty()
    );
}

#[tokio::test]
async fn a_schema_from_a_newer_build_is_refused() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    drop(schema.open().await);
    let admin = sqlx::PgPool::connect(&schema.url)
        .await
        .expect("admin pool");
    sqlx::query("INSERT INTO stdreg_schema_version (version) VALUES (999)")
        .execute(&admin)
        .await
        .expect("fake a newer schema");
    admin.close().await;
    match PostgresStore::connect(&schema.url).await {
        Err(OpenError::SchemaTooNew { found: 999, .. }) => {}
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

#[tokio::test]
async fn a_missing_schema_is_reported() {
    let Some(base) = store_postgres::testing::test_url() else {
        return;
    };
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options=-c%20search_path%3Dno_such_schema_here");
    match PostgresStore::connect(&url).await {
        Err(e @ OpenError::NoSchema) => assert!(e.to_string().contains("search_path")),
        other => panic!("expected NoSchema, got {other:?}"),
    }
}

/// Needs no server: nothing listens on port 1.
#[tokio::test]
async fn an_unreachable_server_names_the_host_but_not_the_password() {
    let err = PostgresStore::connect("postgres://someone:s3cr3t-pw@127.0.0.1:1/somedb")
        .await
        .expect_err("nothing listens on port 1");
    let message = err.to_string();
    assert!(matches!(err, OpenError::Connect { .. }), "{err:?}");
    assert!(message.contains("127.0.0.1:1"), "{message}");
    assert!(message.contains("somedb"), "{message}");
    let mut chain = format!("{err:?}");
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        chain.push_str(&s.to_string());
        source = s.source();
    }
    assert!(
        !message.contains("s3cr3t-pw") && !chain.contains("s3cr3t-pw"),
        "{chain}"
    );

    assert!(matches!(
        PostgresStore::connect("not a url").await,
        Err(OpenError::InvalidUrl { .. })
    ));
}

#[tokio::test]
async fn dropping_the_store_ends_its_listener() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let store = schema.open().await;
    let channel = store.notify_channel().to_owned();
    let admin = sqlx::PgPool::connect(&schema.url)
        .await
        .expect("admin pool");
    let listening = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()
               AND query LIKE '%' || $1 || '%'",
        )
        .bind(&channel)
        .fetch_one(&admin)
        .await
        .expect("query sessions")
    };
    assert_eq!(listening().await, 1);
    drop(store);
    // The server learns of the closed session on its own schedule, so this
    // polls another process's state against a deadline.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while listening().await > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the listener session outlived the store by 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    admin.close().await;
}
