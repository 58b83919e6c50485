//! The stored form of events: the contract between stdreg versions.
//!
//! Each event is stored as JSON with its `type` and `schema_version` beside
//! the payload and the context every event carries:
//!
//! ```json
//! {"type":"item_amended","schema_version":3,"revision":"cn-2023",
//!  "effective_from":"2023-08-09","actor_commitment":"5f0c…","reason":"…","payload":{…}}
//! ```
//!
//! Who recorded an event is not in these bytes, which every copy of the log
//! and its transparency leaf carry, but in the event's *sealed bytes*
//! (`{"actor":"…","salt":"<base64>"}`), stored with it outside the leaf. The
//! envelope commits to them: `actor_commitment` is the lowercase hex
//! SHA-256 of `stdreg-actor-v1\n ‖ salt (16 bytes) ‖ actor (UTF-8)`, with a
//! fresh random salt per event, so that equal actors cannot be linked across
//! events and a guess of the actor cannot be checked without the salt. A copy
//! without the sealed bytes (a public mirror or export) decodes every event
//! with the actor unknown (an empty `actor` in [`EventContext`]).
//!
//! Old schema versions are upcast on read and never rewritten (versions 1 and
//! 2 carry `"actor"` in the clear, and keep it). Golden files in
//! `tests/golden/` pin the stored form of every event type.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::NaiveDate;
use domain::event::{Event, EventContext, NewDomainEvent, RecordedEvent};
use domain::ids::{Jurisdiction, RevisionId};
use domain::text::Text;
use event_store::{NewEvent, StoredEvent, StreamId};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Current schema version of every event type.
///
/// Version 1 stored an item's lead units as one text, as the official table
/// prints it (`"lead_unit": "退役军人部、人力资源社会保障部。"`); version 2 stores the list.
/// Version 3 replaces the actor in the clear by `actor_commitment`, the
/// actor and its salt moving to the event's sealed bytes.
pub const SCHEMA_VERSION: u32 = 3;

/// The first schema version whose envelope commits to the actor instead of naming it.
const COMMITTED_ACTOR_SINCE: u32 = 3;

/// Bytes of the random salt of an actor commitment.
pub const SALT_BYTES: usize = 16;

/// The salt of one event's actor commitment.
pub type Salt = [u8; SALT_BYTES];

/// Separates actor commitments from any other SHA-256 use; the salt's fixed
/// length makes the encoding unambiguous without a length prefix.
const ACTOR_DOMAIN: &[u8] = b"stdreg-actor-v1\n";

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
    /// The system gave no randomness for an actor commitment's salt.
    #[error("no randomness for the salt of an event's actor commitment: {0}")]
    NoRandomness(String),
}

#[derive(Serialize)]
struct Envelope<'a> {
    #[serde(rename = "type")]
    event_type: &'a str,
    schema_version: u32,
    revision: &'a RevisionId,
    effective_from: NaiveDate,
    actor_commitment: String,
    reason: &'a str,
    payload: Value,
}

/// The sealed bytes of an event: who recorded it, and the salt of the commitment.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sealed<'a> {
    #[serde(borrow)]
    actor: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    salt: std::borrow::Cow<'a, str>,
}

/// SHA-256(`stdreg-actor-v1\n` ‖ salt ‖ actor).
fn commitment_digest(salt: &Salt, actor: &str) -> [u8; 32] {
    Sha256::new()
        .chain_update(ACTOR_DOMAIN)
        .chain_update(salt)
        .chain_update(actor.as_bytes())
        .finalize()
        .into()
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The actor commitment of `actor` under `salt`: lowercase hex of
/// SHA-256(`stdreg-actor-v1\n` ‖ salt ‖ actor).
pub fn actor_commitment(salt: &Salt, actor: &str) -> String {
    commitment_digest(salt, actor)
        .iter()
        .flat_map(|b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]])
        .map(char::from)
        .collect()
}

/// Whether `commitment` (as stored: lowercase hex) is that of `actor` under
/// `salt`, without building the hex text: every event of a log is checked
/// so while the registry starts.
fn commits_to(commitment: &str, salt: &Salt, actor: &str) -> bool {
    let digest = commitment_digest(salt, actor);
    commitment.len() == 2 * digest.len()
        && commitment
            .as_bytes()
            .chunks_exact(2)
            .zip(digest)
            .all(|(pair, b)| pair == [HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]])
}

