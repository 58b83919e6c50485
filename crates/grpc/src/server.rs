//! The `Log` service over a registry and its signed checkpoints.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;

use futures::Stream;
use registry::Registry;
use registry::verifiable::Checkpoints;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::{Request, Response, Status};
use transparency::{SignedCheckpoint, TransparencyError};

use crate::limits::{FOLLOW_PAGE, MESSAGE_BYTES_MAX};
use crate::proto::log_server::{Log, LogServer};
use crate::proto::{
    FollowRequest, FollowResponse, GetCheckpointRequest, GetCheckpointResponse,
    GetConsistencyProofRequest, GetConsistencyProofResponse, GetInclusionProofRequest,
    GetInclusionProofResponse, follow_response,
};
use crate::{GrpcError, checkpoint_message, logged_event};

/// Who may receive events' sealed bytes (who recorded them), decided from
/// the `authorization` metadata of a call (`None` when it has none):
/// `Ok(true)` for a caller that may, `Ok(false)` for the public, `Err(why)`
/// for a credential that is not accepted. The binary builds it from the
/// tokens the GraphQL API accepts, so one rule holds for both.
pub type SealedAccess = Arc<dyn Fn(Option<&str>) -> Result<bool, String> + Send + Sync>;

/// Sealed bytes for nobody: the public is answered, any credential refused.
pub fn public_only() -> SealedAccess {
    Arc::new(|authorization: Option<&str>| match authorization {
        None => Ok(false),
        Some(_) => Err("this server accepts no tokens".to_owned()),
    })
}

/// The `Log` service. Streams end when `shutdown` turns true.
#[derive(Clone)]
pub struct LogService {
    registry: Arc<Registry>,
    checkpoints: Arc<Checkpoints>,
    access: SealedAccess,
    shutdown: watch::Receiver<bool>,
}

impl std::fmt::Debug for LogService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogService")
            .field("registry", &self.registry)
            .finish_non_exhaustive()
    }
}

impl LogService {
    pub fn new(
        registry: Arc<Registry>,
        checkpoints: Arc<Checkpoints>,
        access: SealedAccess,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self {
            registry,
            checkpoints,
            access,
            shutdown,
        }
    }

    /// Whether the caller of `request` may receive sealed bytes.
    fn sees_sealed<T>(&self, request: &Request<T>) -> Result<bool, Status> {
        let authorization = match request.metadata().get("authorization") {
            None => None,
            Some(value) => Some(value.to_str().map_err(|_| {
                Status::unauthenticated(
                    "the authorization metadata is not text: send `Bearer TOKEN`",
                )
            })?),
        };
        (self.access)(authorization)
            .map_err(|why| Status::unauthenticated(format!("the token is not accepted: {why}")))
    }

    /// The size a request's 0 stands for: the latest signed checkpoint's.
    fn size_or_latest(&self, size: u64) -> Result<u64, Status> {
        if size > 0 {
            return Ok(size);
        }
        self.checkpoints
            .latest()
            .map(|signed| signed.checkpoint.size)
            .ok_or_else(|| Status::not_found("the log is empty: no checkpoint is signed yet"))
    }
}

fn proof_status(error: TransparencyError) -> Status {
    match error {
        TransparencyError::SizeBeyondTree { .. } => Status::out_of_range(error.to_string()),
        other => Status::invalid_argument(other.to_string()),
    }
}

/// Serves the `Log` service on `listener` until `shutdown` turns true, then
/// lets calls in flight finish (Follow streams end at once).
pub async fn serve(
    listener: TcpListener,
    registry: Arc<Registry>,
    checkpoints: Arc<Checkpoints>,
    access: SealedAccess,
    shutdown: watch::Receiver<bool>,
) -> Result<(), GrpcError> {
    let mut stopping = shutdown.clone();
    let service = LogServer::new(LogService::new(registry, checkpoints, access, shutdown))
        .max_decoding_message_size(MESSAGE_BYTES_MAX)
        .max_encoding_message_size(MESSAGE_BYTES_MAX);
    tonic::transport::Server::builder()
        .add_service(service)
        .serve_with_incoming_shutdown(
            tonic::transport::server::TcpIncoming::from(listener),
            async move {
                let _ = stopping.wait_for(|stop| *stop).await;
            },
        )
        .await
        .map_err(GrpcError::Serve)
}

