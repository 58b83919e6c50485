//! The adapter itself; see the crate documentation for the mapping.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use event_store::{
    AppendOutcome, EventStore, ExpectedVersion, LogEnd, NewEvent, READ_PAGE_MAX, StoreError,
    StoredEvent, StreamId, check_import, next_record_time,
};
use kurrentdb::{
    AppendToStreamOptions, Client, ClientSettings, CurrentRevision, EventData, Position,
    ReadAllOptions, ReadStreamOptions, RecordedEvent, StreamPosition, StreamState,
    SubscribeToAllOptions, SubscriptionFilter,
};
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, watch};
use uuid::Uuid;

use crate::DEFAULT_PREFIX;

/// Events read from `$all` per request while the index catches up.
const INDEX_PAGE: usize = 1_000;

/// KurrentDB event type used when stdreg's type is empty (the server needs one;
/// the real type is in the metadata).
const UNTYPED: &str = "stdreg-untyped";

/// Reads of `$all` before an appended event must have shown up, and the first
/// wait between them (doubling).
const VISIBLE_RETRIES: u32 = 6;
const VISIBLE_RETRY_FIRST: Duration = Duration::from_millis(20);

/// Metadata record `K` of a log with prefix `P` is the last event of stream
/// `{METADATA_STREAMS}PK`: outside the prefix, so never part of the log.
const METADATA_STREAMS: &str = "stdreg-metadata/";
/// KurrentDB event type of a metadata record's versions.
const METADATA_TYPE: &str = "stdreg-metadata";

/// Version of the metadata layout written with every event.
const METADATA_VERSION: u32 = 1;

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The connection string is not one the client accepts. It is not
    /// repeated because it may hold a password.
    #[error(
        "the kurrentdb connection string could not be parsed: expected kurrentdb://[user:password@]host:port[?tls=false] or esdb://…"
    )]
    InvalidUrl,
    /// The client could not be created from valid settings.
    #[error("could not create the kurrentdb client: {0}")]
    Client(String),
    /// The server could not be reached or refused the first read.
    #[error(
        "could not read from kurrentdb: check that the server runs and accepts connections at the url, and the credentials and tls setting"
    )]
    Connect {
        #[source]
        source: kurrentdb::Error,
    },
    /// The log holds an event this adapter cannot read.
    #[error("the kurrentdb log cannot be read: {0}")]
    Corrupt(StoreError),
}

/// Tuning for [`KurrentStore::connect_with`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConnectOptions {
    /// Prefix of stdreg's streams; several logs can share one server under different prefixes.
    pub prefix: String,
    /// How often the index re-reads `$all` in case the subscription missed a wake-up.
    pub poll_interval: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            prefix: DEFAULT_PREFIX.to_owned(),
            poll_interval: Duration::from_millis(500),
        }
    }
}

impl ConnectOptions {
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    pub fn with_poll_interval(mut self, poll_interval: Duration) -> Self {
        self.poll_interval = poll_interval.max(Duration::from_millis(1));
        self
    }
}

/// What stdreg keeps in each event's custom metadata.
#[derive(Debug, Serialize, Deserialize)]
struct Metadata {
    stdreg: u32,
    event_type: String,
    schema_version: u32,
    /// Microseconds since the Unix epoch, UTC.
    recorded_at_us: i64,
    /// The event's sealed bytes, standard base64; absent when it has none.
    /// Kept in the metadata so that they are written with the event, atomically.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed: Option<String>,
}

/// Ordinal ↔ `$all` position, as far as this process has read.
#[derive(Debug, Default)]
struct Index {
    /// `positions[n - 1]` is the `$all` position of global position `n`.
    positions: Vec<Position>,
    ids: HashMap<Uuid, u64>,
    last_recorded_at: Option<DateTime<Utc>>,
}

impl Index {
    fn head(&self) -> u64 {
        self.positions.len() as u64
    }
}

