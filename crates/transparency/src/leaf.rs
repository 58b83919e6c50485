//! The canonical bytes of one stored event: what a leaf of the tree hashes,
//! and, byte for byte, one line of an export.
//!
//! A JSON object with exactly these members, in this (lexicographic) order,
//! no whitespace, strings escaped as RFC 8785 (JCS) does, integers in decimal:
//!
//! | member            | value                                                        |
//! |-------------------|--------------------------------------------------------------|
//! | `data`            | the stored event bytes, standard base64 with padding         |
//! | `event_id`        | the UUID, lowercase, hyphenated                              |
//! | `event_type`      | string                                                       |
//! | `global_position` | integer, 1-based                                             |
//! | `recorded_at`     | record time, UTC, RFC 3339 with exactly six fractional digits and `Z` |
//! | `schema_version`  | integer                                                      |
//! | `stream`          | string                                                       |
//! | `stream_position` | integer, 0-based                                             |
//!
//! The data is base64 rather than embedded JSON so that the leaf covers the
//! stored bytes exactly (whitespace and key order included) whatever they are.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, NaiveDateTime, Utc};
use event_store::{StoredEvent, StreamId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::TransparencyError;
use crate::merkle::{Hash, leaf_hash};

const RECORDED_AT_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

/// Member order is the canonical order: serde writes fields as declared.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CanonicalLeaf {
    data: String,
    event_id: Uuid,
    event_type: String,
    global_position: u64,
    recorded_at: String,
    schema_version: u32,
    stream: String,
    stream_position: u64,
}

/// The canonical bytes of a stored event (see the module documentation).
pub fn leaf_bytes(event: &StoredEvent) -> Vec<u8> {
    let leaf = CanonicalLeaf {
        data: STANDARD.encode(&event.data),
        event_id: event.event_id,
        event_type: event.event_type.clone(),
        global_position: event.global_position,
        recorded_at: event.recorded_at.format(RECORDED_AT_FORMAT).to_string(),
        schema_version: event.schema_version,
        stream: event.stream.as_str().to_owned(),
        stream_position: event.stream_position,
    };
    // Strings, integers and a UUID always serialise.
    serde_json::to_vec(&leaf).unwrap_or_default()
}

/// The leaf hash of a stored event: `SHA-256(0x00 ‖ leaf_bytes(event))`.
pub fn event_leaf_hash(event: &StoredEvent) -> Hash {
    leaf_hash(&leaf_bytes(event))
}

/// Reads canonical leaf bytes back into the stored event. Bytes that parse
/// but are not in canonical form are refused, so that what was hashed and
/// what was read are the same event.
pub fn parse_leaf(bytes: &[u8]) -> Result<StoredEvent, TransparencyError> {
    let malformed = |reason: String| TransparencyError::MalformedLeaf(reason);
    let leaf: CanonicalLeaf =
        serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
    let data = STANDARD
        .decode(&leaf.data)
        .map_err(|e| malformed(format!("data is not base64: {e}")))?;
    let recorded_at = NaiveDateTime::parse_from_str(&leaf.recorded_at, RECORDED_AT_FORMAT)
        .map_err(|e| malformed(format!("recorded_at '{}': {e}", leaf.recorded_at)))?;
    let event = StoredEvent {
        event_id: leaf.event_id,
        stream: StreamId::new(leaf.stream),
        stream_position: leaf.stream_position,
        global_position: leaf.global_position,
        event_type: leaf.event_type,
        schema_version: leaf.schema_version,
        data,
        recorded_at: DateTime::<Utc>::from_naive_utc_and_offset(recorded_at, Utc),
    };
    if leaf_bytes(&event) != bytes {
        return Err(malformed(
            "not in canonical form (member order, spacing, escapes or time format differ)".into(),
        ));
    }
    Ok(event)
}