/// A fresh random salt.
pub fn fresh_salt() -> Result<Salt, CodecError> {
    let mut salt = [0; SALT_BYTES];
    getrandom::fill(&mut salt).map_err(|e| CodecError::NoRandomness(e.to_string()))?;
    Ok(salt)
}

/// The salt written as in sealed bytes and auditor files (standard base64).
pub fn salt_text(salt: &Salt) -> String {
    BASE64.encode(salt)
}

/// Reads a salt written by [`salt_text`].
pub fn parse_salt(text: &str) -> Result<Salt, String> {
    let bytes = BASE64
        .decode(text)
        .map_err(|e| format!("the salt is not base64: {e}"))?;
    Salt::try_from(bytes.as_slice())
        .map_err(|_| format!("the salt is {} bytes, not {SALT_BYTES}", bytes.len()))
}

/// The sealed bytes that name `actor` with `salt`.
pub fn sealed_bytes(actor: &str, salt: &Salt) -> Vec<u8> {
    let sealed = Sealed {
        actor: actor.into(),
        salt: salt_text(salt).into(),
    };
    serde_json::to_vec(&sealed).unwrap_or_default()
}

/// Who recorded an event and the salt of its commitment, as sealed bytes hold them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedActor {
    pub actor: String,
    pub salt: Salt,
}

/// Reads sealed bytes written by [`sealed_bytes`].
pub fn open_sealed(bytes: &[u8]) -> Result<SealedActor, String> {
    let sealed: Sealed<'_> = serde_json::from_slice(bytes)
        .map_err(|e| format!("the sealed bytes are not an actor and salt: {e}"))?;
    Ok(SealedActor {
        actor: sealed.actor.into_owned(),
        salt: parse_salt(&sealed.salt)?,
    })
}

/// One line of an auditor file (`stdreg export --actors-to`): who recorded
/// the event at a position, with the salt that opens its commitment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorEntry {
    pub global_position: u64,
    pub event_id: Uuid,
    pub actor: String,
    /// Standard base64 of the 16-byte salt.
    pub salt: String,
}

impl ActorEntry {
    /// The entry of a stored event with sealed bytes; `None` for one without.
    pub fn of(stored: &StoredEvent) -> Result<Option<Self>, CodecError> {
        let Some(bytes) = &stored.sealed else {
            return Ok(None);
        };
        let sealed = open_sealed(bytes).map_err(|message| CodecError::Undecodable {
            position: stored.global_position,
            event_type: stored.event_type.clone(),
            schema_version: stored.schema_version,
            message,
        })?;
        Ok(Some(Self {
            global_position: stored.global_position,
            event_id: stored.event_id,
            actor: sealed.actor,
            salt: salt_text(&sealed.salt),
        }))
    }

    /// Checks that this entry opens the commitment of `stored`, its event;
    /// says what does not fit otherwise.
    pub fn check(&self, stored: &StoredEvent) -> Result<(), String> {
        if self.event_id != stored.event_id {
            return Err(format!(
                "the entry names event {}, but the event there is {}",
                self.event_id, stored.event_id
            ));
        }
        let salt = parse_salt(&self.salt)?;
        let commitment = stored_commitment(stored)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| {
                format!(
                    "the event (schema version {}) has no actor commitment to check an actor against",
                    stored.schema_version
                )
            })?;
        if actor_commitment(&salt, &self.actor) != commitment {
            return Err(
                "the actor and salt listed do not match the actor commitment the event's leaf covers"
                    .to_owned(),
            );
        }
        Ok(())
    }
}

/// The error for `stored` that cannot be decoded, saying why.
fn undecodable(stored: &StoredEvent) -> impl Fn(String) -> CodecError + Copy + '_ {
    move |message| CodecError::Undecodable {
        position: stored.global_position,
        event_type: stored.event_type.clone(),
        schema_version: stored.schema_version,
        message,
    }
}

