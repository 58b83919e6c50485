//! The bitemporal index (docs/ARCHITECTURE.md, "Time"), kept in memory and fed from the log.
//!
//! For every standard it keeps one *generation* per append (record time) and,
//! inside each, the *versions* of the consolidated standard along valid time.
//! An edition at (`valid_at`, `known_at`) is two binary searches and a shared
//! snapshot: no replay. Appending a revision refolds only the events effective
//! on or after its earliest effective date; earlier versions are shared.
//!
//! Pure: no I/O, no clock. Record time comes from the events.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use domain::event::{Event, RecordedEvent};
use domain::ids::{ItemId, Jurisdiction, RevisionId};
use domain::model::RevisionInfo;
use domain::state::{ItemState, Snapshot, apply, in_force, share_with_state};

mod diff;
mod history;

pub use diff::{Diff, FieldDiff, ItemChange, ItemDiff, StructureChange, StructureKind};
pub use history::field_diff;
pub use history::{HistoryEntry, ItemHistory, LineageLink, LineageRelation};

/// The consolidated standard at one version point.
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    /// First day this version is in force.
    pub valid_from: NaiveDate,
    pub snapshot: Arc<Snapshot>,
    /// Revisions whose events take effect on `valid_from`. Shared: every later
    /// generation that keeps this version copies it.
    pub revisions: Arc<[RevisionId]>,
    /// False when only bookkeeping changed (e.g. a withdrawal was published), not the text.
    pub changes_text: bool,
}

/// What the registry knew after one append.
#[derive(Debug, Clone)]
struct Generation {
    known_from: DateTime<Utc>,
    /// Events of the stream recorded up to and including this generation.
    event_count: usize,
    /// Inconsistencies found before this generation was indexed.
    inconsistencies_before: usize,
    versions: Arc<Vec<Version>>,
}

/// An event that did not apply while indexing: the log holds something `decide` would refuse.
#[derive(Debug, Clone, PartialEq)]
pub struct Inconsistency {
    pub global_position: u64,
    pub message: String,
}

/// The index of one standard.
#[derive(Debug, Clone)]
pub struct StandardTimeline {
    jurisdiction: Jurisdiction,
    /// Every event of the stream, in log order.
    events: Vec<RecordedEvent>,
    /// Indices into `events` in fold order (effective date, then log order), kept
    /// as events arrive so that a refold never sorts the whole stream again.
    fold_order: Vec<usize>,
    /// Revisions withdrawn by any event recorded so far.
    withdrawn: BTreeSet<RevisionId>,
    generations: Vec<Generation>,
    inconsistencies: Vec<Inconsistency>,
    /// What the last ingest refolded, for projections that follow the timeline.
    refolded: Refolded,
    /// Events applied by every fold so far: an event folded again counts again.
    applied: u64,
}

/// What one ingest changed in the latest generation: the versions it folded
/// again and, in each, the items its events touched. Every other item of
/// those versions is the one of the version before (the same `Arc`), so a
/// projection that has seen every earlier ingest needs to look at these only.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Refolded {
    /// Ingests of the stream so far, this one included (1 for the first).
    pub ingest: u64,
    /// Index, in [`StandardTimeline::all_versions`], of the first version folded again.
    pub first_version: usize,
    /// (version index, item) for every item an event of that version's date group touched.
    pub touched: Vec<(usize, ItemId)>,
}

/// What a standard's generations hold, each shared allocation counted once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Held {
    /// One per append.
    pub generations: u64,
    /// Versions over every generation's list.
    pub version_entries: u64,
    /// Distinct consolidated states.
    pub snapshots: u64,
    /// Distinct item states: an item state per item an event changed, in
    /// each version, unless a refold kept the one it replaced.
    pub item_states: u64,
}

/// The consolidated standard at (`valid_at`, `known_at`).
#[derive(Debug, Clone)]
pub struct Edition {
    pub jurisdiction: Jurisdiction,
    pub valid_at: NaiveDate,
    pub known_at: Option<DateTime<Utc>>,
    /// The version in force, `None` when no standard was in force at that point.
    pub version: Option<Version>,
}

