//! The event log as the rest of stdreg sees it: opaque events (type, schema
//! version, bytes) in streams, with one global order.
//!
//! Backends know nothing of domain types. Everything here is bytes plus the
//! positions and record time the store assigns.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::watch;
use uuid::Uuid;

pub mod conformance;
mod hooked;
mod import;
mod memory;

pub use hooked::{Hooked, Hooks};
pub use import::{LogEnd, check_import, import_streams};
pub use memory::MemoryStore;

/// Largest number of events one `read_stream`/`read_all` call returns; callers page.
pub const READ_PAGE_MAX: usize = 10_000;

/// Longest key of a metadata record.
pub const METADATA_KEY_BYTES_MAX: usize = 128;
/// Largest value of a metadata record (a signed checkpoint with its cosignatures is under 4 KiB).
pub const METADATA_VALUE_BYTES_MAX: usize = 64 * 1024;

/// Name of a stream: one per standard (e.g. `standard-CN`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamId(String);

impl StreamId {
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the appender believes the stream's version (number of events) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// Append whatever the stream holds (no concurrency check).
    Any,
    /// The stream must hold exactly this many events; `Exact(0)` means "must not exist yet".
    Exact(u64),
}

/// An event handed to the store. The store assigns positions and record time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: u32,
    /// The serialised event (JSON for stdreg's codec; opaque here).
    pub data: Vec<u8>,
    /// Sealed bytes: stored with the event, in the same atomic append, but
    /// outside what the event's transparency leaf covers, so a copy of the
    /// public log can leave them out (stdreg keeps who recorded an event
    /// here). Opaque to the store; `None` is stored and returned as absent.
    pub sealed: Option<Vec<u8>>,
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub event_id: Uuid,
    pub stream: StreamId,
    /// 0-based index of the event within its stream.
    pub stream_position: u64,
    /// 1-based position in the global log; gapless and strictly increasing.
    pub global_position: u64,
    pub event_type: String,
    pub schema_version: u32,
    pub data: Vec<u8>,
    /// Record time, assigned by the store on commit; never decreases along the global log.
    pub recorded_at: DateTime<Utc>,
    /// The sealed bytes appended with the event (see [`NewEvent::sealed`]);
    /// an imported event keeps what it was imported with.
    pub sealed: Option<Vec<u8>>,
}

/// Result of a successful append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendOutcome {
    /// Stream version (event count) after the append.
    pub stream_version: u64,
    /// Global position of the last appended event.
    pub last_global_position: u64,
    pub recorded_at: DateTime<Utc>,
}

/// The shared error vocabulary of every backend.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Optimistic concurrency check failed; nothing was appended.
    #[error("stream {stream} is at version {actual}, but version {expected} was expected")]
    WrongExpectedVersion {
        stream: StreamId,
        expected: u64,
        actual: u64,
    },
    /// An empty batch, an event id that already exists, or similar caller mistakes.
    #[error("invalid append: {0}")]
    InvalidAppend(String),
    /// The stored data could not be read back as written (corruption, foreign schema).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// A metadata record was not what the writer expected (another process
    /// wrote it first); nothing was written. `current` is what it holds now.
    #[error("metadata record {key} changed meanwhile: read it again and retry")]
    MetadataConflict {
        key: String,
        current: Option<Vec<u8>>,
    },
    /// A metadata key or value out of bounds (see [`check_metadata`]).
    #[error("invalid metadata record: {0}")]
    InvalidMetadata(String),
    /// The backend failed (I/O, connection, driver); nothing is known to have been appended.
    #[error("storage backend failed: {message}")]
    Backend {
        message: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl StoreError {
    pub fn backend(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Backend {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }
}

/// The event log. Implementations must pass every function in [`conformance`].
#[async_trait]
pub trait EventStore: Send + Sync + fmt::Debug {
    /// Appends `events` to `stream` atomically: all or none. All events of one
    /// append share one record time. An empty batch, or an event id that is
    /// already in the log or twice in the batch, is [`StoreError::InvalidAppend`].
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError>;

    /// Events of one stream from `from_stream_position` on, at most `limit` (capped at [`READ_PAGE_MAX`]).
    async fn read_stream(
        &self,
        stream: &StreamId,
        from_stream_position: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError>;

    /// The global log from `from_global_position` (inclusive, 1-based; 0 reads
    /// from the start too) on, at most `limit` (capped at [`READ_PAGE_MAX`]).
    async fn read_all(
        &self,
        from_global_position: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError>;

    /// Global position of the last event (0 for an empty log).
    async fn head_position(&self) -> Result<u64, StoreError>;

    /// Current version (event count) of a stream; 0 when it does not exist.
    async fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError>;

    /// Writes events stored elsewhere, keeping their ids, streams, positions
    /// and record times (moving a log between backends, mirroring one).
    /// Refused with [`StoreError::InvalidAppend`], and nothing written, unless
    /// they continue this log exactly ([`check_import`]). An empty batch does
    /// nothing.
    async fn import_stored(&self, events: Vec<StoredEvent>) -> Result<(), StoreError>;

    /// The metadata record under `key`, if there is one. Metadata are small
    /// opaque records beside the log, outside it (not events, no positions):
    /// what every process sharing the log must agree on, such as the log's
    /// identity and its latest signed checkpoint.
    async fn read_metadata(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Compare-and-set: writes `value` under `key` if the record holds
    /// `expected` now (`None`: there is no record yet), atomically across
    /// every process sharing the store. Otherwise nothing is written and the
    /// answer is [`StoreError::MetadataConflict`] with the current value.
    /// Keys and values are bounded ([`check_metadata`]).
    async fn write_metadata(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
    ) -> Result<(), StoreError>;

    /// Watches the head position. The value changes after each committed append
    /// (from this process, or another one for shared backends), so a follower
    /// catches up with `read_all` and then awaits `changed()`.
    fn subscribe(&self) -> watch::Receiver<u64>;
}

/// Refuses a metadata key that is empty, longer than [`METADATA_KEY_BYTES_MAX`]
/// or not printable ASCII without spaces, and a value over [`METADATA_VALUE_BYTES_MAX`].
pub fn check_metadata(key: &str, value: &[u8]) -> Result<(), StoreError> {
    if key.is_empty()
        || key.len() > METADATA_KEY_BYTES_MAX
        || !key.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(StoreError::InvalidMetadata(format!(
            "a key is 1 to {METADATA_KEY_BYTES_MAX} printable ASCII characters without spaces, not {key:?}"
        )));
    }
    if value.len() > METADATA_VALUE_BYTES_MAX {
        return Err(StoreError::InvalidMetadata(format!(
            "the value of {key} is {} bytes, more than {METADATA_VALUE_BYTES_MAX}",
            value.len()
        )));
    }
    Ok(())
}

/// Refuses a batch that names one event id twice, as every backend must.
pub fn check_unique_ids(ids: impl Iterator<Item = Uuid>) -> Result<(), StoreError> {
    let mut seen = std::collections::HashSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(StoreError::InvalidAppend(format!(
                "event id {id} appears twice in one batch"
            )));
        }
    }
    Ok(())
}

/// Monotonic record time: never earlier than the previous commit's, so that
/// record time only grows along the global log even if the wall clock steps back.
/// Truncated to microseconds, the precision every backend stores.
pub fn next_record_time(now: DateTime<Utc>, last: Option<DateTime<Utc>>) -> DateTime<Utc> {
    use chrono::SubsecRound;
    let now = now.trunc_subsecs(6);
    match last {
        Some(last) if now <= last => last + chrono::Duration::microseconds(1),
        _ => now,
    }
}
