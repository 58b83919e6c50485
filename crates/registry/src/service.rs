//! The registry: load → decide → append with expected version; the timeline kept current from the log.

use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use domain::command::PublishRevision;
use domain::event::{NewDomainEvent, RecordedEvent};
use domain::ids::{Jurisdiction, RevisionId};
use domain::model::RevisionKind;
use domain::{CommandContext, DomainError};
use event_store::{EventStore, ExpectedVersion, StoreError};
use timeline::Timeline;
use tokio::sync::{Mutex, watch};
use uuid::Uuid;

use crate::codec::{self, CodecError};
use crate::import::{ImportError, ImportFile};
use crate::verifiable::Witness;

/// Events read from the log per page while catching up.
pub const CATCH_UP_PAGE: usize = 2_000;

/// First wait of [`Registry::follow`] after the store failed.
pub const FOLLOW_RETRY_MIN: Duration = Duration::from_millis(100);
/// Longest wait of [`Registry::follow`] between two attempts on a failing store.
pub const FOLLOW_RETRY_MAX: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The command breaks a rule of the domain; nothing was appended.
    #[error("revision {revision}: {source}")]
    Rejected {
        revision: RevisionId,
        #[source]
        source: Box<DomainError>,
    },
    /// Someone else wrote first; nothing was appended. Read again and retry.
    #[error(
        "the standard {jurisdiction} is at version {actual}, not {expected}: someone else published first; reload and try again"
    )]
    Conflict {
        jurisdiction: Jurisdiction,
        expected: u64,
        actual: u64,
    },
    /// A revision id is taken by a revision with other content.
    #[error(
        "revision {0} is already recorded with different content; give the new revision another id, or publish a correction"
    )]
    RevisionIdTaken(RevisionId),
    /// A local implementation names a national revision that is not recorded.
    #[error(
        "revision {revision} implements {implements}, which is not a recorded national revision"
    )]
    UnknownNationalRevision {
        revision: RevisionId,
        implements: RevisionId,
    },
    #[error("no standard is recorded for jurisdiction {0}")]
    NoSuchStandard(Jurisdiction),
    /// Revisions published together are recorded in one append, which writes one standard.
    #[error(
        "the revisions of one publish are recorded together, so they must be of one standard; these are of {first} and {other}: publish each standard's revisions on their own"
    )]
    SeveralStandards {
        first: Jurisdiction,
        other: Jurisdiction,
    },
    #[error(transparent)]
    Import(#[from] ImportError),
    /// The log holds an event this version cannot read.
    #[error("the event log cannot be read: {0}")]
    Codec(#[from] CodecError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The log contradicts itself or what was recorded of it: an event was changed, removed or reordered.
    #[error("the event log fails verification at position {position}: {problem}")]
    LogFault { position: u64, problem: String },
    /// The log no longer matches the history this registry recorded and signed; it refuses to serve it.
    #[error(
        "the event log no longer matches the history this registry recorded and signed (position {position}: {problem}). Restore the event store from a backup or a mirror; `stdreg verify` shows what differs; only if the current log is to become the recorded history, move {} and {} aside (holders of older checkpoints will see a fork)",
        data_dir.join(crate::verifiable::CHECKPOINT_FILE).display(),
        data_dir.join(crate::verifiable::LEAVES_FILE).display()
    )]
    Tampered {
        position: u64,
        problem: String,
        data_dir: std::path::PathBuf,
    },
    /// A file of the data directory (signing key, checkpoint, leaf record) cannot be used.
    #[error("cannot use {}: {source}; check the data directory and its permissions", path.display())]
    DataDir {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The signing key given cannot be read as one.
    #[error("the signing key {what} cannot be used: {problem}")]
    SigningKey { what: String, problem: String },
    /// The log's identity or latest checkpoint recorded in the store is unusable.
    #[error("{0}")]
    Identity(String),
    /// A key, checkpoint or proof request is unusable.
    #[error(transparent)]
    Transparency(#[from] transparency::TransparencyError),
    /// The task reading the log ahead of the index failed (it panicked or the runtime is shutting down).
    #[error("reading the event log failed: {0}; try again")]
    CatchUpTask(String),
}

/// One page of the log, read and decoded, ready to be indexed.
struct PreparedPage {
    page: Vec<event_store::StoredEvent>,
    leaves: Vec<transparency::Hash>,
    /// Decoded after the page is witnessed: a changed event is reported as
    /// tampering, not as an event that cannot be read.
    batches: Result<Vec<(Jurisdiction, Vec<RecordedEvent>)>, CodecError>,
}

/// What a publish recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub revision: RevisionId,
    pub jurisdiction: Jurisdiction,
    pub event_count: usize,
    pub stream_version: u64,
    pub last_global_position: u64,
    pub recorded_at: DateTime<Utc>,
}

