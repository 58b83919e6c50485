//! The behaviour every [`EventStore`] backend must show, as public async
//! functions a backend's tests call.
//!
//! A backend stamps the whole list out as tests with [`conformance_tests!`]:
//!
//! ```ignore
//! // tests/conformance.rs of an in-memory backend
//! event_store::conformance_tests!(|| async { MyStore::new() });
//!
//! // a persistent backend: every `open` on one factory reaches the same log,
//! // which adds the cases that reopen the store
//! fn temp_log() -> impl event_store::conformance::StoreFactory {
//!     let dir = tempfile::tempdir().expect("temporary directory");
//!     move || {
//!         let path = dir.path().join("events.db");
//!         async move { MyStore::open(path).await.expect("open the log") }
//!     }
//! }
//! event_store::conformance_tests!(persistent: temp_log());
//! ```
//!
//! The generated tests are `#[tokio::test]`s, so the calling crate needs
//! `tokio` as a dev-dependency. Each case gets a factory of its own, so each
//! starts from an empty log.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use tokio::sync::Barrier;
use uuid::Uuid;

use crate::{
    EventStore, ExpectedVersion, MemoryStore, NewEvent, READ_PAGE_MAX, StoreError, StoredEvent,
    StreamId,
};

/// A boxed, sendable future, as [`StoreFactory::open`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How the suite gets a store.
///
/// For the cases that reopen a store (see [`conformance_tests!`]'s
/// `persistent:` form) every `open` on one factory must reach the same log,
/// as a restarted process would; the suite drops the previous store first.
/// Any `Fn() -> impl Future<Output = impl EventStore>` closure is a factory.
pub trait StoreFactory: Send + Sync {
    fn open(&self) -> BoxFuture<'_, Arc<dyn EventStore>>;
}

impl<F, Fut, S> StoreFactory for F
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = S> + Send + 'static,
    S: EventStore + 'static,
{
    fn open(&self) -> BoxFuture<'_, Arc<dyn EventStore>> {
        let opening = self();
        Box::pin(async move { Arc::new(opening.await) as Arc<dyn EventStore> })
    }
}

/// Stamps out every conformance case as a `#[tokio::test]` for one backend.
///
/// `conformance_tests!(factory)` runs the cases every backend must pass;
/// `conformance_tests!(persistent: factory)` adds those that drop the store
/// and open it again. `factory` is an expression evaluated once per case,
/// giving a [`StoreFactory`](crate::conformance::StoreFactory).
#[macro_export]
macro_rules! conformance_tests {
    ($factory:expr $(,)?) => {
        $crate::conformance_tests!(@borrowed $factory;
            append_and_read_round_trip,
            expected_version_conflicts,
            failed_batches_are_atomic,
            global_order_across_streams,
            paging_and_limits,
            limit_is_capped_at_page_max,
            head_and_stream_version,
            subscribe_reports_head,
            import_continues_log_exactly,
        );
        $crate::conformance_tests!(@shared $factory;
            follower_sees_every_event_once_in_order,
            concurrent_exact_appenders_one_wins_per_version,
        );
    };
    (persistent: $factory:expr $(,)?) => {
        $crate::conformance_tests!($factory);
        $crate::conformance_tests!(@reopening $factory;
            durable_across_reopen,
            failed_appends_leave_log_unchanged_across_reopen,
        );
    };
    (@borrowed $factory:expr; $($case:ident),* $(,)?) => {$(
        #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $case() {
            let factory = $factory;
            let store = $crate::conformance::StoreFactory::open(&factory).await;
            $crate::conformance::$case(&*store).await;
        }
    )*};
    (@shared $factory:expr; $($case:ident),* $(,)?) => {$(
        #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $case() {
            let factory = $factory;
            let store = $crate::conformance::StoreFactory::open(&factory).await;
            $crate::conformance::$case(store).await;
        }
    )*};
    (@reopening $factory:expr; $($case:ident),* $(,)?) => {$(
        #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $case() {
            let factory = $factory;
            $crate::conformance::$case(&factory).await;
        }
    )*};
}

/// Guards awaits on other tasks so a broken backend fails the test instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(30);

