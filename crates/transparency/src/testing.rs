//! What the unit tests of this crate build their logs from.

use chrono::{TimeZone, Utc};
use event_store::{StoredEvent, StreamId};
use uuid::Uuid;

/// The stored event at `position` of a one-stream log, one second apart.
pub(crate) fn event(position: u64) -> StoredEvent {
    StoredEvent {
        event_id: Uuid::from_u128(u128::from(position)),
        stream: StreamId::new("standard-CN"),
        stream_position: position - 1,
        global_position: position,
        event_type: "Registered".to_owned(),
        schema_version: 1,
        data: br#"{"reason":"x"}"#.to_vec(),
        recorded_at: Utc
            .timestamp_opt(1_700_000_000 + position as i64, 0)
            .single()
            .expect("a valid instant"),
        sealed: None,
    }
}