/// What an import did with each revision of a file.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportOutcome {
    Published(Published),
    /// Already recorded with the same content: nothing appended.
    AlreadyRecorded(RevisionId),
}

/// The registry service. Cheap to share behind an `Arc`; readers never wait on the store.
#[derive(Debug)]
pub struct Registry {
    store: Arc<dyn EventStore>,
    timeline: RwLock<Timeline>,
    /// Full-text search, kept current with the timeline under its write lock.
    search: RwLock<search::SearchIndex>,
    /// One catch-up at a time, so batches reach the timeline in log order.
    catch_up_lock: Mutex<()>,
    /// Head position the timeline has indexed, for readiness and waiters.
    indexed: watch::Sender<u64>,
    /// The Merkle tree over the log, kept current by catch-up.
    pub(crate) witness: Witness,
    /// Revisions by id as of an indexed position, for the query layer.
    pub(crate) revision_cache: std::sync::RwLock<Arc<crate::query::RevisionIndex>>,
    /// Threads that index the standards of one page of the log at once.
    index_workers: usize,
    /// The index snapshot being restored, how the index started, where to save the next.
    pub(crate) snapshots: std::sync::Mutex<crate::snapshot::Snapshots>,
}

/// The calendar the standards are published in: China Standard Time (UTC+8, no daylight saving).
pub fn today(now: DateTime<Utc>) -> NaiveDate {
    let offset = FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| unreachable!());
    now.with_timezone(&offset).date_naive()
}

impl Registry {
    /// Opens the registry on a store and indexes the whole log.
    pub async fn open(store: Arc<dyn EventStore>) -> Result<Self, RegistryError> {
        Self::open_with_witness(store, Witness::default(), None).await
    }

    /// Opens the registry; with `data_dir`, restores the search index from
    /// the index snapshot there when it is one of this log (`crate::snapshot`).
    pub(crate) async fn open_with_witness(
        store: Arc<dyn EventStore>,
        witness: Witness,
        data_dir: Option<&std::path::Path>,
    ) -> Result<Self, RegistryError> {
        let registry = Self {
            store,
            timeline: RwLock::new(Timeline::new()),
            search: RwLock::default(),
            catch_up_lock: Mutex::new(()),
            indexed: watch::channel(0).0,
            witness,
            revision_cache: Default::default(),
            index_workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            snapshots: Default::default(),
        };
        registry.open_snapshot(data_dir);
        registry.catch_up().await?;
        registry.settle_snapshot().await?;
        Ok(registry)
    }

    pub fn store(&self) -> &Arc<dyn EventStore> {
        &self.store
    }

