//! A small in-memory registry and terse constructors for commands.
//!
//! `given(&[...])` publishes each command through `decide` and records the
//! resulting events with increasing positions, ids and record times, as the
//! registry would. `Registry::when` decides one more command without recording it.
#![allow(dead_code, clippy::unwrap_used)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use domain::command::{PublishRevision, WholeStandard};
use domain::event::{Event, NewDomainEvent, RecordedEvent};
use domain::state::{Snapshot, fold, in_force};
use domain::{CommandContext, DomainError, decide};
pub use fixtures::*;
use uuid::Uuid;

/// The default "today" of the registry: 2021 and 2023 revisions are in force, 2026 ones are not.
pub fn today() -> NaiveDate {
    d("2025-06-01")
}

pub fn context(today: NaiveDate) -> CommandContext {
    CommandContext {
        actor: "editor:test".to_owned(),
        today,
    }
}

/// The tree of the national 2021-like edition: aspects a1, a2; categories
/// c1, c2 (in a1) and c3 (in a2); items i1 (c1 #1), i2 (c1 #2), i3 (c2 #1), i4 (c3 #1).
pub fn standard_2021() -> WholeStandard {
    WholeStandard {
        aspects: vec![aspect("a1", 1), aspect("a2", 2)],
        categories: vec![
            category("c1", "a1", 1),
            category("c2", "a1", 2),
            category("c3", "a2", 3),
        ],
        items: vec![
            item("i1", "c1", 1),
            item("i2", "c1", 2),
            item("i3", "c2", 1),
            item("i4", "c3", 1),
        ],
        local_items: Vec::new(),
    }
}

/// The founding national revision `n2021`, effective 2021-04-01.
pub fn national_2021() -> PublishRevision {
    comprehensive("n2021", "2021-04-01", standard_2021())
}

/// An in-memory stream of one standard, recorded as the registry would.
#[derive(Debug, Clone)]
pub struct Registry {
    pub events: Vec<RecordedEvent>,
    pub today: NaiveDate,
    clock: DateTime<Utc>,
}

impl Default for Registry {
    fn default() -> Self {
        Self {
            events: Vec::new(),
            today: today(),
            clock: Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
        }
    }
}

impl Registry {
    /// Decides `command` without recording it.
    pub fn when(&self, command: &PublishRevision) -> Result<Vec<NewDomainEvent>, DomainError> {
        decide(&self.events, command, &context(self.today))
    }

    /// Decides `command` and records its events one day after the previous command's.
    pub fn record(&mut self, command: &PublishRevision) -> Result<&[RecordedEvent], DomainError> {
        let new = self.when(command)?;
        self.clock += Duration::days(1);
        let start = self.events.len();
        for event in new {
            let position = self.events.len() as u64 + 1;
            self.events.push(RecordedEvent {
                event_id: Uuid::from_u128(u128::from(position)),
                global_position: position,
                recorded_at: self.clock,
                context: event.context,
                event: event.event,
            });
        }
        Ok(&self.events[start..])
    }

    /// When the events of `revision` were recorded.
    pub fn recorded_at(&self, revision: &str) -> DateTime<Utc> {
        self.events
            .iter()
            .find(|e| e.context.revision.as_str() == revision)
            .map(|e| e.recorded_at)
            .unwrap()
    }

    /// The state at (`valid_at`, `known_at`); panics if the history does not fold.
    pub fn state(&self, valid_at: Option<&str>, known_at: Option<DateTime<Utc>>) -> Snapshot {
        fold(&in_force(&self.events, valid_at.map(d), known_at))
            .unwrap_or_else(|(index, violation)| panic!("fold fails at {index}: {violation}"))
    }

    /// The recorded events of `revision`, in log order.
    pub fn events_of(&self, revision: &str) -> Vec<&RecordedEvent> {
        self.events
            .iter()
            .filter(|e| e.context.revision.as_str() == revision)
            .collect()
    }
}

/// A registry after every command of `commands` was accepted, in order.
pub fn given(commands: &[PublishRevision]) -> Registry {
    let mut registry = Registry::default();
    for command in commands {
        if let Err(error) = registry.record(command) {
            panic!(
                "given: {} was rejected: {error}",
                command.revision.id.as_str()
            );
        }
    }
    registry
}

/// The `type` names of decided events, in order.
pub fn types(events: &[NewDomainEvent]) -> Vec<&'static str> {
    events.iter().map(|e| e.event.type_name()).collect()
}

/// Payload of the single event of a type among `events`; panics unless there is exactly one.
pub fn only<'e>(events: &'e [NewDomainEvent], type_name: &str) -> &'e Event {
    let found: Vec<&Event> = events
        .iter()
        .map(|e| &e.event)
        .filter(|e| e.type_name() == type_name)
        .collect();
    assert_eq!(found.len(), 1, "expected one {type_name}, got {found:?}");
    found[0]
}
