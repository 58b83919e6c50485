//! The log over gRPC: the `stdreg.v1` protobuf contract (`proto/stdreg/v1/log.proto`),
//! the `Log` service over a registry, and a client that checks what it
//! receives against the canonical leaf hashes.
//!
//! Conversions between the protobuf messages and the stored forms live here,
//! so the server and every client read the contract the same way.

pub mod client;
pub mod limits;
pub mod server;

use chrono::{DateTime, Utc};
use event_store::{StoredEvent, StreamId};
use transparency::{Hash, PROOF_HASHES_MAX, SignedCheckpoint, event_leaf_hash};

pub use client::{FollowItem, FollowStream, LogClient};
pub use server::{LogService, SealedAccess, public_only, serve};

/// The generated messages and service of `proto/stdreg/v1/log.proto`.
#[allow(missing_debug_implementations, clippy::unwrap_used)]
pub mod proto {
    tonic::include_proto!("stdreg.v1");
}

/// Why a gRPC call, a received message or the server failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GrpcError {
    /// The URL is not an http:// or https:// address.
    #[error("'{url}' is not a gRPC address: use http://HOST:PORT")]
    BadUrl { url: String },
    /// No connection to the server.
    #[error(
        "cannot connect to {url}: {source}; check that `stdreg serve --grpc-listen` runs there"
    )]
    Connect {
        url: String,
        #[source]
        source: tonic::transport::Error,
    },
    /// The server answered a call with an error.
    #[error("the server refused {call}: {} ({:?})", status.message(), status.code())]
    Status {
        call: &'static str,
        status: Box<tonic::Status>,
    },
    /// The server sent a message that does not follow the contract.
    #[error("the server sent a malformed message: {0}")]
    Malformed(String),
    /// The leaf hash sent with an event is not the hash of the event sent.
    #[error(
        "the event at position {position} does not hash to the leaf hash sent with it: the server's log or its encoding is broken"
    )]
    LeafMismatch { position: u64 },
    /// The gRPC server failed to run.
    #[error("the gRPC server failed: {0}")]
    Serve(#[source] tonic::transport::Error),
}

impl GrpcError {
    fn status(call: &'static str) -> impl FnOnce(tonic::Status) -> Self {
        move |status| Self::Status {
            call,
            status: Box::new(status),
        }
    }
}

/// The envelope of a stored event, with its leaf hash, and its sealed bytes
/// when `sealed` (the caller may receive them).
pub fn logged_event(event: &StoredEvent, sealed: bool) -> proto::LoggedEvent {
    proto::LoggedEvent {
        event: Some(proto::Event {
            event_id: event.event_id.hyphenated().to_string(),
            stream: event.stream.as_str().to_owned(),
            stream_position: event.stream_position,
            global_position: event.global_position,
            event_type: event.event_type.clone(),
            schema_version: event.schema_version,
            data: event.data.clone(),
            recorded_at_micros: event.recorded_at.timestamp_micros(),
        }),
        leaf_hash: event_leaf_hash(event).to_vec(),
        sealed: if sealed { event.sealed.clone() } else { None },
    }
}

/// Reads an event envelope back, refusing it unless it hashes to the leaf hash sent with it.
pub fn stored_event(logged: proto::LoggedEvent) -> Result<StoredEvent, GrpcError> {
    let malformed = |reason: String| GrpcError::Malformed(reason);
    let event = logged
        .event
        .ok_or_else(|| malformed("an event message without its event".into()))?;
    let position = event.global_position;
    let event_id = uuid::Uuid::parse_str(&event.event_id)
        .map_err(|e| malformed(format!("event {position}: event_id is not a UUID: {e}")))?;
    let recorded_at = DateTime::<Utc>::from_timestamp_micros(event.recorded_at_micros)
        .ok_or_else(|| malformed(format!("event {position}: recorded_at is out of range")))?;
    let stored = StoredEvent {
        event_id,
        stream: StreamId::new(event.stream),
        stream_position: event.stream_position,
        global_position: position,
        event_type: event.event_type,
        schema_version: event.schema_version,
        data: event.data,
        recorded_at,
        // Outside the leaf: the receiver decides what they are worth.
        sealed: logged.sealed,
    };
    if event_leaf_hash(&stored).as_slice() != logged.leaf_hash.as_slice() {
        return Err(GrpcError::LeafMismatch { position });
    }
    Ok(stored)
}

/// The message of a signed checkpoint.
pub fn checkpoint_message(signed: &SignedCheckpoint) -> proto::Checkpoint {
    proto::Checkpoint {
        note: signed.note().to_owned(),
        origin: signed.checkpoint.origin.clone(),
        size: signed.checkpoint.size,
        root_hash: signed.checkpoint.root.to_vec(),
    }
}

/// One 32-byte hash.
pub fn hash(bytes: &[u8]) -> Result<Hash, GrpcError> {
    Hash::try_from(bytes)
        .map_err(|_| GrpcError::Malformed(format!("a hash of {} bytes, not 32", bytes.len())))
}

/// The hashes of a proof, at most [`PROOF_HASHES_MAX`].
pub fn proof_hashes(hashes: &[Vec<u8>]) -> Result<Vec<Hash>, GrpcError> {
    if hashes.len() > PROOF_HASHES_MAX {
        return Err(GrpcError::Malformed(format!(
            "a proof of {} hashes, more than the {PROOF_HASHES_MAX} any tree needs",
            hashes.len()
        )));
    }
    hashes.iter().map(|h| hash(h)).collect()
}

#[cfg(test)]
mod tests;
