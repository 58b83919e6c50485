//! A small in-memory log that records what `decide` accepts.
#![allow(dead_code, clippy::unwrap_used)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use domain::command::PublishRevision;
use domain::event::RecordedEvent;
use domain::{CommandContext, DomainError, decide};
pub use fixtures::*;
use uuid::Uuid;

/// The events of one stream as the store would hand them back: every accepted
/// command is one append, with one record time and consecutive global positions.
#[derive(Debug, Default)]
pub struct Log {
    pub events: Vec<RecordedEvent>,
    /// The events of each append, in log order.
    pub appends: Vec<Vec<RecordedEvent>>,
}

impl Log {
    pub fn new() -> Self {
        Self::default()
    }

    /// Decides `command` against the log and, if accepted, records it at `recorded_at`.
    pub fn publish(
        &mut self,
        command: &PublishRevision,
        actor: &str,
        today: NaiveDate,
        recorded_at: DateTime<Utc>,
    ) -> Result<&[RecordedEvent], DomainError> {
        if let Some(last) = self.events.last() {
            assert!(recorded_at > last.recorded_at, "record times must grow");
        }
        let context = CommandContext {
            actor: actor.to_owned(),
            today,
        };
        let decided = decide(&self.events, command, &context)?;
        let first = self.events.last().map_or(1, |e| e.global_position + 1);
        let batch: Vec<RecordedEvent> = decided
            .into_iter()
            .enumerate()
            .map(|(i, e)| {
                let position = first + i as u64;
                RecordedEvent {
                    event_id: Uuid::from_u128(u128::from(position)),
                    global_position: position,
                    recorded_at,
                    context: e.context,
                    event: e.event,
                }
            })
            .collect();
        self.events.extend(batch.iter().cloned());
        self.appends.push(batch);
        Ok(self.appends.last().unwrap())
    }

    /// Record time of the `n`-th append (0-based) when appends are spaced one hour apart.
    pub fn hourly(n: usize) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 3, 1, 9, 0, 0).unwrap() + Duration::hours(n as i64)
    }
}
