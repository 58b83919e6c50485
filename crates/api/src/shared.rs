//! What every resolver shares: the registry and a small index of revisions.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use domain::event::{Event, RecordedEvent};
use domain::ids::{Jurisdiction, RevisionId};
use domain::model::{RevisionInfo, RevisionKind};
use registry::Registry;
use registry::verifiable::Checkpoints;
use timeline::Timeline;

use crate::error::ApiError;

/// A revision with what the log says about its recording.
#[derive(Debug)]
pub(crate) struct RevisionMeta {
    pub info: Arc<RevisionInfo>,
    pub recorded_at: DateTime<Utc>,
    pub actor: String,
    /// As the registry stands now.
    pub withdrawn_by: Option<RevisionId>,
}

/// Every revision by id, as of one position of the log.
#[derive(Debug, Default)]
pub(crate) struct RevisionIndex {
    position: u64,
    pub by_id: HashMap<RevisionId, Arc<RevisionMeta>>,
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub registry: Arc<Registry>,
    pub checkpoints: Option<Arc<Checkpoints>>,
    /// Rebuilt when the log has moved on; most requests reuse it.
    revisions: RwLock<Arc<RevisionIndex>>,
}

impl Shared {
    pub fn new(registry: Arc<Registry>, checkpoints: Option<Arc<Checkpoints>>) -> Self {
        Self {
            registry,
            checkpoints,
            revisions: RwLock::new(Arc::new(RevisionIndex::default())),
        }
    }

    pub fn revision_index(&self) -> Arc<RevisionIndex> {
        let timeline = self.registry.timeline();
        let position = timeline.last_global_position();
        {
            let cached = self.revisions.read().unwrap_or_else(|e| e.into_inner());
            if cached.position == position && (position == 0 || !cached.by_id.is_empty()) {
                return Arc::clone(&cached);
            }
        }
        let index = Arc::new(build_index(&timeline, position));
        drop(timeline);
        *self.revisions.write().unwrap_or_else(|e| e.into_inner()) = Arc::clone(&index);
        index
    }

    pub fn revision(&self, id: &RevisionId) -> Option<Arc<RevisionMeta>> {
        self.revision_index().by_id.get(id).cloned()
    }
}

fn build_index(timeline: &Timeline, position: u64) -> RevisionIndex {
    let mut by_id = HashMap::new();
    for standard in timeline.standards() {
        for record in standard.revisions(None) {
            by_id.insert(
                record.info.id.clone(),
                Arc::new(RevisionMeta {
                    info: Arc::new(record.info),
                    recorded_at: record.recorded_at,
                    actor: record.actor,
                    withdrawn_by: record.withdrawn_by,
                }),
            );
        }
    }
    RevisionIndex { position, by_id }
}

/// Which events of the global log a client asks for.
#[derive(Debug, Clone, Default)]
pub(crate) struct EventSelection {
    pub jurisdiction: Option<Jurisdiction>,
    pub kinds: Option<Vec<RevisionKind>>,
    pub revision: Option<RevisionId>,
    /// Inclusive.
    pub recorded_from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub recorded_before: Option<DateTime<Utc>>,
}

impl EventSelection {
    fn accepts(&self, event: &RecordedEvent, index: &RevisionIndex) -> bool {
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
                _ => index
                    .by_id
                    .get(&event.context.revision)
                    .map(|m| m.info.kind),
            };
            if !kind.is_some_and(|k| kinds.contains(&k)) {
                return false;
            }
        }
        true
    }
}

/// Up to `limit` events after global position `after` that the selection accepts, in log order.
pub(crate) fn events_after(
    timeline: &Timeline,
    index: &RevisionIndex,
    selection: &EventSelection,
    after: u64,
    limit: usize,
) -> Vec<(Jurisdiction, RecordedEvent)> {
    let mut found: Vec<(Jurisdiction, RecordedEvent)> = Vec::new();
    for standard in timeline.standards() {
        if selection
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
                .filter(|e| selection.accepts(e, index))
                .take(limit)
                .map(|e| (standard.jurisdiction().clone(), e.clone())),
        );
    }
    found.sort_by_key(|(_, e)| e.global_position);
    found.truncate(limit);
    found
}

pub(crate) fn parse_cursor(text: &str) -> Result<u64, ApiError> {
    text.trim().parse::<u64>().map_err(|_| {
        ApiError::BadInput(format!(
            "'{text}' is not a cursor: pass a cursor from `edges.cursor` or `pageInfo.endCursor`"
        ))
    })
}

pub(crate) fn cursor(position: u64) -> String {
    position.to_string()
}
