//! The stored form of events: the contract between stdreg versions.
//!
//! Each event is stored as JSON with its `type` and `schema_version` beside
//! the payload and the context every event carries:
//!
//! ```json
//! {"type":"item_amended","schema_version":2,"revision":"cn-2023",
//!  "effective_from":"2023-08-09","actor":"import","reason":"…","payload":{…}}
//! ```
//!
//! Old schema versions are upcast on read and never rewritten. Golden files
//! in `tests/golden/` pin the stored form of every event type.

use chrono::NaiveDate;
use domain::event::{Event, EventContext, NewDomainEvent, RecordedEvent};
use domain::ids::{Jurisdiction, RevisionId};
use domain::text::Text;
use event_store::{NewEvent, StoredEvent, StreamId};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// Current schema version of every event type.
///
/// Version 1 stored an item's lead units as one text, as the official table
/// prints it (`"lead_unit": "退役军人部、人力资源社会保障部。"`); version 2 stores the list.
pub const SCHEMA_VERSION: u32 = 2;

const STREAM_PREFIX: &str = "standard-";

mod fast;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The stored bytes are not an event envelope this version understands:
    /// the store is damaged.
    #[error(
        "event at position {position} ({event_type} v{schema_version}) cannot be decoded: {message}; the event store is damaged: restore it from a backup or a mirror (`stdreg verify` checks the whole log)"
    )]
    Undecodable {
        position: u64,
        event_type: String,
        schema_version: u32,
        message: String,
    },
    /// Written by a newer stdreg; upgrade before reading this log.
    #[error(
        "event at position {position} has schema version {schema_version}, newer than this stdreg understands ({SCHEMA_VERSION}); upgrade stdreg"
    )]
    FromTheFuture { position: u64, schema_version: u32 },
    /// A stream whose name is not `standard-<jurisdiction>`.
    #[error("stream '{0}' is not a standard's stream")]
    ForeignStream(String),
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    event_type: String,
    schema_version: u32,
    revision: RevisionId,
    effective_from: NaiveDate,
    actor: String,
    reason: String,
    payload: Value,
}

pub fn stream_for(jurisdiction: &Jurisdiction) -> StreamId {
    StreamId::new(format!("{STREAM_PREFIX}{jurisdiction}"))
}

pub fn jurisdiction_of(stream: &StreamId) -> Result<Jurisdiction, CodecError> {
    stream
        .as_str()
        .strip_prefix(STREAM_PREFIX)
        .and_then(|j| Jurisdiction::parse(j).ok())
        .ok_or_else(|| CodecError::ForeignStream(stream.to_string()))
}

/// The stored bytes of one event (deterministic: the same event gives the same bytes).
pub fn encode_data(context: &EventContext, event: &Event) -> Vec<u8> {
    let mut payload = match serde_json::to_value(event) {
        Ok(Value::Object(map)) => map,
        // Event serialises to an object by construction (internally tagged enum).
        _ => Map::new(),
    };
    payload.remove("type");
    let envelope = Envelope {
        event_type: event.type_name().to_owned(),
        schema_version: SCHEMA_VERSION,
        revision: context.revision.clone(),
        effective_from: context.effective_from,
        actor: context.actor.clone(),
        reason: context.reason.clone(),
        payload: Value::Object(payload),
    };
    serde_json::to_vec(&envelope).unwrap_or_default()
}

pub fn encode(event: &NewDomainEvent, event_id: Uuid) -> NewEvent {
    NewEvent {
        event_id,
        event_type: event.event.type_name().to_owned(),
        schema_version: SCHEMA_VERSION,
        data: encode_data(&event.context, &event.event),
    }
}

/// Decodes a stored event, upcasting old schema versions.
pub fn decode(stored: &StoredEvent) -> Result<(Jurisdiction, RecordedEvent), CodecError> {
    let jurisdiction = jurisdiction_of(&stored.stream)?;
    if stored.schema_version == SCHEMA_VERSION
        && let Some((context, event)) = fast::decode(&stored.data, &stored.event_type)
    {
        return Ok((
            jurisdiction,
            RecordedEvent {
                event_id: stored.event_id,
                global_position: stored.global_position,
                recorded_at: stored.recorded_at,
                context,
                event,
            },
        ));
    }
    decode_general(stored, jurisdiction)
}