impl Edition {
    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.version.as_ref().map(|v| v.snapshot.as_ref())
    }
}

/// A revision with the status it had at some record time.
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionRecord {
    pub info: RevisionInfo,
    pub recorded_at: DateTime<Utc>,
    pub actor: domain::text::Text,
    /// Set when a withdrawal recorded by then cancelled it.
    pub withdrawn_by: Option<RevisionId>,
}

impl StandardTimeline {
    pub fn new(jurisdiction: Jurisdiction) -> Self {
        Self {
            jurisdiction,
            events: Vec::new(),
            fold_order: Vec::new(),
            withdrawn: BTreeSet::new(),
            generations: Vec::new(),
            inconsistencies: Vec::new(),
            refolded: Refolded::default(),
            applied: 0,
        }
    }

    /// Events applied by every fold so far, an event folded again counting
    /// again: divided by the events indexed, how much retroactive and
    /// future-dated appends cost.
    pub fn applied(&self) -> u64 {
        self.applied
    }

    /// How much the generations hold and share: what the memory of the
    /// index is made of, for the benchmark and the tests that pin sharing.
    pub fn held(&self) -> Held {
        let mut snapshots: HashSet<*const Snapshot> = HashSet::new();
        let mut items: HashSet<*const ItemState> = HashSet::new();
        let mut held = Held {
            generations: self.generations.len() as u64,
            ..Held::default()
        };
        for generation in &self.generations {
            held.version_entries += generation.versions.len() as u64;
            for version in generation.versions.iter() {
                if snapshots.insert(Arc::as_ptr(&version.snapshot)) {
                    for item in version.snapshot.items.values() {
                        items.insert(Arc::as_ptr(item));
                    }
                }
            }
        }
        held.snapshots = snapshots.len() as u64;
        held.item_states = items.len() as u64;
        held
    }

    /// What the last ingest folded again (see [`Refolded`]).
    pub fn refolded(&self) -> &Refolded {
        &self.refolded
    }

    pub fn jurisdiction(&self) -> &Jurisdiction {
        &self.jurisdiction
    }

    /// Every event of the stream in log order.
    pub fn events(&self) -> &[RecordedEvent] {
        &self.events
    }

    pub fn inconsistencies(&self) -> &[Inconsistency] {
        &self.inconsistencies
    }

    /// Record time of the last append, if any.
    pub fn last_recorded_at(&self) -> Option<DateTime<Utc>> {
        self.generations.last().map(|g| g.known_from)
    }

    /// Adds one append's events (one record time, log order) and re-indexes from
    /// the earliest valid date they touch.
    pub fn ingest(&mut self, batch: Vec<RecordedEvent>) {
        let Some(first) = batch.first() else {
            return;
        };
        let known_from = first.recorded_at;
        let earliest = self.earliest_affected(&batch);
        for event in batch {
            self.index_event(event);
        }
        if self
            .generations
            .last()
            .is_some_and(|g| g.known_from == known_from)
        {
            // The same append arrived in two pieces: replace its generation, and
            // forget what only its first piece seemed to break.
            if let Some(replaced) = self.generations.pop() {
                self.inconsistencies
                    .truncate(replaced.inconsistencies_before);
            }
        }
        let inconsistencies_before = self.inconsistencies.len();
        let previous = self
            .generations
            .last()
            .map(|g| Arc::clone(&g.versions))
            .unwrap_or_default();
        self.refolded.ingest += 1;
        self.refolded.touched.clear();
        let versions = self.refold(&previous, earliest);
        self.generations.push(Generation {
            known_from,
            event_count: self.events.len(),
            inconsistencies_before,
            versions: Arc::new(versions),
        });
    }