/// The actor commitment of a stored event, if its schema version has one
/// (`None` for versions that name the actor in the clear).
pub fn stored_commitment(stored: &StoredEvent) -> Result<Option<String>, CodecError> {
    let undecodable = undecodable(stored);
    let envelope: StoredEnvelope =
        serde_json::from_slice(&stored.data).map_err(|e| undecodable(e.to_string()))?;
    Ok(envelope.actor_commitment.map(std::borrow::Cow::into_owned))
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

/// The public stored bytes of one event, committing to its actor with
/// `salt` (deterministic: the same event and salt give the same bytes).
pub fn encode_data(context: &EventContext, event: &Event, salt: &Salt) -> Vec<u8> {
    let mut payload = match serde_json::to_value(event) {
        Ok(Value::Object(map)) => map,
        // Event serialises to an object by construction (internally tagged enum).
        _ => Map::new(),
    };
    payload.remove("type");
    let envelope = Envelope {
        event_type: event.type_name(),
        schema_version: SCHEMA_VERSION,
        revision: &context.revision,
        effective_from: context.effective_from,
        actor_commitment: actor_commitment(salt, &context.actor),
        reason: &context.reason,
        payload: Value::Object(payload),
    };
    serde_json::to_vec(&envelope).unwrap_or_default()
}

/// The event to append: public bytes committing to the actor under a fresh
/// salt, and the actor with that salt as sealed bytes.
pub fn encode(event: &NewDomainEvent, event_id: Uuid) -> Result<NewEvent, CodecError> {
    Ok(encode_with_salt(event, event_id, &fresh_salt()?))
}

/// [`encode`] with a given salt (tests and golden files need the bytes fixed).
pub fn encode_with_salt(event: &NewDomainEvent, event_id: Uuid, salt: &Salt) -> NewEvent {
    NewEvent {
        event_id,
        event_type: event.event.type_name().to_owned(),
        schema_version: SCHEMA_VERSION,
        data: encode_data(&event.context, &event.event, salt),
        sealed: Some(sealed_bytes(&event.context.actor, salt)),
    }
}

/// The actor of an event of a schema version with a commitment: the one its
/// sealed bytes name when they match the commitment, empty (not known to
/// this copy of the log) when it has none.
fn unseal(stored: &StoredEvent, commitment: &str) -> Result<String, CodecError> {
    let undecodable = undecodable(stored);
    // A commitment no actor could open is damage, whether or not this copy
    // holds the sealed bytes.
    // A range test, not a search of `HEX`: every event of a log passes here at start.
    let lower_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
    if commitment.len() != 64 || !commitment.bytes().all(lower_hex) {
        return Err(undecodable(
            "its actor_commitment is not 64 lowercase hexadecimal digits".into(),
        ));
    }
    let Some(bytes) = &stored.sealed else {
        return Ok(String::new());
    };
    let sealed = open_sealed(bytes).map_err(undecodable)?;
    if !commits_to(commitment, &sealed.salt, &sealed.actor) {
        return Err(undecodable(
            "its sealed actor and salt do not match the actor commitment its leaf covers".into(),
        ));
    }
    Ok(sealed.actor)
}

/// Decodes a stored event, upcasting old schema versions.
pub fn decode(stored: &StoredEvent) -> Result<(Jurisdiction, RecordedEvent), CodecError> {
    let jurisdiction = jurisdiction_of(&stored.stream)?;
    if let Some((mut context, event, commitment)) =
        fast::decode(&stored.data, &stored.event_type, stored.schema_version)
    {
        match commitment {
            Some(commitment) => context.actor = unseal(stored, &commitment)?.into(),
            // Sealed bytes beside an actor in the clear: the general decoder names it.
            None if stored.sealed.is_some() => return decode_general(stored, jurisdiction),
            None => {}
        }
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
    let undecodable = undecodable(stored);
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
    let actor = match (
        envelope.schema_version >= COMMITTED_ACTOR_SINCE,
        envelope.actor,
        envelope.actor_commitment,
    ) {
        (true, None, Some(commitment)) => unseal(stored, &commitment)?,
        (false, Some(actor), None) if stored.sealed.is_none() => actor.into_owned(),
        (true, _, _) => {
            return Err(undecodable(format!(
                "schema version {} needs an actor_commitment and no actor in the clear",
                envelope.schema_version
            )));
        }
        (false, _, _) => {
            return Err(undecodable(format!(
                "schema version {} needs an actor in the clear, and no actor_commitment or sealed bytes",
                envelope.schema_version
            )));
        }
    };
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
                actor: actor.into(),
                reason: envelope.reason.as_ref().into(),
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
    /// Versions 1 and 2: the actor in the clear.
    #[serde(borrow, default)]
    actor: Option<std::borrow::Cow<'a, str>>,
    /// Version 3 on: the commitment to the actor of the sealed bytes.
    #[serde(borrow, default)]
    actor_commitment: Option<std::borrow::Cow<'a, str>>,
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
