//! What an import of stored events must satisfy, checked in one place for
//! every backend: the batch continues the log exactly, so the copy keeps
//! every event's id, positions and record time.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{StoreError, StoreError::InvalidAppend, StoredEvent, StreamId};

/// The end of the log an import continues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogEnd {
    /// Global position of the last event (0 for an empty log).
    pub head: u64,
    /// Record time of the last event.
    pub last_recorded_at: Option<DateTime<Utc>>,
}

/// The streams a batch writes to, each once, in order of first appearance:
/// the versions [`check_import`] asks for, so a backend can read them first.
pub fn import_streams(events: &[StoredEvent]) -> Vec<&StreamId> {
    let mut seen = HashSet::new();
    events
        .iter()
        .map(|e| &e.stream)
        .filter(|s| seen.insert(*s))
        .collect()
}

/// Refuses, with [`StoreError::InvalidAppend`] naming the first offending
/// event, a batch that does not continue the log ending at `end` exactly:
/// global positions `head + 1, head + 2, …`; each stream continuing at its
/// version (`stream_version`, before the import); record times never before
/// the previous event's and whole microseconds (what every backend stores);
/// event ids new to the log (`known`) and to the batch. A backend whose
/// unique index refuses known ids on insert may pass `|_| false`.
pub fn check_import(
    end: LogEnd,
    events: &[StoredEvent],
    stream_version: impl Fn(&StreamId) -> u64,
    known: impl Fn(&Uuid) -> bool,
) -> Result<(), StoreError> {
    let mut next_in_stream: HashMap<&StreamId, u64> = HashMap::new();
    let mut batch_ids = HashSet::with_capacity(events.len());
    let mut last_recorded = end.last_recorded_at;
    let mut next_global = end.head;
    for event in events {
        let id = event.event_id;
        next_global = next_global.checked_add(1).ok_or_else(|| {
            InvalidAppend("the log cannot grow beyond u64::MAX positions".to_owned())
        })?;
        if event.global_position != next_global {
            return Err(InvalidAppend(format!(
                "imported event {id} has global position {}, but the log continues at {next_global}",
                event.global_position
            )));
        }
        let next = next_in_stream
            .entry(&event.stream)
            .or_insert_with(|| stream_version(&event.stream));
        if event.stream_position != *next {
            return Err(InvalidAppend(format!(
                "imported event {id} has position {} in stream {}, but the stream continues at {next}",
                event.stream_position, event.stream
            )));
        }
        if last_recorded.is_some_and(|last| event.recorded_at < last) {
            return Err(InvalidAppend(format!(
                "imported event {id} was recorded at {}, before the event preceding it",
                event.recorded_at
            )));
        }
        if event.recorded_at.timestamp_subsec_nanos() % 1_000 != 0 {
            return Err(InvalidAppend(format!(
                "imported event {id} has a record time finer than microseconds, which would not survive storing"
            )));
        }
        if known(&id) || !batch_ids.insert(id) {
            return Err(InvalidAppend(format!(
                "imported event {id} has an event id already in the log"
            )));
        }
        *next += 1;
        last_recorded = Some(event.recorded_at);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(global_position: u64, stream: &str, stream_position: u64) -> StoredEvent {
        StoredEvent {
            event_id: Uuid::from_u128(u128::from(global_position)),
            stream: StreamId::new(stream),
            stream_position,
            global_position,
            event_type: "Registered".to_owned(),
            schema_version: 1,
            data: b"{}".to_vec(),
            recorded_at: Utc
                .timestamp_opt(1_700_000_000 + global_position as i64, 0)
                .single()
                .expect("a valid instant"),
            sealed: None,
        }
    }

    /// A log of 2 events: stream a at version 1, stream b at version 1.
    fn end() -> LogEnd {
        LogEnd {
            head: 2,
            last_recorded_at: Some(at(2, "b", 0).recorded_at),
        }
    }

    fn check(events: &[StoredEvent]) -> Result<(), String> {
        let versions = |s: &StreamId| match s.as_str() {
            "a" | "b" => 1,
            _ => 0,
        };
        let known = |id: &Uuid| *id == Uuid::from_u128(1) || *id == Uuid::from_u128(2);
        check_import(end(), events, versions, known).map_err(|e| e.to_string())
    }

    #[test]
    fn a_batch_that_continues_the_log_is_accepted() {
        let batch = [at(3, "a", 1), at(4, "c", 0), at(5, "a", 2), at(6, "b", 1)];
        assert_eq!(check(&batch), Ok(()));
        assert_eq!(check(&[]), Ok(()));
        let streams: Vec<&str> = import_streams(&batch).iter().map(|s| s.as_str()).collect();
        assert_eq!(streams, ["a", "c", "b"]);
    }

    #[test]
    fn each_break_is_refused_naming_the_event() {
        let finer = StoredEvent {
            recorded_at: at(3, "a", 1).recorded_at + chrono::Duration::nanoseconds(1),
            ..at(3, "a", 1)
        };
        let cases: Vec<(&str, Vec<StoredEvent>, &str)> = vec![
            (
                "gap before the batch",
                vec![at(4, "a", 1)],
                "global position 4, but the log continues at 3",
            ),
            (
                "repeats the head",
                vec![at(2, "a", 1)],
                "global position 2, but the log continues at 3",
            ),
            (
                "gap inside the batch",
                vec![at(3, "a", 1), at(5, "a", 2)],
                "global position 5, but the log continues at 4",
            ),
            (
                "stream skips a position",
                vec![at(3, "a", 2)],
                "position 2 in stream a, but the stream continues at 1",
            ),
            (
                "a new stream not starting at 0",
                vec![at(3, "c", 1)],
                "position 1 in stream c, but the stream continues at 0",
            ),
            (
                "record time goes back",
                vec![StoredEvent {
                    recorded_at: at(1, "a", 0).recorded_at,
                    ..at(3, "a", 1)
                }],
                "before the event preceding it",
            ),
            ("record time finer than microseconds", vec![finer], "finer"),
            (
                "id already in the log",
                vec![StoredEvent {
                    event_id: Uuid::from_u128(1),
                    ..at(3, "a", 1)
                }],
                "already in the log",
            ),
            (
                "id twice in the batch",
                vec![
                    at(3, "a", 1),
                    StoredEvent {
                        event_id: Uuid::from_u128(3),
                        ..at(4, "a", 2)
                    },
                ],
                "already in the log",
            ),
        ];
        for (name, batch, needle) in cases {
            match check(&batch) {
                Err(message) => assert!(message.contains(needle), "{name}: {message}"),
                Ok(()) => panic!("{name}: accepted"),
            }
        }
    }
}
