//! A follower outlives a failing store: it retries until the store answers
//! again and then indexes everything it missed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use event_store::{
    AppendOutcome, EventStore, ExpectedVersion, MemoryStore, NewEvent, StoreError, StoredEvent,
    StreamId,
};
use registry::Registry;
use tokio::sync::watch;

/// A store whose next `failures` reads of the global log fail, as reads from
/// a restarting database do.
#[derive(Debug)]
struct Flaky {
    inner: Arc<MemoryStore>,
    failures: AtomicUsize,
    failed: AtomicUsize,
}

#[async_trait]
impl EventStore for Flaky {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        self.inner.append(stream, expected, events).await
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        from_stream_position: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.inner
            .read_stream(stream, from_stream_position, limit)
            .await
    }

    async fn read_all(
        &self,
        from_global_position: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let failing = self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            self.failed.fetch_add(1, Ordering::SeqCst);
            return Err(StoreError::Backend {
                message: "the database is restarting".to_owned(),
                source: None,
            });
        }
        self.inner.read_all(from_global_position, limit).await
    }

    async fn head_position(&self) -> Result<u64, StoreError> {
        self.inner.head_position().await
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        self.inner.stream_version(stream).await
    }

    fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.subscribe()
    }
}

#[tokio::test(start_paused = true)]
async fn the_follower_retries_a_failing_store_and_catches_up() {
    let log = Arc::new(MemoryStore::new());
    let writer = Registry::open(Arc::clone(&log) as Arc<dyn EventStore>)
        .await
        .expect("writer");
    let flaky = Arc::new(Flaky {
        inner: Arc::clone(&log),
        failures: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
    });
    let reader = Arc::new(
        Registry::open(Arc::clone(&flaky) as Arc<dyn EventStore>)
            .await
            .expect("reader"),
    );
    let (stop, stopped) = watch::channel(false);
    let follower = tokio::spawn({
        let reader = Arc::clone(&reader);
        async move { reader.follow(stopped).await }
    });

    // Several failures in a row: the waits between attempts grow, and the
    // follower still gets there.
    const FAILURES: usize = 6;
    flaky.failures.store(FAILURES, Ordering::SeqCst);
    let mut last = 0;
    for revision in registry::bundled::national_revisions().expect("bundled data") {
        last = writer
            .publish(&revision, "test", None)
            .await
            .expect("publish")
            .last_global_position;
    }
    let mut indexed = reader.indexed();
    // Paused time: the bound is on the follower's backoff, not on the machine.
    let patience = registry::FOLLOW_RETRY_MAX * FAILURES as u32 + Duration::from_secs(1);
    tokio::time::timeout(patience, indexed.wait_for(|at| *at >= last))
        .await
        .expect("the follower catches up once the store answers again")
        .expect("the registry keeps its watch open");
    assert_eq!(flaky.failed.load(Ordering::SeqCst), FAILURES);
    assert!(!follower.is_finished(), "the follower is still following");

    stop.send(true).expect("the follower listens");
    follower
        .await
        .expect("follower task")
        .expect("the follower stops without error");
}
