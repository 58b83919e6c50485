//! A follower outlives a failing store: it retries until the store answers
//! again and then indexes everything it missed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use event_store::{EventStore, Hooked, Hooks, MemoryStore, StoreError};
use registry::Registry;
use tokio::sync::watch;

/// The next `failures` reads of the global log fail, as reads from a
/// restarting database do.
#[derive(Debug, Default)]
struct Flaky {
    failures: AtomicUsize,
    failed: AtomicUsize,
}

#[async_trait]
impl Hooks for Flaky {
    async fn before_read_all(&self, _from: u64) -> Result<(), StoreError> {
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
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn the_follower_retries_a_failing_store_and_catches_up() {
    let log = Arc::new(MemoryStore::new());
    let writer = Registry::open(Arc::clone(&log) as Arc<dyn EventStore>)
        .await
        .expect("writer");
    let flaky = Arc::new(Hooked {
        inner: Arc::clone(&log),
        hooks: Flaky::default(),
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
    flaky.hooks.failures.store(FAILURES, Ordering::SeqCst);
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
    assert_eq!(flaky.hooks.failed.load(Ordering::SeqCst), FAILURES);
    assert!(!follower.is_finished(), "the follower is still following");

    stop.send(true).expect("the follower listens");
    follower
        .await
        .expect("follower task")
        .expect("the follower stops without error");
}