type FollowStream = Pin<Box<dyn Stream<Item = Result<FollowResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Log for LogService {
    type FollowStream = FollowStream;

    async fn follow(
        &self,
        request: Request<FollowRequest>,
    ) -> Result<Response<Self::FollowStream>, Status> {
        let sealed = self.sees_sealed(&request)?;
        let from = request.into_inner().from_position.max(1);
        let follower = Follower {
            sealed,
            registry: Arc::clone(&self.registry),
            indexed: self.registry.indexed(),
            checkpoints: self.checkpoints.subscribe(),
            shutdown: self.shutdown.clone(),
            next: from,
            checkpoint_sent: 0,
            queue: VecDeque::new(),
            done: false,
        };
        let stream = futures::stream::unfold(follower, |mut follower| async move {
            let item = follower.next_item().await?;
            Some((item, follower))
        });
        Ok(Response::new(Box::pin(stream)))
    }

    async fn get_checkpoint(
        &self,
        _request: Request<GetCheckpointRequest>,
    ) -> Result<Response<GetCheckpointResponse>, Status> {
        Ok(Response::new(GetCheckpointResponse {
            checkpoint: self.checkpoints.latest().as_ref().map(checkpoint_message),
            public_key: self.checkpoints.verifier().to_string(),
        }))
    }

    async fn get_inclusion_proof(
        &self,
        request: Request<GetInclusionProofRequest>,
    ) -> Result<Response<GetInclusionProofResponse>, Status> {
        let request = request.into_inner();
        let size = self.size_or_latest(request.tree_size)?;
        let Some(index) = request.global_position.checked_sub(1) else {
            return Err(Status::invalid_argument(
                "global positions start at 1: ask for position 1 or later",
            ));
        };
        let tree = self.registry.merkle();
        let hashes = tree.inclusion_proof(index, size).map_err(proof_status)?;
        let leaf = tree
            .leaf(index)
            .ok_or_else(|| Status::out_of_range(format!("no event at position {}", index + 1)))?;
        Ok(Response::new(GetInclusionProofResponse {
            leaf_index: index,
            tree_size: size,
            leaf_hash: leaf.to_vec(),
            hashes: hashes.iter().map(|h| h.to_vec()).collect(),
        }))
    }

    async fn get_consistency_proof(
        &self,
        request: Request<GetConsistencyProofRequest>,
    ) -> Result<Response<GetConsistencyProofResponse>, Status> {
        let request = request.into_inner();
        let new_size = self.size_or_latest(request.new_size)?;
        let hashes = self
            .registry
            .merkle()
            .consistency_proof(request.old_size, new_size)
            .map_err(proof_status)?;
        Ok(Response::new(GetConsistencyProofResponse {
            old_size: request.old_size,
            new_size,
            hashes: hashes.iter().map(|h| h.to_vec()).collect(),
        }))
    }
}

/// One Follow stream: pages of indexed events, the latest checkpoint once
/// it covers what was sent, then waits for the registry to index more.
struct Follower {
    /// Whether the caller receives the events' sealed bytes.
    sealed: bool,
    registry: Arc<Registry>,
    indexed: watch::Receiver<u64>,
    checkpoints: watch::Receiver<Option<SignedCheckpoint>>,
    shutdown: watch::Receiver<bool>,
    /// Global position of the next event to send.
    next: u64,
    /// Size of the last checkpoint sent.
    checkpoint_sent: u64,
    queue: VecDeque<FollowResponse>,
    done: bool,
}

impl Follower {
    async fn next_item(&mut self) -> Option<Result<FollowResponse, Status>> {
        loop {
            if let Some(message) = self.queue.pop_front() {
                return Some(Ok(message));
            }
            if self.done || *self.shutdown.borrow() {
                return None;
            }
            let latest = self.checkpoints.borrow_and_update().clone();
            if let Some(signed) = latest
                && signed.checkpoint.size < self.next
                && signed.checkpoint.size > self.checkpoint_sent
            {
                self.checkpoint_sent = signed.checkpoint.size;
                return Some(Ok(FollowResponse {
                    item: Some(follow_response::Item::Checkpoint(checkpoint_message(
                        &signed,
                    ))),
                }));
            }
            // Only events already in the registry's tree, so that every
            // checkpoint sent later covers them.
            let indexed = *self.indexed.borrow_and_update();
            if self.next <= indexed {
                if let Err(status) = self.read_page(indexed).await {
                    self.done = true;
                    return Some(Err(status));
                }
                continue;
            }
            tokio::select! {
                changed = self.indexed.changed() => if changed.is_err() { return None },
                changed = self.checkpoints.changed() => if changed.is_err() { return None },
                changed = self.shutdown.changed() => if changed.is_err() { return None },
            }
        }
    }

    async fn read_page(&mut self, indexed: u64) -> Result<(), Status> {
        let limit = usize::try_from(indexed - self.next + 1)
            .unwrap_or(FOLLOW_PAGE)
            .min(FOLLOW_PAGE);
        let page = self
            .registry
            .store()
            .read_all(self.next, limit)
            .await
            .map_err(|e| Status::unavailable(format!("reading the log failed: {e}")))?;
        if page.is_empty() {
            return Err(Status::internal(format!(
                "the log has no event at position {}, though it was indexed",
                self.next
            )));
        }
        for event in &page {
            if event.global_position != self.next {
                return Err(Status::data_loss(format!(
                    "the log skips from position {} to {}",
                    self.next - 1,
                    event.global_position
                )));
            }
            self.next += 1;
            self.queue.push_back(FollowResponse {
                item: Some(follow_response::Item::Event(logged_event(
                    event,
                    self.sealed,
                ))),
            });
        }
        Ok(())
    }
}
