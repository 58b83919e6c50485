//! A client of the `Log` service that hands back stored events and signed
//! notes, having checked each event against the leaf hash sent with it.
//! Checking signatures, roots and consistency is the caller's: it alone
//! knows which key and which earlier checkpoint it trusts.

use event_store::StoredEvent;
use tonic::transport::{Channel, Endpoint};
use transparency::Hash;

use crate::limits::{CONNECT_TIMEOUT, MESSAGE_BYTES_MAX};
use crate::proto::log_client::LogClient as Generated;
use crate::proto::{
    FollowRequest, GetCheckpointRequest, GetConsistencyProofRequest, GetInclusionProofRequest,
    follow_response,
};
use crate::{GrpcError, proof_hashes, stored_event};

/// A connection to a server's `Log` service.
#[derive(Debug, Clone)]
pub struct LogClient {
    inner: Generated<Channel>,
    /// `authorization` metadata sent with Follow calls.
    authorization: Option<tonic::metadata::AsciiMetadataValue>,
}

/// What a server says its latest checkpoint and key are (unverified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The signed note of the latest checkpoint; `None` while the log is empty.
    pub note: Option<String>,
    /// The key the server says signs its checkpoints.
    pub public_key: String,
}

/// One item of a Follow stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowItem {
    /// The next event; its leaf hash was checked.
    Event(StoredEvent),
    /// A signed note of a checkpoint covering every event received (unverified).
    Checkpoint(String),
}

impl LogClient {
    /// Connects to `url` (`http://HOST:PORT`).
    pub async fn connect(url: &str) -> Result<Self, GrpcError> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(GrpcError::BadUrl {
                url: url.to_owned(),
            });
        }
        let connect = |source| GrpcError::Connect {
            url: url.to_owned(),
            source,
        };
        let channel = Endpoint::from_shared(url.to_owned())
            .map_err(connect)?
            .connect_timeout(CONNECT_TIMEOUT)
            .connect()
            .await
            .map_err(connect)?;
        Ok(Self {
            inner: Generated::new(channel)
                .max_decoding_message_size(MESSAGE_BYTES_MAX)
                .max_encoding_message_size(MESSAGE_BYTES_MAX),
            authorization: None,
        })
    }

    /// Sends `token` as `authorization: Bearer <token>` with Follow calls, so
    /// that a server that accepts it sends the events' sealed bytes.
    pub fn with_token(mut self, token: &str) -> Result<Self, GrpcError> {
        let value = format!("Bearer {}", token.trim());
        self.authorization =
            Some(value.parse().map_err(|_| {
                GrpcError::Malformed("the token is not printable ASCII".to_owned())
            })?);
        Ok(self)
    }

    /// The latest checkpoint and the key.
    pub async fn head(&mut self) -> Result<Head, GrpcError> {
        let response = self
            .inner
            .get_checkpoint(GetCheckpointRequest {})
            .await
            .map_err(GrpcError::status("GetCheckpoint"))?
            .into_inner();
        Ok(Head {
            note: response.checkpoint.map(|c| c.note),
            public_key: response.public_key,
        })
    }

    /// The proof that the tree of `old_size` events is a prefix of the one of `new_size`.
    pub async fn consistency_proof(
        &mut self,
        old_size: u64,
        new_size: u64,
    ) -> Result<Vec<Hash>, GrpcError> {
        let response = self
            .inner
            .get_consistency_proof(GetConsistencyProofRequest { old_size, new_size })
            .await
            .map_err(GrpcError::status("GetConsistencyProof"))?
            .into_inner();
        if (response.old_size, response.new_size) != (old_size, new_size) {
            return Err(GrpcError::Malformed(format!(
                "asked to prove {old_size} → {new_size}, got a proof of {} → {}",
                response.old_size, response.new_size
            )));
        }
        proof_hashes(&response.hashes)
    }

    /// The leaf hash of the event at `global_position` and its audit path in the tree of `tree_size` events.
    pub async fn inclusion_proof(
        &mut self,
        global_position: u64,
        tree_size: u64,
    ) -> Result<(Hash, Vec<Hash>), GrpcError> {
        let response = self
            .inner
            .get_inclusion_proof(GetInclusionProofRequest {
                global_position,
                tree_size,
            })
            .await
            .map_err(GrpcError::status("GetInclusionProof"))?
            .into_inner();
        Ok((
            crate::hash(&response.leaf_hash)?,
            proof_hashes(&response.hashes)?,
        ))
    }

    /// Follows the log from `from_position` on.
    pub async fn follow(&mut self, from_position: u64) -> Result<FollowStream, GrpcError> {
        let mut request = tonic::Request::new(FollowRequest { from_position });
        if let Some(authorization) = &self.authorization {
            request
                .metadata_mut()
                .insert("authorization", authorization.clone());
        }
        let inner = self
            .inner
            .follow(request)
            .await
            .map_err(GrpcError::status("Follow"))?
            .into_inner();
        Ok(FollowStream { inner })
    }
}

/// The items of a Follow call, in order.
#[derive(Debug)]
pub struct FollowStream {
    inner: tonic::Streaming<crate::proto::FollowResponse>,
}

impl FollowStream {
    /// The next item; `None` when the server ended the stream.
    pub async fn next(&mut self) -> Result<Option<FollowItem>, GrpcError> {
        let Some(message) = self
            .inner
            .message()
            .await
            .map_err(GrpcError::status("Follow"))?
        else {
            return Ok(None);
        };
        match message.item {
            Some(follow_response::Item::Event(logged)) => {
                Ok(Some(FollowItem::Event(stored_event(logged)?)))
            }
            Some(follow_response::Item::Checkpoint(checkpoint)) => {
                Ok(Some(FollowItem::Checkpoint(checkpoint.note)))
            }
            None => Err(GrpcError::Malformed(
                "a Follow message with neither an event nor a checkpoint".into(),
            )),
        }
    }
}