    /// Appends one event to the log and places it in fold order: after every
    /// event effective on or before its date, which all came earlier in the log.
    fn index_event(&mut self, event: RecordedEvent) {
        let date = event.context.effective_from;
        if let Event::RevisionWithdrawn { withdrawn } = &event.event {
            self.withdrawn.insert(withdrawn.clone());
        }
        let index = self.events.len();
        self.events.push(event);
        let events = &self.events;
        // Most events take effect no earlier than every event before them:
        // they go last, found without a binary search whose every step
        // reads another event (a cache miss each, 4 % of a start).
        let last_date = self
            .fold_order
            .last()
            .map(|&i| events[i].context.effective_from);
        if last_date.is_none_or(|last| last <= date) {
            self.fold_order.push(index);
        } else {
            let at = self
                .fold_order
                .partition_point(|&i| events[i].context.effective_from <= date);
            self.fold_order.insert(at, index);
        }
    }

    /// The earliest effective date whose version the batch can change.
    fn earliest_affected(&self, batch: &[RecordedEvent]) -> NaiveDate {
        let mut earliest = NaiveDate::MAX;
        for event in batch {
            earliest = earliest.min(event.context.effective_from);
            if let Event::RevisionWithdrawn { withdrawn } = &event.event {
                for e in self
                    .events
                    .iter()
                    .filter(|e| &e.context.revision == withdrawn)
                {
                    earliest = earliest.min(e.context.effective_from);
                }
            }
        }
        if self
            .generations
            .last()
            .is_some_and(|g| g.known_from == batch[0].recorded_at)
        {
            // Re-index the whole append when it arrives in pieces.
            let same: Vec<&RecordedEvent> = self
                .events
                .iter()
                .filter(|e| e.recorded_at == batch[0].recorded_at)
                .collect();
            for e in same {
                earliest = earliest.min(e.context.effective_from);
            }
        }
        earliest
    }

    /// Versions from `from` on, folded again over the kept version before it.
    /// `in_force` with no bounds is `fold_order` without withdrawn revisions.
    fn refold(&mut self, previous: &[Version], from: NaiveDate) -> Vec<Version> {
        let keep = previous.partition_point(|v| v.valid_from < from);
        let mut versions: Vec<Version> = Vec::with_capacity(keep + 1);
        versions.extend_from_slice(&previous[..keep]);
        self.refolded.first_version = keep;
        let events = &self.events;
        let start = self
            .fold_order
            .partition_point(|&i| events[i].context.effective_from < from);
        let ordered: Vec<usize> = self.fold_order[start..]
            .iter()
            .copied()
            .filter(|&i| !self.withdrawn.contains(&events[i].context.revision))
            .collect();
        if ordered.is_empty() {
            return versions;
        }
        // The state before each date group is the version pushed last: compare
        // against it rather than cloning the state once more per date.
        let mut before: Arc<Snapshot> = versions
            .last()
            .map(|v| Arc::clone(&v.snapshot))
            .unwrap_or_default();
        let mut state: Snapshot = before.as_ref().clone();
        let mut index = 0;
        while index < ordered.len() {
            let date = self.events[ordered[index]].context.effective_from;
            let mut revisions: Vec<RevisionId> = Vec::new();
            let touched_from = self.refolded.touched.len();
            while index < ordered.len()
                && self.events[ordered[index]].context.effective_from == date
            {
                let event = &mut self.events[ordered[index]];
                share_with_state(&state, &mut event.event);
                self.applied += 1;
                if let Err(violation) = apply(&mut state, &event.context, &event.event)
                    && !self
                        .inconsistencies
                        .iter()
                        .any(|i| i.global_position == event.global_position)
                {
                    self.inconsistencies.push(Inconsistency {
                        global_position: event.global_position,
                        message: violation.to_string(),
                    });
                }
                if !revisions.contains(&event.context.revision) {
                    revisions.push(event.context.revision.clone());
                }
                let version = versions.len();
                self.refolded.touched.extend(
                    event
                        .event
                        .items_touched()
                        .into_iter()
                        .map(|item| (version, item.clone())),
                );
                index += 1;
            }
            // Only a version this refold replaces can hold an equal copy: the
            // kept one before them is what the state started from, so an
            // ordinary append, which replaces none, compares nothing.
            let replaced = previous
                .partition_point(|v| v.valid_from <= date)
                .checked_sub(1)
                .filter(|&i| i >= keep)
                .map(|i| &previous[i]);
            if let Some(replaced) = replaced {
                keep_equal_items(
                    &mut state,
                    &replaced.snapshot,
                    &self.refolded.touched[touched_from..],
                );
            }
            let changes_text = text_differs(&before, &state);
            // The last date group hands its state over instead of copying it.
            let snapshot = if index < ordered.len() {
                Arc::new(state.clone())
            } else {
                Arc::new(std::mem::take(&mut state))
            };
            before = Arc::clone(&snapshot);
            versions.push(Version {
                valid_from: date,
                snapshot,
                revisions: revisions.into(),
                changes_text,
            });
        }
        versions
    }