fn stream(name: &str) -> StreamId {
    StreamId::new(name)
}

fn event(event_type: &str, data: &[u8]) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: event_type.to_owned(),
        schema_version: 1,
        data: data.to_vec(),
    }
}

fn events(count: usize, tag: &str) -> Vec<NewEvent> {
    (0..count)
        .map(|i| {
            event(
                "Numbered",
                format!("{{\"tag\":\"{tag}\",\"n\":{i}}}").as_bytes(),
            )
        })
        .collect()
}

/// Reads the whole global log page by page (test logs are small).
async fn read_everything(store: &dyn EventStore) -> Vec<StoredEvent> {
    let mut all = Vec::new();
    // One more round than pages, so a store that never returns an empty page fails.
    let head = store.head_position().await.expect("head position");
    let rounds = head / READ_PAGE_MAX as u64 + 2;
    for _ in 0..rounds {
        let from = all.len() as u64 + 1;
        let page = store.read_all(from, READ_PAGE_MAX).await.expect("read_all");
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
    panic!("read_all kept returning events past the head {head}");
}

/// Everything a caller can observe about a log, to compare before and after.
#[derive(Debug, PartialEq)]
struct Snapshot {
    head: u64,
    versions: Vec<(StreamId, u64)>,
    events: Vec<StoredEvent>,
}

async fn snapshot(store: &dyn EventStore, streams: &[&StreamId]) -> Snapshot {
    let mut versions = Vec::new();
    for s in streams {
        let version = store.stream_version(s).await.expect("stream_version");
        versions.push(((*s).clone(), version));
    }
    Snapshot {
        head: store.head_position().await.expect("head position"),
        versions,
        events: read_everything(store).await,
    }
}

fn expect_wrong_version(
    result: Result<impl std::fmt::Debug, StoreError>,
    want_stream: &StreamId,
    want_expected: u64,
    want_actual: u64,
) {
    match result {
        Err(StoreError::WrongExpectedVersion {
            stream,
            expected,
            actual,
        }) => {
            assert_eq!(&stream, want_stream, "conflict names the stream");
            assert_eq!(
                expected, want_expected,
                "conflict reports what was expected"
            );
            assert_eq!(actual, want_actual, "conflict reports the actual version");
        }
        other => panic!(
            "expected WrongExpectedVersion {{ {want_stream}, expected {want_expected}, actual {want_actual} }}, got {other:?}"
        ),
    }
}

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
        },
        NewEvent {
            event_id: Uuid::now_v7(),
            event_type: "修订发布".to_owned(),
            schema_version: u32::MAX,
            data: vec![0, 0xff, 0xfe, b'\n', 0, 0xe4, 0xbf],
        },
        NewEvent {
            event_id: Uuid::nil(),
            event_type: String::new(),
            schema_version: 0,
            data: Vec::new(),
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

/// Reads start where asked, stop at the limit, page without overlap or loss.
pub async fn paging_and_limits(store: &dyn EventStore) {
    let a = stream("standard-A");
    let b = stream("standard-B");
    // Interleaved so stream positions and global positions differ.
    for i in 0..25usize {
        store
            .append(&a, ExpectedVersion::Any, events(1, "a"))
            .await
            .expect("append a");
        if i % 2 == 0 {
            store
                .append(&b, ExpectedVersion::Any, events(1, "b"))
                .await
                .expect("append b");
        }
    }
    let head = store.head_position().await.expect("head");
    assert_eq!(head, 38);

    // (from, limit, expected global positions)
    let all_cases: [(u64, usize, std::ops::Range<u64>); 9] = [
        (1, 10, 1..11),
        (11, 10, 11..21),
        (31, 10, 31..39),
        (0, 3, 1..4),
        (38, 5, 38..39),
        (39, 5, 0..0),
        (u64::MAX, 5, 0..0),
        (1, 0, 0..0),
        (1, usize::MAX, 1..39),
    ];
    for (from, limit, want) in all_cases {
        let got: Vec<u64> = store
            .read_all(from, limit)
            .await
            .expect("read_all")
            .iter()
            .map(|e| e.global_position)
            .collect();
        assert_eq!(
            got,
            want.collect::<Vec<_>>(),
            "read_all(from {from}, limit {limit})"
        );
    }

    // (stream, from, limit, expected stream positions)
    let stream_cases: [(&StreamId, u64, usize, std::ops::Range<u64>); 8] = [
        (&a, 0, 10, 0..10),
        (&a, 10, 10, 10..20),
        (&a, 20, 10, 20..25),
        (&a, 25, 10, 0..0),
        (&a, u64::MAX, 10, 0..0),
        (&a, 0, 0, 0..0),
        (&b, 5, usize::MAX, 5..13),
        (&stream("standard-none"), 0, 10, 0..0),
    ];
    for (s, from, limit, want) in stream_cases {
        let page = store
            .read_stream(s, from, limit)
            .await
            .expect("read_stream");
        assert!(page.iter().all(|e| &e.stream == s), "only {s} is read");
        let got: Vec<u64> = page.iter().map(|e| e.stream_position).collect();
        assert_eq!(
            got,
            want.collect::<Vec<_>>(),
            "read_stream({s}, from {from}, limit {limit})"
        );
    }

    // Paging with an odd page size visits every event once, in order.
    let mut paged = Vec::new();
    for _ in 0..=head {
        let page = store
            .read_all(paged.len() as u64 + 1, 7)
            .await
            .expect("page");
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 7);
        paged.extend(page);
    }
    assert_eq!(paged, read_everything(store).await);

    let mut paged_a = Vec::new();
    for _ in 0..=head {
        let page = store
            .read_stream(&a, paged_a.len() as u64, 4)
            .await
            .expect("page");
        if page.is_empty() {
            break;
        }
        paged_a.extend(page);
    }
    let whole_a = store.read_stream(&a, 0, READ_PAGE_MAX).await.expect("a");
    assert_eq!(paged_a, whole_a);
    assert_eq!(paged_a.len(), 25);
}