    /// Read access to the index, for the query layer. Hold it briefly: writers of the index wait for it.
    pub(crate) fn timeline(&self) -> RwLockReadGuard<'_, Timeline> {
        // A panic while indexing leaves the index as it was before that batch; keep serving it.
        self.timeline.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Read access to the search index; take it after [`Registry::timeline`], so the two agree.
    pub(crate) fn search_index(&self) -> RwLockReadGuard<'_, search::SearchIndex> {
        self.search.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The index itself, for measuring it and checking it against the naive
    /// fold (the bench and tests). Readers ask the query layer (`crate::query`) instead.
    #[cfg(feature = "index-access")]
    pub fn index(&self) -> RwLockReadGuard<'_, Timeline> {
        self.timeline()
    }

    /// Watches the global position the index has reached.
    pub fn indexed(&self) -> watch::Receiver<u64> {
        self.indexed.subscribe()
    }

    /// Record time of the latest event indexed: how far the registry's record reaches.
    pub fn recorded_up_to(&self) -> Option<DateTime<Utc>> {
        self.timeline()
            .standards()
            .filter_map(|s| s.last_recorded_at())
            .max()
    }

    /// Indexes every event appended since the last call. Returns the position reached.
    ///
    /// Reading, hashing and decoding the next page run on another thread while
    /// this one indexes the page before: on a rebuild each is about half the work.
    pub async fn catch_up(&self) -> Result<u64, RegistryError> {
        let _guard = self.catch_up_lock.lock().await;
        let mut next = self.timeline().last_global_position() + 1;
        let mut pending = Some(self.prepare_page(next));
        // The last append of a full page may go on in the next page: it is
        // held back until that page is read, so that readers never see part
        // of an append.
        let mut held: Option<(Jurisdiction, Vec<RecordedEvent>)> = None;
        while let Some(task) = pending.take() {
            let prepared = task
                .await
                .map_err(|e| RegistryError::CatchUpTask(e.to_string()))??;
            let Some(last) = prepared.page.last() else {
                break;
            };
            next = last.global_position + 1;
            let full = prepared.page.len() == CATCH_UP_PAGE;
            if full {
                pending = Some(self.prepare_page(next));
            }
            self.witness_page(&prepared.page, &prepared.leaves)?;
            let mut batches = prepared.batches?;
            if let Some((jurisdiction, mut events)) = held.take() {
                match batches.first_mut() {
                    Some((j, first))
                        if *j == jurisdiction
                            && first.first().map(|e| e.recorded_at)
                                == events.first().map(|e| e.recorded_at) =>
                    {
                        events.append(first);
                        *first = events;
                    }
                    _ => batches.insert(0, (jurisdiction, events)),
                }
            }
            if full {
                held = batches.pop();
            }
            let indexed = match &held {
                Some((_, events)) => events.first().map_or(next, |e| e.global_position) - 1,
                None => next - 1,
            };
            self.index_batches(batches);
            self.indexed.send_replace(indexed);
        }
        if let Some(held) = held {
            self.index_batches(vec![held]);
            self.indexed.send_replace(next - 1);
        }
        Ok(next - 1)
    }

    /// Empties the timeline and the search index, for a catch-up to index the whole log again.
    pub(crate) fn forget_index(&self) {
        let mut timeline = self.timeline.write().unwrap_or_else(|e| e.into_inner());
        let mut search = self.search.write().unwrap_or_else(|e| e.into_inner());
        *timeline = Timeline::new();
        *search = search::SearchIndex::default();
    }

    /// Indexes appends of the log, in log order: the timeline, then the
    /// search index, except for appends a snapshot being restored covers.
    fn index_batches(&self, mut batches: Vec<(Jurisdiction, Vec<RecordedEvent>)>) {
        let mut timeline = self.timeline.write().unwrap_or_else(|e| e.into_inner());
        let mut search = self.search.write().unwrap_or_else(|e| e.into_inner());
        let mut snapshots = self.snapshots.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(size) = snapshots.restoring() {
            let cut = batches.partition_point(|(_, batch)| {
                batch.last().is_some_and(|e| e.global_position <= size)
            });
            let rest = batches.split_off(cut);
            timeline.ingest_all(batches, self.index_workers, |_| ());
            // The snapshot's position is reached, or passed by an append that begins before it.
            if (timeline.last_global_position() == size || !rest.is_empty())
                && let Some(index) = snapshots.restore(&timeline, &self.merkle())
            {
                *search = index;
            }
            batches = rest;
        }
        crate::search::ingest_all(&mut timeline, &mut search, batches, self.index_workers);
    }

    /// Reads the page from `from` on and computes what indexing it needs, in a task of its own.
    fn prepare_page(
        &self,
        from: u64,
    ) -> tokio::task::JoinHandle<Result<PreparedPage, RegistryError>> {
        let store = Arc::clone(&self.store);
        tokio::spawn(async move {
            let page = store.read_all(from, CATCH_UP_PAGE).await?;
            tokio::task::spawn_blocking(move || {
                // Hashing and decoding take about as long as each other: one each on two cores.
                let (leaves, batches) = std::thread::scope(|scope| {
                    let hashing =
                        scope.spawn(|| page.iter().map(transparency::event_leaf_hash).collect());
                    let batches = decode_batches(&page);
                    let leaves: Vec<transparency::Hash> = hashing.join().unwrap_or_default();
                    (leaves, batches)
                });
                Ok(PreparedPage {
                    page,
                    leaves,
                    batches,
                })
            })
            .await
            .map_err(|e| RegistryError::CatchUpTask(e.to_string()))?
        })
    }

    /// Follows the log until `shutdown` turns true: catch up, then wait for the store's next append.
    ///
    /// A store that fails (a restarted database, a dropped connection) is
    /// retried after [`FOLLOW_RETRY_MIN`], doubling up to [`FOLLOW_RETRY_MAX`],
    /// for as long as it takes: a server must not go on serving a stale index
    /// because of one failed read. Any other error (an event this version
    /// cannot read) ends the follower with that error.
    pub async fn follow(&self, mut shutdown: watch::Receiver<bool>) -> Result<(), RegistryError> {
        let mut head = self.store.subscribe();
        let mut retry = FOLLOW_RETRY_MIN;
        loop {
            match self.catch_up().await {
                Ok(_) => {
                    retry = FOLLOW_RETRY_MIN;
                    self.save_snapshot_if_due().await;
                }
                Err(RegistryError::Store(error)) => {
                    tracing::warn!(%error, ?retry, "catching up with the log failed; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(retry) => {}
                        _ = shutdown.changed() => return Ok(()),
                    }
                    if *shutdown.borrow() {
                        return Ok(());
                    }
                    retry = (retry * 2).min(FOLLOW_RETRY_MAX);
                    continue;
                }
                Err(other) => return Err(other),
            }
            tokio::select! {
                changed = head.changed() => if changed.is_err() { return Ok(()) },
                _ = shutdown.changed() => return Ok(()),
            }
            if *shutdown.borrow() {
                return Ok(());
            }
        }
    }

    /// Publishes one revision: decide against the current history, then append
    /// with the stream version the decision was made on.
    pub async fn publish(
        &self,
        command: &PublishRevision,
        actor: &str,
        expected_version: Option<u64>,
    ) -> Result<Published, RegistryError> {
        let mut published = self
            .publish_all(std::slice::from_ref(command), actor, expected_version)
            .await?;
        published.pop().ok_or_else(|| {
            RegistryError::CatchUpTask("a publish of one revision recorded none".into())
        })
    }

    /// Publishes revisions of one standard all or nothing: each is decided
    /// against the history as the ones before it leave it, then all their
    /// events are appended at once with the stream version the decisions were
    /// made on. A revision already recorded, named twice, or refused by the
    /// domain appends nothing.
    pub async fn publish_all(
        &self,
        commands: &[PublishRevision],
        actor: &str,
        expected_version: Option<u64>,
    ) -> Result<Vec<Published>, RegistryError> {
        self.catch_up().await?;
        let Some(first) = commands.first() else {
            return Ok(Vec::new());
        };
        let jurisdiction = first.revision.jurisdiction.clone();
        if let Some(other) = commands
            .iter()
            .map(|c| &c.revision.jurisdiction)
            .find(|j| **j != jurisdiction)
        {
            return Err(RegistryError::SeveralStandards {
                first: jurisdiction,
                other: other.clone(),
            });
        }
        let (planned, version) = {
            let timeline = self.timeline();
            let version = timeline
                .standard(&jurisdiction)
                .map_or(0, |s| s.events().len() as u64);
            if let Some(expected) = expected_version
                && expected != version
            {
                return Err(RegistryError::Conflict {
                    jurisdiction,
                    expected,
                    actual: version,
                });
            }
            (
                self.plan(&timeline, commands, actor, Recorded::Refuse)?,
                version,
            )
        };
        let decided: Vec<Vec<NewDomainEvent>> = planned.into_iter().flatten().collect();
        let stored = decided
            .iter()
            .flatten()
            .map(|e| codec::encode(e, Uuid::now_v7()))
            .collect::<Result<_, _>>()?;
        let outcome = self
            .store
            .append(
                &codec::stream_for(&jurisdiction),
                ExpectedVersion::Exact(version),
                stored,
            )
            .await
            .map_err(|e| match e {
                StoreError::WrongExpectedVersion {
                    expected, actual, ..
                } => RegistryError::Conflict {
                    jurisdiction: jurisdiction.clone(),
                    expected,
                    actual,
                },
                other => RegistryError::Store(other),
            })?;
        self.catch_up().await?;
        // One append takes consecutive positions: each revision's last event
        // lies as many events before the append's last as the revisions after it hold.
        let mut after: u64 = decided.iter().map(|e| e.len() as u64).sum();
        let mut published = Vec::with_capacity(commands.len());
        for (command, events) in commands.iter().zip(&decided) {
            after -= events.len() as u64;
            tracing::info!(
                revision = %command.revision.id,
                jurisdiction = %jurisdiction,
                events = events.len(),
                actor,
                "revision published"
            );
            published.push(Published {
                revision: command.revision.id.clone(),
                jurisdiction: jurisdiction.clone(),
                event_count: events.len(),
                stream_version: outcome.stream_version - after,
                last_global_position: outcome.last_global_position - after,
                recorded_at: outcome.recorded_at,
            });
        }
        Ok(published)
    }

    /// Imports a file of revisions. Revisions already recorded with the same
    /// content are skipped, so importing twice appends nothing the second time.
    /// Every revision is checked before any is appended.
    pub async fn import(
        &self,
        file: &ImportFile,
        actor: &str,
    ) -> Result<Vec<ImportOutcome>, RegistryError> {
        self.catch_up().await?;
        let todo: Vec<bool> = {
            let timeline = self.timeline();
            self.plan(&timeline, &file.revisions, actor, Recorded::Skip)?
                .iter()
                .map(Option::is_none)
                .collect()
        };
        let mut outcomes = Vec::new();
        for (command, recorded) in file.revisions.iter().zip(todo) {
            outcomes.push(if recorded {
                ImportOutcome::AlreadyRecorded(command.revision.id.clone())
            } else {
                ImportOutcome::Published(self.publish(command, actor, None).await?)
            });
        }
        Ok(outcomes)
    }

    /// Decides every revision against the history as the ones before it would
    /// leave it; `None` marks a revision already recorded with the same
    /// content, when `recorded` skips those.
    pub(crate) fn plan(
        &self,
        timeline: &Timeline,
        commands: &[PublishRevision],
        actor: &str,
        recorded: Recorded,
    ) -> Result<Vec<Option<Vec<NewDomainEvent>>>, RegistryError> {
        let now = Utc::now();
        let context = CommandContext {
            actor: actor.to_owned(),
            today: today(now),
        };
        let mut simulated: Vec<(Jurisdiction, Vec<RecordedEvent>)> = Vec::new();
        let mut planned = Vec::new();
        let mut named: std::collections::HashMap<&RevisionId, &Jurisdiction> =
            std::collections::HashMap::new();
        let mut position = timeline.last_global_position();
        for command in commands {
            let id = &command.revision.id;
            if named
                .insert(id, &command.revision.jurisdiction)
                .is_some_and(|j| *j != command.revision.jurisdiction)
            {
                return Err(RegistryError::RevisionIdTaken(id.clone()));
            }
            if recorded == Recorded::Skip
                && let Some(holder) = timeline.revision_jurisdiction(id)
            {
                let same = timeline.standard(holder).is_some_and(|s| {
                    s.revisions(None)
                        .iter()
                        .any(|r| &r.info.id == id && r.info == command.revision)
                });
                if !same {
                    return Err(RegistryError::RevisionIdTaken(id.clone()));
                }
                planned.push(None);
                continue;
            }
            check_references(timeline, command)?;
            let jurisdiction = &command.revision.jurisdiction;
            let index = match simulated.iter().position(|(j, _)| j == jurisdiction) {
                Some(index) => index,
                None => {
                    let events = timeline
                        .standard(jurisdiction)
                        .map(|s| s.events().to_vec())
                        .unwrap_or_default();
                    simulated.push((jurisdiction.clone(), events));
                    simulated.len() - 1
                }
            };
            let history = &mut simulated[index].1;
            let events = domain::decide(history, command, &context).map_err(|source| {
                RegistryError::Rejected {
                    revision: id.clone(),
                    source: Box::new(source),
                }
            })?;
            history.extend(simulate(events.clone(), &mut position, now));
            planned.push(Some(events));
        }
        Ok(planned)
    }
}