struct Inner {
    client: Client,
    prefix: String,
    index: Mutex<Index>,
    head: watch::Sender<u64>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("prefix", &self.prefix)
            .field("head", &*self.head.borrow())
            .finish_non_exhaustive()
    }
}

/// An event log in a KurrentDB database, shareable by many processes.
#[derive(Debug)]
pub struct KurrentStore {
    inner: Arc<Inner>,
    /// Serialises this process's appends, so their record times follow the log.
    writer: Mutex<()>,
    follower: tokio::task::JoinHandle<()>,
}

impl Drop for KurrentStore {
    fn drop(&mut self) {
        self.follower.abort();
    }
}

impl KurrentStore {
    /// Connects with default [`ConnectOptions`] and reads the log into the index.
    pub async fn connect(url: &str) -> Result<Self, OpenError> {
        Self::connect_with(url, ConnectOptions::default()).await
    }

    pub async fn connect_with(url: &str, options: ConnectOptions) -> Result<Self, OpenError> {
        let settings: ClientSettings = url.parse().map_err(|_| OpenError::InvalidUrl)?;
        let client = Client::new(settings).map_err(|e| OpenError::Client(e.to_string()))?;
        let inner = Arc::new(Inner {
            client,
            prefix: options.prefix,
            index: Mutex::new(Index::default()),
            head: watch::channel(0).0,
        });
        inner.catch_up().await.map_err(|e| match e {
            CatchUpError::Client(source) => OpenError::Connect { source },
            CatchUpError::Store(e) => OpenError::Corrupt(e),
        })?;
        let follower = tokio::spawn(follow(Arc::clone(&inner), options.poll_interval));
        Ok(Self {
            inner,
            writer: Mutex::new(()),
            follower,
        })
    }

    /// Prefix of this log's KurrentDB streams.
    pub fn prefix(&self) -> &str {
        &self.inner.prefix
    }
}

enum CatchUpError {
    Client(kurrentdb::Error),
    Store(StoreError),
}

impl CatchUpError {
    fn into_store(self) -> StoreError {
        match self {
            CatchUpError::Client(e) => StoreError::backend("could not read $all from kurrentdb", e),
            CatchUpError::Store(e) => e,
        }
    }
}

impl Inner {
    fn stream_name(&self, stream: &StreamId) -> String {
        format!("{}{}", self.prefix, stream.as_str())
    }

    fn metadata_stream(&self, key: &str) -> String {
        format!("{METADATA_STREAMS}{}{key}", self.prefix)
    }