    fn generation(&self, known_at: Option<DateTime<Utc>>) -> Option<&Generation> {
        match known_at {
            None => self.generations.last(),
            Some(t) => {
                let n = self.generations.partition_point(|g| g.known_from <= t);
                n.checked_sub(1).map(|i| &self.generations[i])
            }
        }
    }

    /// All versions along valid time as the registry stood at `known_at`.
    pub fn all_versions(&self, known_at: Option<DateTime<Utc>>) -> &[Version] {
        self.generation(known_at)
            .map_or(&[], |g| g.versions.as_slice())
    }

    /// The consolidated standard in force on `valid_at`, as recorded by `known_at`.
    pub fn edition(&self, valid_at: NaiveDate, known_at: Option<DateTime<Utc>>) -> Edition {
        let versions = self.all_versions(known_at);
        let n = versions.partition_point(|v| v.valid_from <= valid_at);
        Edition {
            jurisdiction: self.jurisdiction.clone(),
            valid_at,
            known_at,
            // Before the standard's first edition only bookkeeping can be in force
            // (a withdrawal published early): no standard, no version.
            version: n
                .checked_sub(1)
                .map(|i| versions[i].clone())
                .filter(|v| v.snapshot.established_on.is_some()),
        }
    }

    /// Every point at which the consolidated text changed.
    pub fn versions(&self, known_at: Option<DateTime<Utc>>) -> Vec<&Version> {
        self.all_versions(known_at)
            .iter()
            .filter(|v| v.changes_text)
            .collect()
    }

    /// Events recorded by `known_at` (log order).
    pub fn events_known(&self, known_at: Option<DateTime<Utc>>) -> &[RecordedEvent] {
        let count = self.generation(known_at).map_or(0, |g| g.event_count);
        &self.events[..count]
    }

    /// Every revision recorded by `known_at`, in log order, with its status then.
    pub fn revisions(&self, known_at: Option<DateTime<Utc>>) -> Vec<RevisionRecord> {
        let events = self.events_known(known_at);
        let mut withdrawn: BTreeMap<&RevisionId, &RevisionId> = BTreeMap::new();
        for e in events {
            if let Event::RevisionWithdrawn { withdrawn: target } = &e.event {
                withdrawn.insert(target, &e.context.revision);
            }
        }
        events
            .iter()
            .filter_map(|e| match &e.event {
                Event::RevisionPublished { revision } => Some(RevisionRecord {
                    info: revision.as_ref().clone(),
                    recorded_at: e.recorded_at,
                    actor: e.context.actor.clone(),
                    withdrawn_by: withdrawn.get(&revision.id).map(|r| (*r).clone()),
                }),
                _ => None,
            })
            .collect()
    }

    /// Revisions recorded by `known_at`, not withdrawn, that take effect after `valid_at`.
    pub fn pending(
        &self,
        valid_at: NaiveDate,
        known_at: Option<DateTime<Utc>>,
    ) -> Vec<RevisionRecord> {
        self.revisions(known_at)
            .into_iter()
            .filter(|r| r.withdrawn_by.is_none() && r.info.effective_from > valid_at)
            .collect()
    }

