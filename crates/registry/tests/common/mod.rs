//! A store for tests that need to step into reads of the global log.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use event_store::{
    AppendOutcome, EventStore, ExpectedVersion, MemoryStore, NewEvent, StoreError, StoredEvent,
    StreamId,
};
use tokio::sync::watch;

/// What runs before each read of the global log; an error fails that read.
#[async_trait]
pub trait BeforeReadAll: Debug + Send + Sync {
    async fn before_read_all(&self, from_global_position: u64) -> Result<(), StoreError>;
}

/// A `MemoryStore` whose reads of the global log pass through `hook` first.
#[derive(Debug)]
pub struct Hooked<H> {
    pub inner: Arc<MemoryStore>,
    pub hook: H,
}

#[async_trait]
impl<H: BeforeReadAll> EventStore for Hooked<H> {
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
        self.hook.before_read_all(from_global_position).await?;
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