    /// The last version of a metadata record, with its stream revision.
    async fn last_metadata(&self, key: &str) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        let failed = |e| StoreError::backend(format!("could not read metadata record {key}"), e);
        let options = ReadStreamOptions::default()
            .backwards()
            .position(StreamPosition::End)
            .max_count(1);
        let mut read = match self
            .client
            .read_stream(self.metadata_stream(key), &options)
            .await
        {
            Ok(read) => read,
            Err(kurrentdb::Error::ResourceNotFound) => return Ok(None),
            Err(e) => return Err(failed(e)),
        };
        match read.next().await {
            Ok(Some(resolved)) => {
                let event = resolved.get_original_event();
                Ok(Some((event.revision, event.data.to_vec())))
            }
            Ok(None) | Err(kurrentdb::Error::ResourceNotFound) => Ok(None),
            Err(e) => Err(failed(e)),
        }
    }

    fn filter(&self) -> SubscriptionFilter {
        SubscriptionFilter::on_stream_name().add_prefix(&self.prefix)
    }

    /// Extends the index with every stdreg event committed since the last call.
    async fn catch_up(&self) -> Result<u64, CatchUpError> {
        let mut index = self.index.lock().await;
        loop {
            let after = index.positions.last().copied();
            let options = ReadAllOptions::default()
                .forwards()
                .filter(self.filter())
                .position(after.map_or(StreamPosition::Start, StreamPosition::Position))
                .max_count(INDEX_PAGE + 1);
            let mut read = self
                .client
                .read_all(&options)
                .await
                .map_err(CatchUpError::Client)?;
            let mut fresh = 0usize;
            while let Some(resolved) = read.next().await.map_err(CatchUpError::Client)? {
                let Some(event) = resolved.event else {
                    continue;
                };
                // Reads from a position may or may not include it.
                if after.is_some_and(|a| event.position <= a) {
                    continue;
                }
                let metadata = metadata(&event).map_err(CatchUpError::Store)?;
                let global = index.head() + 1;
                index.positions.push(event.position);
                index.ids.insert(event.id, global);
                index.last_recorded_at = Some(
                    micros_to_time(metadata.recorded_at_us, event.id)
                        .map_err(CatchUpError::Store)?,
                );
                fresh += 1;
            }
            if fresh < INDEX_PAGE {
                break;
            }
        }
        let head = index.head();
        drop(index);
        self.head.send_if_modified(|current| {
            let raised = head > *current;
            if raised {
                *current = head;
            }
            raised
        });
        Ok(head)
    }

    /// The global position of an event this store has just appended. A
    /// commit is readable from the leader at once; the bounded retries cover
    /// a node that serves `$all` a moment behind it.
    async fn position_of(&self, id: Option<Uuid>) -> Result<u64, StoreError> {
        let mut wait = VISIBLE_RETRY_FIRST;
        for _ in 0..VISIBLE_RETRIES {
            self.catch_up().await.map_err(CatchUpError::into_store)?;
            if let Some(id) = id
                && let Some(position) = self.index.lock().await.ids.get(&id).copied()
            {
                return Ok(position);
            }
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
        Err(StoreError::Backend {
            message: format!(
                "the append was committed but has not shown up in $all after {VISIBLE_RETRIES} reads; check that the connection reads from the leader (node preference)"
            ),
            source: None,
        })
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        let options = ReadStreamOptions::default()
            .backwards()
            .position(StreamPosition::End)
            .max_count(1);
        let mut read = match self
            .client
            .read_stream(self.stream_name(stream), &options)
            .await
        {
            Ok(read) => read,
            Err(kurrentdb::Error::ResourceNotFound) => return Ok(0),
            Err(e) => return Err(read_error(stream, e)),
        };
        match read.next().await {
            Ok(Some(resolved)) => Ok(resolved.get_original_event().revision + 1),
            Ok(None) | Err(kurrentdb::Error::ResourceNotFound) => Ok(0),
            Err(e) => Err(read_error(stream, e)),
        }
    }

    async fn write(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<EventData>,
    ) -> Result<u64, StoreError> {
        let state = match expected {
            ExpectedVersion::Any => StreamState::Any,
            ExpectedVersion::Exact(0) => StreamState::NoStream,
            ExpectedVersion::Exact(n) => StreamState::StreamRevision(n - 1),
        };
        let options = AppendToStreamOptions::default().stream_state(state);
        match self
            .client
            .append_to_stream(self.stream_name(stream), &options, events)
            .await
        {
            Ok(written) => Ok(written.next_expected_version + 1),
            Err(kurrentdb::Error::WrongExpectedVersion { current, .. }) => {
                Err(StoreError::WrongExpectedVersion {
                    stream: stream.clone(),
                    expected: match expected {
                        ExpectedVersion::Exact(n) => n,
                        ExpectedVersion::Any => 0,
                    },
                    actual: match current {
                        CurrentRevision::Current(revision) => revision + 1,
                        CurrentRevision::NoStream => 0,
                    },
                })
            }
            Err(e) => Err(StoreError::backend(
                format!("could not append to stream {stream} in kurrentdb"),
                e,
            )),
        }
    }

    fn decode(&self, event: &RecordedEvent, index: &Index) -> Result<StoredEvent, StoreError> {
        let metadata = metadata(event)?;
        let stream = event
            .stream_id()
            .strip_prefix(&self.prefix)
            .ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "event {} is in stream {}, outside the prefix {}",
                    event.id,
                    event.stream_id(),
                    self.prefix
                ))
            })?;
        let global_position = *index.ids.get(&event.id).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "event {} of stream {stream} is not in the filtered $all read",
                event.id
            ))
        })?;
        Ok(StoredEvent {
            event_id: event.id,
            stream: StreamId::new(stream),
            stream_position: event.revision,
            global_position,
            event_type: metadata.event_type,
            schema_version: metadata.schema_version,
            data: event.data.to_vec(),
            recorded_at: micros_to_time(metadata.recorded_at_us, event.id)?,
            sealed: metadata
                .sealed
                .map(|text| {
                    base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .map_err(|e| {
                            StoreError::Corrupt(format!(
                                "event {} has unreadable sealed bytes: {e}",
                                event.id
                            ))
                        })
                })
                .transpose()?,
        })
    }
}

