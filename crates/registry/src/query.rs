//! The read model: every question a reader asks, answered once.
//!
//! The command line, GraphQL, gRPC, the bench and the web pages call these
//! methods and render the views they return; none of them sorts, filters or
//! folds. Each call holds the index's read lock only while it builds its
//! answer, and views share the snapshot's `Arc`s rather than copying them.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use compliance::{ComplianceError, ComplianceHistory, ComplianceReport, ComplianceSummary};
use domain::event::{Event, RecordedEvent};
use domain::ids::{ItemId, Jurisdiction, RevisionId};
use domain::model::{RevisionInfo, RevisionKind};
use timeline::{Diff, StandardTimeline, Timeline};

use crate::service::Registry;
use crate::view::{
    DiffView, EditionView, HistoryView, ItemAtPoint, RevisionDetail, RevisionView, StandardSummary,
    VersionView,
};

/// A point in both times: the day a text is in force (`valid_at`) and the
/// moment the registry's record is read as of (`known_at`; `None`: now).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Point {
    pub valid_at: NaiveDate,
    pub known_at: Option<DateTime<Utc>>,
}

impl Point {
    pub fn new(valid_at: NaiveDate, known_at: Option<DateTime<Utc>>) -> Self {
        Self { valid_at, known_at }
    }

    /// Whether this point lies after `other`: a later day, or the same day read
    /// as of a later record time (`None`, now, is the latest).
    pub fn is_after(&self, other: &Point) -> bool {
        use std::cmp::Ordering;
        match self.valid_at.cmp(&other.valid_at) {
            Ordering::Greater => true,
            Ordering::Less => false,
            Ordering::Equal => match (self.known_at, other.known_at) {
                (None, Some(_)) => true,
                (Some(a), Some(b)) => a > b,
                _ => false,
            },
        }
    }
}

impl std::fmt::Display for Point {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.known_at {
            Some(t) => write!(f, "{} as recorded at {}", self.valid_at, t.to_rfc3339()),
            None => write!(f, "{}", self.valid_at),
        }
    }
}

/// Why a question cannot be answered. Every message says what to ask instead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// No standard is recorded for the jurisdiction.
    #[error(
        "no standard is recorded for jurisdiction {jurisdiction}; standards on record: {on_record}"
    )]
    NoSuchStandard {
        jurisdiction: Jurisdiction,
        /// The jurisdictions that have a standard, comma-separated (`none` when empty).
        on_record: String,
    },
    /// The standard never had the item (as recorded at the time asked about).
    #[error("standard {jurisdiction} has no item {item}; its edition lists the items it has")]
    NoSuchItem {
        jurisdiction: Jurisdiction,
        item: ItemId,
    },
    /// No standard has an item of this id.
    #[error("no standard has an item {0}; an edition lists the items it has")]
    UnknownItem(ItemId),
    /// Item ids are unique within a standard only.
    #[error("item {item} exists in several standards ({standards}); name the jurisdiction")]
    AmbiguousItem { item: ItemId, standards: String },
    /// The revision is not recorded (as recorded at the time asked about).
    #[error("revision {0} is not recorded; a standard's revisions list those that are")]
    NoSuchRevision(RevisionId),
    /// A diff whose start lies after its end.
    #[error("the diff runs backwards: from ({from}) is later than to ({to}); swap them")]
    ReversedDiff { from: Point, to: Point },
    #[error(transparent)]
    Compliance(#[from] ComplianceError),
}

/// A revision with what the log says of its recording.
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionEntry {
    pub info: Arc<RevisionInfo>,
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it; `None` when this copy of the log does not know.
    pub actor: Option<String>,
    /// As the registry stands now.
    pub withdrawn_by: Option<RevisionId>,
}

/// Every revision by id, as of one position of the log; rebuilt when the log moves on.
#[derive(Debug, Default)]
pub(crate) struct RevisionIndex {
    position: u64,
    by_id: HashMap<RevisionId, Arc<RevisionEntry>>,
}

