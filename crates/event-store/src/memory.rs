//! An in-memory event log: the reference implementation of the trait, used in
//! tests and as the model a persistent backend is checked against.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::watch;
use uuid::Uuid;

use crate::{
    AppendOutcome, EventStore, ExpectedVersion, LogEnd, NewEvent, READ_PAGE_MAX, StoreError,
    StoredEvent, StreamId, check_import, check_metadata, next_record_time,
};

/// An event log held in memory; it is gone when the store is dropped.
#[derive(Debug)]
pub struct MemoryStore {
    log: Mutex<Log>,
    head: watch::Sender<u64>,
}

#[derive(Debug, Default)]
struct Log {
    /// Index `i` holds global position `i + 1`.
    events: Vec<StoredEvent>,
    /// Indexes into `events`, in stream order; the length is the stream version.
    streams: HashMap<StreamId, Vec<usize>>,
    event_ids: HashSet<Uuid>,
    metadata: HashMap<String, Vec<u8>>,
}

impl Log {
    fn head(&self) -> u64 {
        self.events.len() as u64
    }

    fn stream_version(&self, stream: &StreamId) -> u64 {
        self.streams.get(stream).map_or(0, |s| s.len() as u64)
    }

    fn last_recorded_at(&self) -> Option<DateTime<Utc>> {
        self.events.last().map(|e| e.recorded_at)
    }

    /// Pushes events already checked to continue the log; cannot fail, so
    /// callers validate the whole batch first and a batch is all or nothing.
    fn push(&mut self, event: StoredEvent) {
        let index = self.events.len();
        self.event_ids.insert(event.event_id);
        self.streams
            .entry(event.stream.clone())
            .or_default()
            .push(index);
        self.events.push(event);
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        Self {
            log: Mutex::new(Log::default()),
            head: watch::Sender::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Log> {
        // Every mutation is validated before it starts and cannot panic
        // half-way, so a poisoned log is still consistent.
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Publishes a new head; only ever moves forward, so concurrent appends
    /// finishing out of order cannot make followers see the head go back.
    fn publish_head(&self, head: u64) {
        self.head.send_if_modified(|current| {
            if head > *current {
                *current = head;
                true
            } else {
                false
            }
        });
    }
}

fn check_new_ids(log: &Log, events: &[NewEvent]) -> Result<(), StoreError> {
    if events.is_empty() {
        return Err(StoreError::InvalidAppend(
            "an append needs at least one event".to_owned(),
        ));
    }
    let mut batch_ids = HashSet::with_capacity(events.len());
    for event in events {
        if !batch_ids.insert(event.event_id) {
            return Err(StoreError::InvalidAppend(format!(
                "event id {} appears twice in the batch",
                event.event_id
            )));
        }
        if log.event_ids.contains(&event.event_id) {
            return Err(StoreError::InvalidAppend(format!(
                "event id {} is already in the log",
                event.event_id
            )));
        }
    }
    Ok(())
}

#[async_trait]
impl EventStore for MemoryStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        let mut log = self.lock();
        let actual = log.stream_version(stream);
        if let ExpectedVersion::Exact(expected) = expected
            && expected != actual
        {
            return Err(StoreError::WrongExpectedVersion {
                stream: stream.clone(),
                expected,
                actual,
            });
        }
        check_new_ids(&log, &events)?;

        let recorded_at = next_record_time(Utc::now(), log.last_recorded_at());
        let mut stream_position = actual;
        for event in events {
            let global_position = log.head() + 1;
            log.push(StoredEvent {
                event_id: event.event_id,
                stream: stream.clone(),
                stream_position,
                global_position,
                event_type: event.event_type,
                schema_version: event.schema_version,
                data: event.data,
                recorded_at,
                sealed: event.sealed,
            });
            stream_position += 1;
        }
        let head = log.head();
        self.publish_head(head);
        Ok(AppendOutcome {
            stream_version: stream_position,
            last_global_position: head,
            recorded_at,
        })
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        from_stream_position: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let log = self.lock();
        let Some(indexes) = log.streams.get(stream) else {
            return Ok(Vec::new());
        };
        let start = usize::try_from(from_stream_position).unwrap_or(usize::MAX);
        Ok(indexes
            .iter()
            .skip(start)
            .take(limit.min(READ_PAGE_MAX))
            .map(|&i| log.events[i].clone())
            .collect())
    }

    async fn read_all(
        &self,
        from_global_position: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let log = self.lock();
        let start = usize::try_from(from_global_position.saturating_sub(1)).unwrap_or(usize::MAX);
        Ok(log
            .events
            .iter()
            .skip(start)
            .take(limit.min(READ_PAGE_MAX))
            .cloned()
            .collect())
    }

    async fn head_position(&self) -> Result<u64, StoreError> {
        Ok(self.lock().head())
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        Ok(self.lock().stream_version(stream))
    }

    fn subscribe(&self) -> watch::Receiver<u64> {
        self.head.subscribe()
    }

    async fn read_metadata(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock().metadata.get(key).cloned())
    }

    async fn write_metadata(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
    ) -> Result<(), StoreError> {
        check_metadata(key, value)?;
        let mut log = self.lock();
        let current = log.metadata.get(key);
        if current.map(Vec::as_slice) != expected {
            return Err(StoreError::MetadataConflict {
                key: key.to_owned(),
                current: current.cloned(),
            });
        }
        log.metadata.insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    async fn import_stored(&self, events: Vec<StoredEvent>) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut log = self.lock();
        let end = LogEnd {
            head: log.head(),
            last_recorded_at: log.last_recorded_at(),
        };
        check_import(
            end,
            &events,
            |stream| log.stream_version(stream),
            |id| log.event_ids.contains(id),
        )?;
        for event in events {
            log.push(event);
        }
        let head = log.head();
        self.publish_head(head);
        Ok(())
    }
}