/// What planning does with a revision already recorded with the same content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Recorded {
    /// Import: nothing to append for it.
    Skip,
    /// Publish: refused, as `decide` refuses a revision recorded before.
    Refuse,
}

/// Checks what `decide` cannot see from one stream: references to other standards.
fn check_references(timeline: &Timeline, command: &PublishRevision) -> Result<(), RegistryError> {
    let info = &command.revision;
    if let Some(holder) = timeline.revision_jurisdiction(&info.id)
        && holder != &info.jurisdiction
    {
        return Err(RegistryError::RevisionIdTaken(info.id.clone()));
    }
    if info.kind == RevisionKind::LocalImplementation
        && let Some(implements) = &info.implements
        && timeline
            .revision_jurisdiction(implements)
            .is_none_or(|j| !j.is_national())
    {
        return Err(RegistryError::UnknownNationalRevision {
            revision: info.id.clone(),
            implements: implements.clone(),
        });
    }
    Ok(())
}

/// Decided events as they would read back, for checking a file before appending.
pub(crate) fn simulate(
    events: Vec<NewDomainEvent>,
    position: &mut u64,
    now: DateTime<Utc>,
) -> Vec<RecordedEvent> {
    events
        .into_iter()
        .map(|e| {
            *position += 1;
            RecordedEvent {
                event_id: Uuid::nil(),
                global_position: *position,
                recorded_at: now,
                context: e.context,
                event: e.event,
            }
        })
        .collect()
}

/// Decodes a page of the log into per-standard batches of one append each.
pub fn decode_batches(
    page: &[event_store::StoredEvent],
) -> Result<Vec<(Jurisdiction, Vec<RecordedEvent>)>, CodecError> {
    let mut batches: Vec<(Jurisdiction, Vec<RecordedEvent>)> = Vec::new();
    for stored in page {
        let (jurisdiction, mut event) = codec::decode(stored)?;
        match batches.last_mut() {
            Some((j, batch))
                if *j == jurisdiction
                    && batch
                        .last()
                        .is_some_and(|e| e.recorded_at == event.recorded_at) =>
            {
                // An append's events name one revision, one actor and
                // mostly one reason: hold each once.
                if let Some(last) = batch.last() {
                    let (was, is) = (&last.context, &mut event.context);
                    if was.revision == is.revision {
                        is.revision = was.revision.clone();
                    }
                    if was.actor == is.actor {
                        is.actor = was.actor.clone();
                    }
                    if was.reason == is.reason {
                        is.reason = was.reason.clone();
                    }
                }
                batch.push(event)
            }
            _ => batches.push((jurisdiction, vec![event])),
        }
    }
    Ok(batches)
}