/// Wakes the index on each stdreg event the `$all` subscription delivers,
/// and re-reads every `poll_interval` in case the subscription dropped one.
async fn follow(inner: Arc<Inner>, poll_interval: Duration) {
    let mut poll = tokio::time::interval(poll_interval);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let options = SubscribeToAllOptions::default()
            .position(StreamPosition::End)
            .filter(inner.filter());
        let mut subscription = inner.client.subscribe_to_all(&options).await;
        loop {
            tokio::select! {
                delivered = subscription.next() => {
                    if let Err(e) = delivered {
                        tracing::warn!(error = %e, "kurrentdb subscription ended; subscribing again");
                        poll.tick().await;
                        break;
                    }
                }
                _ = poll.tick() => {}
            }
            if let Err(e) = inner.catch_up().await {
                tracing::warn!(error = %e.into_store(), "catching up with kurrentdb failed");
            }
        }
    }
}

#[async_trait]
impl EventStore for KurrentStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        if events.is_empty() {
            return Err(StoreError::InvalidAppend(
                "an append needs at least one event".to_owned(),
            ));
        }
        event_store::check_unique_ids(events.iter().map(|e| e.event_id))?;
        let _writing = self.writer.lock().await;
        self.inner
            .catch_up()
            .await
            .map_err(CatchUpError::into_store)?;
        let recorded_at = {
            let index = self.inner.index.lock().await;
            if let Some(taken) = events.iter().find(|e| index.ids.contains_key(&e.event_id)) {
                return Err(StoreError::InvalidAppend(format!(
                    "event id {} already exists",
                    taken.event_id
                )));
            }
            next_record_time(Utc::now(), index.last_recorded_at)
        };
        let last_id = events.last().map(|e| e.event_id);
        let batch = events
            .into_iter()
            .map(|e| {
                event_data(
                    e.event_id,
                    &e.event_type,
                    e.schema_version,
                    e.data,
                    e.sealed.as_deref(),
                    recorded_at,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let stream_version = self.inner.write(stream, expected, batch).await?;
        let last_global_position = self.inner.position_of(last_id).await?;
        Ok(AppendOutcome {
            stream_version,
            last_global_position,
            recorded_at,
        })
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        from_stream_position: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let limit = limit.min(READ_PAGE_MAX);
        if limit == 0 {
            return Ok(Vec::new());
        }
        // Events read from the stream must already have their ordinal.
        self.inner
            .catch_up()
            .await
            .map_err(CatchUpError::into_store)?;
        let options = ReadStreamOptions::default()
            .forwards()
            .position(StreamPosition::Position(from_stream_position))
            .max_count(limit);
        let mut read = match self
            .inner
            .client
            .read_stream(self.inner.stream_name(stream), &options)
            .await
        {
            Ok(read) => read,
            Err(kurrentdb::Error::ResourceNotFound) => return Ok(Vec::new()),
            Err(e) => return Err(read_error(stream, e)),
        };
        let mut recorded = Vec::new();
        loop {
            match read.next().await {
                Ok(Some(resolved)) => {
                    if let Some(event) = resolved.event {
                        recorded.push(event);
                    }
                }
                Ok(None) | Err(kurrentdb::Error::ResourceNotFound) => break,
                Err(e) => return Err(read_error(stream, e)),
            }
        }
        let index = self.inner.index.lock().await;
        recorded
            .iter()
            .map(|event| self.inner.decode(event, &index))
            .collect()
    }

    async fn read_all(
        &self,
        from_global_position: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let limit = limit.min(READ_PAGE_MAX);
        let from = from_global_position.max(1);
        let head = self
            .inner
            .catch_up()
            .await
            .map_err(CatchUpError::into_store)?;
        if limit == 0 || from > head {
            return Ok(Vec::new());
        }
        // Start at the previous event and drop it: correct whether a read
        // from a position includes that position or not.
        let before = {
            let index = self.inner.index.lock().await;
            usize::try_from(from - 1)
                .ok()
                .and_then(|i| i.checked_sub(1))
                .and_then(|i| index.positions.get(i).copied())
        };
        let options = ReadAllOptions::default()
            .forwards()
            .filter(self.inner.filter())
            .position(before.map_or(StreamPosition::Start, StreamPosition::Position))
            .max_count(limit + 1);
        let mut read = self
            .inner
            .client
            .read_all(&options)
            .await
            .map_err(|e| StoreError::backend("could not read $all from kurrentdb", e))?;
        let mut recorded = Vec::new();
        while let Some(resolved) = read
            .next()
            .await
            .map_err(|e| StoreError::backend("could not read $all from kurrentdb", e))?
        {
            let Some(event) = resolved.event else {
                continue;
            };
            if before.is_some_and(|b| event.position <= b) {
                continue;
            }
            if recorded.len() == limit {
                break;
            }
            recorded.push(event);
        }
        let index = self.inner.index.lock().await;
        let mut page = Vec::with_capacity(recorded.len());
        for event in &recorded {
            let stored = self.inner.decode(event, &index)?;
            // Events committed after the catch-up above have no ordinal yet;
            // the next read returns them.
            if stored.global_position > head {
                break;
            }
            if stored.global_position != from + page.len() as u64 {
                return Err(StoreError::Corrupt(format!(
                    "$all returned event {} at global position {}, expected {}",
                    stored.event_id,
                    stored.global_position,
                    from + page.len() as u64
                )));
            }
            page.push(stored);
        }
        Ok(page)
    }

    async fn head_position(&self) -> Result<u64, StoreError> {
        self.inner
            .catch_up()
            .await
            .map_err(CatchUpError::into_store)
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        self.inner.stream_version(stream).await
    }

    /// Written as one append per run of consecutive events of one stream
    /// (see the crate documentation).
    async fn import_stored(&self, events: Vec<StoredEvent>) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let _writing = self.writer.lock().await;
        self.inner
            .catch_up()
            .await
            .map_err(CatchUpError::into_store)?;
        {
            let index = self.inner.index.lock().await;
            let mut versions = HashMap::new();
            for stream in event_store::import_streams(&events) {
                versions.insert(stream, self.inner.stream_version(stream).await?);
            }
            let end = LogEnd {
                head: index.head(),
                last_recorded_at: index.last_recorded_at,
            };
            check_import(
                end,
                &events,
                |s| versions.get(s).copied().unwrap_or(0),
                |id| index.ids.contains_key(id),
            )?;
        }

        let mut runs: Vec<(StreamId, u64, Vec<EventData>)> = Vec::new();
        for event in events {
            let data = event_data(
                event.event_id,
                &event.event_type,
                event.schema_version,
                event.data,
                event.sealed.as_deref(),
                event.recorded_at,
            )?;
            match runs.last_mut() {
                Some((stream, _, batch)) if *stream == event.stream => batch.push(data),
                _ => runs.push((event.stream, event.stream_position, vec![data])),
            }
        }
        for (stream, first_position, batch) in runs {
            self.inner
                .write(&stream, ExpectedVersion::Exact(first_position), batch)
                .await?;
        }
        self.inner
            .catch_up()
            .await
            .map_err(CatchUpError::into_store)?;
        Ok(())
    }

    fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.head.subscribe()
    }

    async fn read_metadata(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.inner.last_metadata(key).await?.map(|(_, value)| value))
    }

    /// Appends the new version to the record's stream, expecting the
    /// revision whose value was compared: KurrentDB refuses the append if
    /// another writer got there first.
    async fn write_metadata(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
    ) -> Result<(), StoreError> {
        event_store::check_metadata(key, value)?;
        let conflict = |current: Option<Vec<u8>>| StoreError::MetadataConflict {
            key: key.to_owned(),
            current,
        };
        let current = self.inner.last_metadata(key).await?;
        if current.as_ref().map(|(_, v)| v.as_slice()) != expected {
            return Err(conflict(current.map(|(_, v)| v)));
        }
        let state = match &current {
            None => StreamState::NoStream,
            Some((revision, _)) => StreamState::StreamRevision(*revision),
        };
        let options = AppendToStreamOptions::default().stream_state(state);
        let version =
            EventData::binary(METADATA_TYPE, Bytes::from(value.to_vec())).id(Uuid::now_v7());
        match self
            .inner
            .client
            .append_to_stream(self.inner.metadata_stream(key), &options, version)
            .await
        {
            Ok(_) => Ok(()),
            Err(kurrentdb::Error::WrongExpectedVersion { .. }) => Err(conflict(
                self.inner.last_metadata(key).await?.map(|(_, v)| v),
            )),
            Err(e) => Err(StoreError::backend(
                format!("could not write metadata record {key} to kurrentdb"),
                e,
            )),
        }
    }
}

