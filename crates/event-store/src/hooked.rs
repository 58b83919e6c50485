//! A store that runs hooks before appends and reads of the global log: for
//! injecting failures, stalls and pauses in tests of the layers above.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::watch;

use crate::{
    AppendOutcome, EventStore, ExpectedVersion, MemoryStore, NewEvent, StoreError, StoredEvent,
    StreamId,
};

/// What runs before the store's own work; an error fails that call and
/// leaves the store untouched. Both hooks do nothing by default.
#[async_trait]
pub trait Hooks: Debug + Send + Sync {
    async fn before_append(&self, _stream: &StreamId) -> Result<(), StoreError> {
        Ok(())
    }

    async fn before_read_all(&self, _from_global_position: u64) -> Result<(), StoreError> {
        Ok(())
    }
}

/// A [`MemoryStore`] whose appends and reads of the global log pass through `hooks` first.
#[derive(Debug)]
pub struct Hooked<H> {
    pub inner: Arc<MemoryStore>,
    pub hooks: H,
}

impl<H> Hooked<H> {
    pub fn new(hooks: H) -> Self {
        Self {
            inner: Arc::new(MemoryStore::new()),
            hooks,
        }
    }
}

#[async_trait]
impl<H: Hooks> EventStore for Hooked<H> {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        self.hooks.before_append(stream).await?;
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
        self.hooks.before_read_all(from_global_position).await?;
        self.inner.read_all(from_global_position, limit).await
    }

    async fn head_position(&self) -> Result<u64, StoreError> {
        self.inner.head_position().await
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        self.inner.stream_version(stream).await
    }

    async fn import_stored(&self, events: Vec<StoredEvent>) -> Result<(), StoreError> {
        if let Some(first) = events.first() {
            self.hooks.before_append(&first.stream).await?;
        }
        self.inner.import_stored(events).await
    }

    fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.subscribe()
    }

    async fn read_metadata(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.read_metadata(key).await
    }

    async fn write_metadata(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
    ) -> Result<(), StoreError> {
        self.inner.write_metadata(key, expected, value).await
    }
}
