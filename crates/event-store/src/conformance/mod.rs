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

mod lasting;
mod metadata;
mod reading;
mod sealed;
mod writing;

pub use lasting::*;
pub use metadata::*;
pub use reading::*;
pub use sealed::*;
pub use writing::*;

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
            metadata_compare_and_set,
            sealed_bytes_round_trip,
            sealed_bytes_survive_import,
            failed_append_stores_no_sealed_bytes,
        );
        $crate::conformance_tests!(@shared $factory;
            follower_sees_every_event_once_in_order,
            concurrent_exact_appenders_one_wins_per_version,
            metadata_concurrent_writers_one_wins,
        );
    };
    (persistent: $factory:expr $(,)?) => {
        $crate::conformance_tests!($factory);
        $crate::conformance_tests!(@reopening $factory;
            durable_across_reopen,
            failed_appends_leave_log_unchanged_across_reopen,
            metadata_durable_across_reopen,
            sealed_bytes_durable_across_reopen,
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
        sealed: None,
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