impl RevisionIndex {
    fn build(timeline: &Timeline) -> Self {
        let mut by_id = HashMap::new();
        for standard in timeline.standards() {
            for record in standard.revisions(None) {
                by_id.insert(
                    record.info.id.clone(),
                    Arc::new(RevisionEntry {
                        info: Arc::new(record.info),
                        recorded_at: record.recorded_at,
                        actor: crate::view::known_actor(&record.actor),
                        withdrawn_by: record.withdrawn_by,
                    }),
                );
            }
        }
        Self {
            position: timeline.last_global_position(),
            by_id,
        }
    }
}

/// Which events of the global log a reader follows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
    pub jurisdiction: Option<Jurisdiction>,
    /// Events of revisions of these kinds only.
    pub kinds: Option<Vec<RevisionKind>>,
    pub revision: Option<RevisionId>,
    /// Record time, inclusive.
    pub recorded_from: Option<DateTime<Utc>>,
    /// Record time, exclusive.
    pub recorded_before: Option<DateTime<Utc>>,
}

impl EventFilter {
    fn accepts(
        &self,
        event: &RecordedEvent,
        kind_of: impl Fn(&RevisionId) -> Option<RevisionKind>,
    ) -> bool {
        if self
            .revision
            .as_ref()
            .is_some_and(|r| r != &event.context.revision)
        {
            return false;
        }
        if self.recorded_from.is_some_and(|t| event.recorded_at < t)
            || self.recorded_before.is_some_and(|t| event.recorded_at >= t)
        {
            return false;
        }
        if let Some(kinds) = &self.kinds {
            let kind = match &event.event {
                Event::RevisionPublished { revision } => Some(revision.kind),
                _ => kind_of(&event.context.revision),
            };
            if !kind.is_some_and(|k| kinds.contains(&k)) {
                return false;
            }
        }
        true
    }
}

/// One event of the change feed, with the standard it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedEvent {
    pub jurisdiction: Jurisdiction,
    pub event: RecordedEvent,
}

fn standard<'t>(
    timeline: &'t Timeline,
    jurisdiction: &Jurisdiction,
) -> Result<&'t StandardTimeline, QueryError> {
    timeline.standard(jurisdiction).ok_or_else(|| {
        let on_record: Vec<&str> = timeline
            .standards()
            .map(|s| s.jurisdiction().as_str())
            .collect();
        QueryError::NoSuchStandard {
            jurisdiction: jurisdiction.clone(),
            on_record: if on_record.is_empty() {
                "none".to_owned()
            } else {
                on_record.join(", ")
            },
        }
    })
}