    /// Events of the stream that are in force at the point, in fold order (the brute-force definition).
    pub fn in_force_events(
        &self,
        valid_at: Option<NaiveDate>,
        known_at: Option<DateTime<Utc>>,
    ) -> Vec<&RecordedEvent> {
        in_force(&self.events, valid_at, known_at)
    }

    /// Whether an item of this id was ever introduced, as known now.
    pub fn has_item(&self, item: &ItemId) -> bool {
        self.all_versions(None)
            .last()
            .is_some_and(|v| v.snapshot.items.contains_key(item))
    }
}

/// Points every item the date group touched back at the replaced
/// generation's state of it where the two are equal. A refold applies again
/// events a retroactive append does not change, and each apply copies the
/// item it touches: without this, every earlier generation would keep one
/// copy and the new one another of the same item state.
fn keep_equal_items(state: &mut Snapshot, replaced: &Snapshot, touched: &[(usize, ItemId)]) {
    for (_, id) in touched {
        if let (Some(new), Some(old)) = (state.items.get(id), replaced.items.get(id))
            && !Arc::ptr_eq(new, old)
            && new == old
        {
            let old = Arc::clone(old);
            state.items.insert(id.clone(), old);
        }
    }
}

/// Whether two states differ in what a reader of the standard sees.
fn text_differs(a: &Snapshot, b: &Snapshot) -> bool {
    a.aspects != b.aspects
        || a.categories != b.categories
        || a.declared_item_count != b.declared_item_count
        || a.items.len() != b.items.len()
        || a.items
            .iter()
            .zip(b.items.iter())
            .any(|((ka, va), (kb, vb))| ka != kb || !(Arc::ptr_eq(va, vb) || va == vb))
}

/// Standards taken out of the registry's map while a page is indexed; put
/// back when dropped, so that a panic in a worker, which the caller sees
/// again, loses no standard from the index.
struct Taken<'a> {
    map: &'a mut BTreeMap<Jurisdiction, StandardTimeline>,
    standards: Vec<StandardTimeline>,
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        for standard in self.standards.drain(..) {
            self.map.insert(standard.jurisdiction.clone(), standard);
        }
    }
}

/// A standard and its appends in a page, each with its place in the page.
type Job<'a> = (&'a mut StandardTimeline, Vec<(usize, Vec<RecordedEvent>)>);

/// Every standard in the registry.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    standards: BTreeMap<Jurisdiction, StandardTimeline>,
    revisions: BTreeMap<RevisionId, Jurisdiction>,
    /// Per item id, the standards that introduced an item of that id (a set:
    /// the same id is common across local standards, and a list grew slow to search).
    items: BTreeMap<ItemId, BTreeSet<Jurisdiction>>,
    last_global_position: u64,
}

impl Timeline {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one append's events for one standard. Positions must grow.
    pub fn ingest(&mut self, jurisdiction: &Jurisdiction, batch: Vec<RecordedEvent>) {
        self.note(jurisdiction, &batch);
        self.standards
            .entry(jurisdiction.clone())
            .or_insert_with(|| StandardTimeline::new(jurisdiction.clone()))
            .ingest(batch);
    }

