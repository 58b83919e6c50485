//! Catch-up reads the log in pages; an append larger than what is left of a
//! page must still reach readers whole.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::NaiveDate;
use domain::event::{Event, EventContext, NewDomainEvent};
use domain::ids::{Jurisdiction, RevisionId};
use event_store::{EventStore, ExpectedVersion, Hooked, Hooks, NewEvent, StoreError};
use registry::{CATCH_UP_PAGE, Registry, codec};
use tokio::sync::Semaphore;
use uuid::Uuid;

/// Lets a read of the log past its first page through only when the test
/// allows it, so that the test can look between two pages.
#[derive(Debug)]
struct Gate(Semaphore);

#[async_trait]
impl Hooks for Gate {
    async fn before_read_all(&self, from: u64) -> Result<(), StoreError> {
        if from > 1 {
            self.0
                .acquire()
                .await
                .map_err(|e| StoreError::backend("gate closed", e))?
                .forget();
        }
        Ok(())
    }
}

/// One append of `count` bookkeeping events of revision `revision`.
fn append_of(revision: &str, count: usize) -> Vec<NewEvent> {
    let context = EventContext {
        revision: RevisionId::parse(revision).expect("revision id"),
        effective_from: NaiveDate::from_ymd_opt(2024, 1, 1).expect("date"),
        actor: "test".into(),
        reason: "a large append".into(),
    };
    (0..count)
        .map(|_| {
            let event = NewDomainEvent {
                context: context.clone(),
                event: Event::RevisionWithdrawn {
                    withdrawn: RevisionId::parse("nothing").expect("revision id"),
                },
            };
            codec::encode(&event, Uuid::now_v7()).expect("randomness")
        })
        .collect()
}

#[tokio::test]
async fn an_append_split_across_pages_is_indexed_whole() {
    let store = Arc::new(Hooked::new(Gate(Semaphore::new(0))));
    let registry = Arc::new(
        Registry::open(Arc::clone(&store) as Arc<dyn EventStore>)
            .await
            .expect("open on an empty log"),
    );
    let national = Jurisdiction::national();
    let stream = codec::stream_for(&national);
    // The first page ends inside the second append.
    let first = CATCH_UP_PAGE * 3 / 4;
    let second = CATCH_UP_PAGE;
    store
        .append(&stream, ExpectedVersion::Exact(0), append_of("w1", first))
        .await
        .expect("first append");
    store
        .append(
            &stream,
            ExpectedVersion::Exact(first as u64),
            append_of("w2", second),
        )
        .await
        .expect("second append");

    let mut indexed = registry.indexed();
    let catching_up = tokio::spawn({
        let registry = Arc::clone(&registry);
        async move { registry.catch_up().await }
    });
    let between = *indexed
        .wait_for(|at| *at > 0)
        .await
        .expect("the registry keeps its watch open");
    let seen = registry.stream_version(&national).unwrap_or(0) as usize;
    assert_eq!(
        (between, seen),
        (first as u64, first),
        "between two pages the index holds the first append and none of the second"
    );

    store.hooks.0.add_permits(2);
    let reached = catching_up.await.expect("catch-up task").expect("catch-up");
    assert_eq!(reached, (first + second) as u64);
    assert_eq!(*indexed.borrow_and_update(), reached);
    assert_eq!(
        registry.stream_version(&national).unwrap_or(0) as usize,
        first + second
    );
}

#[tokio::test]
async fn an_appends_events_hold_its_revision_actor_and_reason_once() {
    let store = event_store::MemoryStore::new();
    let stream = codec::stream_for(&Jurisdiction::national());
    store
        .append(&stream, ExpectedVersion::Exact(0), append_of("w1", 3))
        .await
        .expect("first append");
    store
        .append(&stream, ExpectedVersion::Exact(3), append_of("w2", 2))
        .await
        .expect("second append");
    let page = store.read_all(1, CATCH_UP_PAGE).await.expect("read");
    let batches = registry::decode_batches(&page).expect("decode");
    assert_eq!(
        batches.iter().map(|(_, b)| b.len()).collect::<Vec<_>>(),
        [3, 2]
    );
    for (_, batch) in &batches {
        let first = &batch[0].context;
        for event in &batch[1..] {
            let context = &event.context;
            assert!(RevisionId::ptr_eq(&first.revision, &context.revision));
            assert!(domain::text::Text::ptr_eq(&first.actor, &context.actor));
            assert!(domain::text::Text::ptr_eq(&first.reason, &context.reason));
        }
    }
}