/// Decodes any stored form this version understands, or names what is wrong with it.
fn decode_general(
    stored: &StoredEvent,
    jurisdiction: Jurisdiction,
) -> Result<(Jurisdiction, RecordedEvent), CodecError> {
    let undecodable = |message: String| CodecError::Undecodable {
        position: stored.global_position,
        event_type: stored.event_type.clone(),
        schema_version: stored.schema_version,
        message,
    };
    let envelope: StoredEnvelope =
        serde_json::from_slice(&stored.data).map_err(|e| undecodable(e.to_string()))?;
    if envelope.schema_version > SCHEMA_VERSION {
        return Err(CodecError::FromTheFuture {
            position: stored.global_position,
            schema_version: envelope.schema_version,
        });
    }
    if envelope.event_type != stored.event_type || envelope.schema_version != stored.schema_version
    {
        return Err(undecodable(
            "the envelope's type or schema version disagrees with the stored record".into(),
        ));
    }
    let event = if envelope.schema_version == SCHEMA_VERSION {
        decode_current(&envelope.event_type, envelope.payload.get())
    } else {
        decode_old(
            &envelope.event_type,
            envelope.schema_version,
            envelope.payload.get(),
        )
    }
    .map_err(undecodable)?;
    Ok((
        jurisdiction,
        RecordedEvent {
            event_id: stored.event_id,
            global_position: stored.global_position,
            recorded_at: stored.recorded_at,
            context: EventContext {
                revision: envelope.revision,
                effective_from: envelope.effective_from,
                actor: envelope.actor.into_owned(),
                reason: envelope.reason.into_owned(),
            },
            event,
        },
    ))
}

/// The envelope as read: the payload stays raw text until its type is known.
#[derive(Deserialize)]
struct StoredEnvelope<'a> {
    #[serde(rename = "type")]
    event_type: String,
    schema_version: u32,
    revision: RevisionId,
    effective_from: NaiveDate,
    #[serde(borrow)]
    actor: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    reason: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    payload: &'a serde_json::value::RawValue,
}

/// The current version parses once: the type tag is spliced into the payload
/// text, which is cheaper than building a JSON tree and converting it.
fn decode_current(event_type: &str, payload: &str) -> Result<Event, String> {
    let body = payload
        .trim_start()
        .strip_prefix('{')
        .ok_or("payload is not an object")?;
    let tag = serde_json::to_string(event_type).map_err(|e| e.to_string())?;
    let separator = if body.trim_start().starts_with('}') {
        ""
    } else {
        ","
    };
    let text = format!("{{\"type\":{tag}{separator}{body}");
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

/// Older versions go through a JSON tree so that upcasters can reshape it.
fn decode_old(event_type: &str, schema_version: u32, payload: &str) -> Result<Event, String> {
    let mut payload = match serde_json::from_str(payload).map_err(|e| e.to_string())? {
        Value::Object(map) => map,
        _ => return Err("payload is not an object".into()),
    };
    upcast(event_type, schema_version, &mut payload);
    payload.insert("type".into(), Value::String(event_type.to_owned()));
    serde_json::from_value(Value::Object(payload)).map_err(|e| e.to_string())
}

/// Brings a payload of an older schema version to the current one, in place.
fn upcast(event_type: &str, schema_version: u32, payload: &mut Map<String, Value>) {
    if schema_version < 2 {
        v1_to_v2(event_type, payload);
    }
}

/// v1 → v2: lead units from one printed text to a list.
fn v1_to_v2(event_type: &str, payload: &mut Map<String, Value>) {
    match event_type {
        "item_introduced" | "local_item_added" => {
            if let Some(Value::Object(fields)) = payload
                .get_mut("item")
                .and_then(|item| item.get_mut("fields"))
                && let Some(text) = fields.remove("lead_unit")
            {
                fields.insert("lead_units".into(), lead_units_from_text(&text));
            }
        }
        "item_amended" => {
            if let Some(Value::Array(changes)) = payload.get_mut("changes") {
                for change in changes.iter_mut().filter_map(Value::as_object_mut) {
                    if change.get("field").and_then(Value::as_str) == Some("lead_unit") {
                        change.insert("field".into(), Value::String("lead_units".into()));
                        for side in ["before", "after"] {
                            if let Some(text) = change.remove(side) {
                                change.insert(side.into(), lead_units_from_text(&text));
                            }
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

fn lead_units_from_text(text: &Value) -> Value {
    match text.as_str() {
        Some(text) => Value::Array(
            split_units(text)
                .into_iter()
                .map(|unit| Value::String(unit.into()))
                .collect(),
        ),
        None => Value::Null,
    }
}

/// Splits a printed list of units ("退役军人部、人力资源社会保障部。") into names.
pub fn split_units(text: &str) -> Vec<Text> {
    text.trim()
        .trim_end_matches(['。', '.'])
        .split(['、', ',', ';', '，', '；'])
        .map(str::trim)
        .filter(|unit| !unit.is_empty())
        .map(Text::from)
        .collect()
}