/// No read returns more than [`READ_PAGE_MAX`] events, whatever the limit.
pub async fn limit_is_capped_at_page_max(store: &dyn EventStore) {
    let s = stream("standard-big");
    let total = READ_PAGE_MAX + 5;
    let batch = 2_000;
    let mut appended = 0;
    while appended < total {
        let size = batch.min(total - appended);
        store
            .append(&s, ExpectedVersion::Any, events(size, "big"))
            .await
            .expect("append");
        appended += size;
    }
    for limit in [READ_PAGE_MAX, READ_PAGE_MAX + 1, usize::MAX] {
        let page = store.read_all(1, limit).await.expect("read_all");
        assert_eq!(page.len(), READ_PAGE_MAX, "read_all with limit {limit}");
        let page = store.read_stream(&s, 0, limit).await.expect("read_stream");
        assert_eq!(page.len(), READ_PAGE_MAX, "read_stream with limit {limit}");
    }
    let rest = store
        .read_all(READ_PAGE_MAX as u64 + 1, usize::MAX)
        .await
        .expect("rest");
    assert_eq!(rest.len(), 5);
    assert_eq!(
        rest.last().map(|e| e.global_position),
        Some(total as u64),
        "the second page ends at the head"
    );
}

/// Head and stream versions count events; stream names are compared exactly.
pub async fn head_and_stream_version(store: &dyn EventStore) {
    let names = [
        "standard-CN",
        "standard-cn",
        "standard-CN-2",
        "standard-CN ",
        "标准-国标",
    ];
    let streams: Vec<StreamId> = names.iter().map(|n| stream(n)).collect();
    assert_eq!(store.head_position().await.expect("head"), 0);
    for s in &streams {
        assert_eq!(store.stream_version(s).await.expect("version"), 0);
    }

    let mut head = 0;
    for (i, s) in streams.iter().enumerate() {
        let count = i + 1;
        store
            .append(s, ExpectedVersion::Exact(0), events(count, s.as_str()))
            .await
            .expect("append");
        head += count as u64;
        assert_eq!(store.head_position().await.expect("head"), head);
    }
    for (i, s) in streams.iter().enumerate() {
        assert_eq!(
            store.stream_version(s).await.expect("version"),
            i as u64 + 1,
            "version of {s:?}"
        );
    }
    assert_eq!(
        store
            .stream_version(&stream("standard"))
            .await
            .expect("version"),
        0,
        "a prefix of a stream name is another, empty stream"
    );
}