    /// Adds the appends of a page of the log (each one append of one standard,
    /// in log order). Standards are independent, so they are indexed on up to
    /// `workers` threads, each standard's appends in order on one of them.
    /// `after` runs after every append on the thread that ingested it, with the
    /// standard as that append left it; what it returns comes back in the
    /// order of `batches`.
    pub fn ingest_all<R: Send>(
        &mut self,
        batches: Vec<(Jurisdiction, Vec<RecordedEvent>)>,
        workers: usize,
        after: impl Fn(&StandardTimeline) -> R + Sync,
    ) -> Vec<R> {
        let count = batches.len();
        // Per standard, its appends with their place among `batches`.
        let mut by_standard: BTreeMap<Jurisdiction, Vec<(usize, Vec<RecordedEvent>)>> =
            BTreeMap::new();
        for (n, (jurisdiction, batch)) in batches.into_iter().enumerate() {
            self.note(&jurisdiction, &batch);
            by_standard
                .entry(jurisdiction)
                .or_default()
                .push((n, batch));
        }
        // Take out only the standards this page names: walking every standard
        // of the registry for each page costs more than the page at scale.
        let standards: Vec<StandardTimeline> = by_standard
            .keys()
            .map(|j| {
                self.standards
                    .remove(j)
                    .unwrap_or_else(|| StandardTimeline::new(j.clone()))
            })
            .collect();
        let mut taken = Taken {
            map: &mut self.standards,
            standards,
        };
        // Share the standards out by events, largest first, each to the least loaded worker.
        let mut work: Vec<Job<'_>> = taken
            .standards
            .iter_mut()
            .zip(std::mem::take(&mut by_standard).into_values())
            .collect();
        let weight =
            |b: &[(usize, Vec<RecordedEvent>)]| b.iter().map(|(_, e)| e.len()).sum::<usize>();
        work.sort_by_key(|(_, b)| std::cmp::Reverse(weight(b)));
        let workers = workers.clamp(1, work.len().max(1));
        let mut shares: Vec<(usize, Vec<_>)> = (0..workers).map(|_| (0, Vec::new())).collect();
        for job in work {
            if let Some(share) = shares.iter_mut().min_by_key(|(load, _)| *load) {
                share.0 += weight(&job.1);
                share.1.push(job);
            }
        }
        let run = |share: Vec<Job<'_>>| {
            let mut out = Vec::new();
            for (standard, appends) in share {
                for (n, batch) in appends {
                    standard.ingest(batch);
                    out.push((n, after(standard)));
                }
            }
            out
        };
        let run = &run;
        let mut results: Vec<(usize, R)> = Vec::with_capacity(count);
        let mut shares = shares.into_iter().map(|(_, share)| share);
        let first = shares.next().unwrap_or_default();
        std::thread::scope(|scope| {
            let others: Vec<_> = shares
                .map(|share| scope.spawn(move || run(share)))
                .collect();
            results.extend(run(first));
            for other in others {
                match other.join() {
                    Ok(done) => results.extend(done),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
        });
        drop(taken);
        results.sort_unstable_by_key(|(n, _)| *n);
        results.into_iter().map(|(_, r)| r).collect()
    }

    /// The registry-wide tables an append adds to.
    fn note(&mut self, jurisdiction: &Jurisdiction, batch: &[RecordedEvent]) {
        for event in batch {
            self.last_global_position = self.last_global_position.max(event.global_position);
            match &event.event {
                Event::RevisionPublished { revision } => {
                    self.revisions
                        .insert(revision.id.clone(), jurisdiction.clone());
                }
                Event::ItemIntroduced { item } | Event::LocalItemAdded { item, .. } => {
                    let holders = self.items.entry(item.id.clone()).or_default();
                    if !holders.contains(jurisdiction) {
                        holders.insert(jurisdiction.clone());
                    }
                }
                _ => {}
            }
        }
    }

    /// Global position of the last event indexed.
    pub fn last_global_position(&self) -> u64 {
        self.last_global_position
    }

    pub fn standard(&self, jurisdiction: &Jurisdiction) -> Option<&StandardTimeline> {
        self.standards.get(jurisdiction)
    }

    pub fn standards(&self) -> impl Iterator<Item = &StandardTimeline> {
        self.standards.values()
    }

    /// Which standard published a revision.
    pub fn revision_jurisdiction(&self, revision: &RevisionId) -> Option<&Jurisdiction> {
        self.revisions.get(revision)
    }

    /// Standards that hold an item of this id (item ids are unique within a
    /// standard), by code.
    pub fn item_jurisdictions(&self, item: &ItemId) -> Vec<&Jurisdiction> {
        self.items
            .get(item)
            .map_or(Vec::new(), |s| s.iter().collect())
    }
}
