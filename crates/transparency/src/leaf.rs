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
///
/// Written member by member rather than through `CanonicalLeaf`: a rebuild
/// hashes every event of the log, and the base64 data (most of the bytes)
/// needs no escaping. A test checks it against the serde form byte for byte.
pub fn leaf_bytes(event: &StoredEvent) -> Vec<u8> {
    let mut out = Vec::with_capacity(event.data.len() * 4 / 3 + 256);
    out.extend_from_slice(b"{\"data\":\"");
    // Vectorised: every event of a log is encoded so while the registry starts.
    base64_simd::STANDARD.encode_append(&event.data, &mut out);
    out.extend_from_slice(b"\",\"event_id\":\"");
    out.extend_from_slice(
        event
            .event_id
            .hyphenated()
            .encode_lower(&mut Uuid::encode_buffer())
            .as_bytes(),
    );
    out.extend_from_slice(b"\",\"event_type\":");
    json_string(&mut out, &event.event_type);
    out.extend_from_slice(b",\"global_position\":");
    out.extend_from_slice(event.global_position.to_string().as_bytes());
    out.extend_from_slice(b",\"recorded_at\":\"");
    recorded_at(&mut out, &event.recorded_at);
    out.extend_from_slice(b"\",\"schema_version\":");
    out.extend_from_slice(event.schema_version.to_string().as_bytes());
    out.extend_from_slice(b",\"stream\":");
    json_string(&mut out, event.stream.as_str());
    out.extend_from_slice(b",\"stream_position\":");
    out.extend_from_slice(event.stream_position.to_string().as_bytes());
    out.push(b'}');
    out
}

fn json_string(out: &mut Vec<u8>, text: &str) {
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

/// `RECORDED_AT_FORMAT`, by hand for the years and instants it covers
/// without surprises, by chrono for anything else.
fn recorded_at(out: &mut Vec<u8>, at: &DateTime<Utc>) {
    use chrono::{Datelike, Timelike};
    let nanos = at.nanosecond();
    if !(0..=9999).contains(&at.year()) || nanos >= 1_000_000_000 {
        out.extend_from_slice(at.format(RECORDED_AT_FORMAT).to_string().as_bytes());
        return;
    }
    let text = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        nanos / 1_000
    );
    out.extend_from_slice(text.as_bytes());
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
        sealed: None,
    };
    if leaf_bytes(&event) != bytes {
        return Err(malformed(
            "not in canonical form (member order, spacing, escapes or time format differ)".into(),
        ));
    }
    Ok(event)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use event_store::{StoredEvent, StreamId};
    use uuid::Uuid;

    use super::{CanonicalLeaf, RECORDED_AT_FORMAT, STANDARD, leaf_bytes};
    use base64::Engine;

    /// The leaf as serde writes `CanonicalLeaf`: the definition `leaf_bytes` must match.
    fn reference(event: &StoredEvent) -> Vec<u8> {
        serde_json::to_vec(&CanonicalLeaf {
            data: STANDARD.encode(&event.data),
            event_id: event.event_id,
            event_type: event.event_type.clone(),
            global_position: event.global_position,
            recorded_at: event.recorded_at.format(RECORDED_AT_FORMAT).to_string(),
            schema_version: event.schema_version,
            stream: event.stream.as_str().to_owned(),
            stream_position: event.stream_position,
        })
        .unwrap_or_default()
    }

    fn at(year: i32, second: u32, nanos: u32) -> DateTime<Utc> {
        let time = Utc
            .with_ymd_and_hms(year, 3, 30, 9, 5, second)
            .single()
            .and_then(|t| chrono::Timelike::with_nanosecond(&t, nanos));
        assert!(time.is_some(), "{year} {second} {nanos}");
        time.unwrap_or_default()
    }

    #[test]
    fn leaf_bytes_match_the_serde_form_byte_for_byte() {
        let times = [
            at(2021, 7, 0),
            at(2026, 7, 1),
            at(2026, 7, 999),
            at(2026, 7, 1_000),
            at(2026, 7, 123_456_789),
            at(1970, 0, 999_999_999),
            at(9999, 59, 500_000_000),
            at(0, 7, 0),
            at(10_000, 7, 0),
            at(-1, 7, 0),
            // A leap second.
            at(2016, 59, 1_500_000_000),
        ];
        let texts = [
            "item_amended",
            "",
            "quote \" backslash \\ slash /",
            "control \u{1} tab \t newline \n del \u{7f}",
            "中文 standard-510100 🙂",
        ];
        let mut checked = 0;
        for (i, recorded_at) in times.into_iter().enumerate() {
            for (j, text) in texts.iter().enumerate() {
                let data: Vec<u8> = (0..(i * 7 + j) as u8).map(|b| b.wrapping_mul(37)).collect();
                let event = StoredEvent {
                    event_id: Uuid::from_u128(
                        0x0123_4567_89ab_cdef_0123_4567_89ab_cdef ^ i as u128,
                    ),
                    stream: StreamId::new(format!("standard-{text}")),
                    stream_position: (j as u64) << 40,
                    global_position: u64::MAX - i as u64,
                    event_type: (*text).to_owned(),
                    schema_version: u32::MAX - j as u32,
                    data,
                    recorded_at,
                    sealed: None,
                };
                assert_eq!(
                    String::from_utf8_lossy(&leaf_bytes(&event)),
                    String::from_utf8_lossy(&reference(&event)),
                    "time {recorded_at:?}, text {text:?}"
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 55);
    }

    #[test]
    fn payloads_of_every_length_encode_as_the_reference_does() {
        // The vectorised encoder takes other paths by length: every remainder,
        // block sizes and their neighbours, and a large payload.
        let lengths = (0..=600).chain([1023, 1024, 1025, 4095, 4096, 4097, 100_003]);
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for length in lengths {
            let data: Vec<u8> = (0..length)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state >> 56) as u8
                })
                .collect();
            let event = StoredEvent {
                event_id: Uuid::from_u128(length as u128),
                stream: StreamId::new("standard-CN".to_owned()),
                stream_position: 0,
                global_position: 1,
                event_type: "item_amended".to_owned(),
                schema_version: 3,
                data,
                recorded_at: at(2026, 7, 0),
                sealed: None,
            };
            assert!(
                leaf_bytes(&event) == reference(&event),
                "payload of {length} bytes"
            );
        }
    }
}