/// The watch holds the head: current when subscribing, moved on by appends.
pub async fn subscribe_reports_head(store: &dyn EventStore) {
    let s = stream("standard-CN");
    let mut early = store.subscribe();
    assert_eq!(*early.borrow_and_update(), 0, "empty log, head 0");

    let outcome = store
        .append(&s, ExpectedVersion::Any, events(3, "first"))
        .await
        .expect("append");
    tokio::time::timeout(PATIENCE, early.changed())
        .await
        .expect("the watch changes after an append")
        .expect("the store keeps the watch open");
    assert_eq!(*early.borrow_and_update(), outcome.last_global_position);

    let mut late = store.subscribe();
    assert_eq!(
        *late.borrow_and_update(),
        3,
        "a new subscriber sees the head"
    );

    let outcome = store
        .append(&s, ExpectedVersion::Exact(3), events(2, "second"))
        .await
        .expect("append");
    for rx in [&mut early, &mut late] {
        let head = tokio::time::timeout(PATIENCE, rx.wait_for(|h| *h >= 5))
            .await
            .expect("the watch reaches the new head")
            .map(|h| *h)
            .expect("the store keeps the watch open");
        assert_eq!(head, outcome.last_global_position);
    }

    let failed = store
        .append(&s, ExpectedVersion::Exact(0), events(1, "conflict"))
        .await;
    assert!(failed.is_err());
    assert_eq!(*early.borrow(), 5, "a failed append leaves the head alone");
}

/// A follower that catches up with `read_all` and then awaits the watch sees
/// every event exactly once, in order, while a writer appends concurrently.
pub async fn follower_sees_every_event_once_in_order(store: Arc<dyn EventStore>) {
    const APPENDS: usize = 150;
    let batch_size = |i: usize| i % 3 + 1;
    let total: u64 = (0..APPENDS).map(|i| batch_size(i) as u64).sum();

    let follower = tokio::spawn({
        let store = Arc::clone(&store);
        async move {
            // Subscribe before reading, so no append slips between the last
            // read and the wait.
            let mut head = store.subscribe();
            let mut seen: Vec<StoredEvent> = Vec::new();
            // Each wait is woken by at least one append, each read round makes progress.
            for _ in 0..=(2 * total) {
                head.mark_unchanged();
                loop {
                    let page = store
                        .read_all(seen.len() as u64 + 1, 16)
                        .await
                        .expect("follower read");
                    if page.is_empty() {
                        break;
                    }
                    seen.extend(page);
                }
                if seen.len() as u64 >= total {
                    return seen;
                }
                tokio::time::timeout(PATIENCE, head.changed())
                    .await
                    .expect("the watch changes while the writer appends")
                    .expect("the store keeps the watch open");
            }
            panic!("follower did not catch up after {} rounds", 2 * total);
        }
    });

    let writer = tokio::spawn({
        let store = Arc::clone(&store);
        async move {
            let streams = [stream("standard-A"), stream("standard-B"), stream("标准-C")];
            for i in 0..APPENDS {
                store
                    .append(
                        &streams[i % streams.len()],
                        ExpectedVersion::Any,
                        events(batch_size(i), "live"),
                    )
                    .await
                    .expect("writer append");
                // Give the follower turns to catch up mid-stream.
                tokio::task::yield_now().await;
            }
        }
    });

    writer.await.expect("writer task");
    let seen = tokio::time::timeout(PATIENCE, follower)
        .await
        .expect("follower finishes")
        .expect("follower task");
    assert_eq!(seen.len() as u64, total, "every event seen exactly once");
    for (i, e) in seen.iter().enumerate() {
        assert_eq!(e.global_position, i as u64 + 1, "in global order");
    }
    assert_eq!(seen, read_everything(&*store).await);
}

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