/// The standard that holds `item`: the one named, or the only one that has it.
fn holder<'t>(
    timeline: &'t Timeline,
    jurisdiction: Option<&Jurisdiction>,
    item: &ItemId,
) -> Result<&'t StandardTimeline, QueryError> {
    match jurisdiction {
        Some(j) => standard(timeline, j),
        None => match timeline.item_jurisdictions(item).as_slice() {
            [] => Err(QueryError::UnknownItem(item.clone())),
            [one] => standard(timeline, one),
            many => Err(QueryError::AmbiguousItem {
                item: item.clone(),
                standards: many
                    .iter()
                    .map(|j| j.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        },
    }
}

impl Registry {
    /// Every standard on record with what is in force on `today` (as recorded by `known_at`),
    /// its latest revision and what is pending; the national standard first, then by code.
    pub fn standards(
        &self,
        today: NaiveDate,
        known_at: Option<DateTime<Utc>>,
    ) -> Vec<StandardSummary> {
        let timeline = self.timeline();
        let mut standards: Vec<StandardSummary> = timeline
            .standards()
            .map(|s| StandardSummary::new(s, today, known_at))
            .collect();
        standards.sort_by(|a, b| {
            (!a.jurisdiction.is_national(), &a.jurisdiction)
                .cmp(&(!b.jurisdiction.is_national(), &b.jurisdiction))
        });
        standards
    }

    /// Whether a standard is recorded for the jurisdiction.
    pub fn has_standard(&self, jurisdiction: &Jurisdiction) -> Result<(), QueryError> {
        standard(&self.timeline(), jurisdiction).map(|_| ())
    }

    /// Number of events recorded for a standard: the expected version of its next publish.
    pub fn stream_version(&self, jurisdiction: &Jurisdiction) -> Result<u64, QueryError> {
        standard(&self.timeline(), jurisdiction).map(|s| s.events().len() as u64)
    }

    /// The consolidated standard at a point.
    pub fn edition(
        &self,
        jurisdiction: &Jurisdiction,
        at: Point,
    ) -> Result<EditionView, QueryError> {
        let timeline = self.timeline();
        let standard = standard(&timeline, jurisdiction)?;
        Ok(EditionView::new(
            &standard.edition(at.valid_at, at.known_at),
        ))
    }

    /// One item at a point with the revision that made each of its fields so.
    /// `jurisdiction` may be left out when only one standard has the item.
    pub fn item(
        &self,
        jurisdiction: Option<&Jurisdiction>,
        item: &ItemId,
        at: Point,
        today: NaiveDate,
    ) -> Result<ItemAtPoint, QueryError> {
        let timeline = self.timeline();
        let standard = holder(&timeline, jurisdiction, item)?;
        if !standard.has_item(item) {
            return Err(QueryError::NoSuchItem {
                jurisdiction: standard.jurisdiction().clone(),
                item: item.clone(),
            });
        }
        let edition = standard.edition(at.valid_at, at.known_at);
        let revisions = standard.revisions(at.known_at);
        Ok(ItemAtPoint::new(
            standard.jurisdiction(),
            item,
            at,
            &edition,
            &revisions,
            today,
        ))
    }

    /// Whether the standard ever had the item, as the registry stands now.
    pub fn has_item(&self, jurisdiction: &Jurisdiction, item: &ItemId) -> Result<bool, QueryError> {
        standard(&self.timeline(), jurisdiction).map(|s| s.has_item(item))
    }

    /// Every point at which the standard's text changed, as recorded by `known_at`.
    pub fn versions(
        &self,
        jurisdiction: &Jurisdiction,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<VersionView>, QueryError> {
        let timeline = self.timeline();
        let standard = standard(&timeline, jurisdiction)?;
        Ok(standard
            .versions(known_at)
            .into_iter()
            .map(|v| VersionView::new(standard.jurisdiction(), known_at, v))
            .collect())
    }

    /// Every revision recorded by `known_at`, in the order recorded, with its status on `today`.
    pub fn revisions(
        &self,
        jurisdiction: &Jurisdiction,
        known_at: Option<DateTime<Utc>>,
        today: NaiveDate,
    ) -> Result<Vec<RevisionView>, QueryError> {
        let timeline = self.timeline();
        let records = standard(&timeline, jurisdiction)?.revisions(known_at);
        Ok(records
            .iter()
            .map(|r| RevisionView::new(r, &records, today))
            .collect())
    }

    /// Revisions recorded by `at.known_at`, not withdrawn, that take effect after `at.valid_at`.
    pub fn pending(
        &self,
        jurisdiction: &Jurisdiction,
        at: Point,
        today: NaiveDate,
    ) -> Result<Vec<RevisionView>, QueryError> {
        let timeline = self.timeline();
        let standard = standard(&timeline, jurisdiction)?;
        let records = standard.revisions(at.known_at);
        Ok(standard
            .pending(at.valid_at, at.known_at)
            .iter()
            .map(|r| RevisionView::new(r, &records, today))
            .collect())
    }

    /// A revision as recorded now: the document and the withdrawal that cancelled it, if any.
    pub fn revision_entry(&self, id: &RevisionId) -> Result<Arc<RevisionEntry>, QueryError> {
        let index = self.revision_index();
        index
            .by_id
            .get(id)
            .cloned()
            .ok_or_else(|| QueryError::NoSuchRevision(id.clone()))
    }

    /// A revision with what it did: every item it touched, before and after, as recorded by `known_at`.
    pub fn revision(
        &self,
        id: &RevisionId,
        known_at: Option<DateTime<Utc>>,
        today: NaiveDate,
    ) -> Result<RevisionDetail, QueryError> {
        let timeline = self.timeline();
        let not_found = || QueryError::NoSuchRevision(id.clone());
        let jurisdiction = timeline.revision_jurisdiction(id).ok_or_else(not_found)?;
        let standard = standard(&timeline, jurisdiction)?;
        let records = standard.revisions(known_at);
        let record = records
            .iter()
            .find(|r| &r.info.id == id)
            .ok_or_else(not_found)?;
        Ok(RevisionDetail::new(
            standard, record, &records, known_at, today,
        ))
    }

    /// The changes to one item, in effective order, and its lineage through merges and splits.
    pub fn history(
        &self,
        jurisdiction: Option<&Jurisdiction>,
        item: &ItemId,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<HistoryView, QueryError> {
        let timeline = self.timeline();
        let standard = holder(&timeline, jurisdiction, item)?;
        let history = standard
            .history(item, known_at)
            .ok_or_else(|| QueryError::NoSuchItem {
                jurisdiction: standard.jurisdiction().clone(),
                item: item.clone(),
            })?;
        Ok(HistoryView::new(standard, &history))
    }

    /// What differs between two points of one standard; `from` must not lie after `to`.
    pub fn diff(
        &self,
        jurisdiction: &Jurisdiction,
        from: Point,
        to: Point,
    ) -> Result<DiffView, QueryError> {
        if from.is_after(&to) {
            return Err(QueryError::ReversedDiff { from, to });
        }
        let timeline = self.timeline();
        let standard = standard(&timeline, jurisdiction)?;
        let a = standard.edition(from.valid_at, from.known_at);
        let b = standard.edition(to.valid_at, to.known_at);
        let diff = Diff::between(a.snapshot(), b.snapshot());
        Ok(DiffView::new(&diff, from, to, a.snapshot(), b.snapshot()))
    }

    /// Up to `limit` events after global position `after` that the filter accepts, in log order.
    pub fn events(&self, filter: &EventFilter, after: u64, limit: usize) -> Vec<FeedEvent> {
        let index = self.revision_index();
        let kind_of = |r: &RevisionId| index.by_id.get(r).map(|e| e.info.kind);
        let timeline = self.timeline();
        let mut found: Vec<FeedEvent> = Vec::new();
        for standard in timeline.standards() {
            if filter
                .jurisdiction
                .as_ref()
                .is_some_and(|j| j != standard.jurisdiction())
            {
                continue;
            }
            let events = standard.events();
            let start = events.partition_point(|e| e.global_position <= after);
            found.extend(
                events[start..]
                    .iter()
                    .filter(|e| filter.accepts(e, kind_of))
                    .take(limit)
                    .map(|e| FeedEvent {
                        jurisdiction: standard.jurisdiction().clone(),
                        event: e.clone(),
                    }),
            );
        }
        found.sort_by_key(|f| f.event.global_position);
        found.truncate(limit);
        found
    }

    /// Compliance of a locality at a point (docs/compliance.md).
    pub fn compliance(
        &self,
        jurisdiction: &Jurisdiction,
        at: Point,
    ) -> Result<ComplianceReport, QueryError> {
        Ok(compliance::evaluate(
            &self.timeline(),
            jurisdiction,
            at.valid_at,
            at.known_at,
        )?)
    }

    /// The dates on which a locality's compliance changed, as recorded by `known_at`.
    pub fn compliance_changes(
        &self,
        jurisdiction: &Jurisdiction,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<ComplianceHistory, QueryError> {
        Ok(compliance::over_time(
            &self.timeline(),
            jurisdiction,
            known_at,
        )?)
    }

    /// One line of compliance per locality below `parent`.
    pub fn compliance_summary(
        &self,
        parent: &Jurisdiction,
        at: Point,
    ) -> Result<ComplianceSummary, QueryError> {
        Ok(compliance::summarize(
            &self.timeline(),
            parent,
            at.valid_at,
            at.known_at,
        )?)
    }

    /// The revision index, rebuilt when the log has moved on; most calls reuse it.
    fn revision_index(&self) -> Arc<RevisionIndex> {
        let timeline = self.timeline();
        let position = timeline.last_global_position();
        {
            let cached = self
                .revision_cache
                .read()
                .unwrap_or_else(|e| e.into_inner());
            if cached.position == position && (position == 0 || !cached.by_id.is_empty()) {
                return Arc::clone(&cached);
            }
        }
        let index = Arc::new(RevisionIndex::build(&timeline));
        drop(timeline);
        *self
            .revision_cache
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Arc::clone(&index);
        index
    }
}