fn event_data(
    event_id: Uuid,
    event_type: &str,
    schema_version: u32,
    data: Vec<u8>,
    sealed: Option<&[u8]>,
    recorded_at: DateTime<Utc>,
) -> Result<EventData, StoreError> {
    let kind = if event_type.is_empty() {
        UNTYPED
    } else {
        event_type
    };
    EventData::binary(kind, Bytes::from(data))
        .id(event_id)
        .metadata_as_json(&Metadata {
            stdreg: METADATA_VERSION,
            event_type: event_type.to_owned(),
            schema_version,
            recorded_at_us: recorded_at.timestamp_micros(),
            sealed: sealed.map(|bytes| base64::engine::general_purpose::STANDARD.encode(bytes)),
        })
        .map_err(|e| StoreError::InvalidAppend(format!("event {event_id}: {e}")))
}

fn metadata(event: &RecordedEvent) -> Result<Metadata, StoreError> {
    let metadata: Metadata = serde_json::from_slice(&event.custom_metadata).map_err(|e| {
        StoreError::Corrupt(format!(
            "event {} in stream {} has no stdreg metadata: {e}",
            event.id,
            event.stream_id()
        ))
    })?;
    if metadata.stdreg > METADATA_VERSION {
        return Err(StoreError::Corrupt(format!(
            "event {} was written by a newer stdreg (metadata version {}): use a newer stdreg",
            event.id, metadata.stdreg
        )));
    }
    Ok(metadata)
}

fn micros_to_time(micros: i64, id: Uuid) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| StoreError::Corrupt(format!("event {id} has an impossible record time")))
}

fn read_error(stream: &StreamId, error: kurrentdb::Error) -> StoreError {
    StoreError::backend(
        format!("could not read stream {stream} from kurrentdb"),
        error,
    )
}
