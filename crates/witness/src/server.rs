//! The witness's side: `POST /add-checkpoint` and the state file.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::{Mutex, watch};
use transparency::{
    ADD_CHECKPOINT_BYTES_MAX, AddCheckpoint, Cosigned, CosignerSigner, Hash, NoteVerifier,
    WitnessRefusal, add_checkpoint,
};

/// Version of the state file's layout.
pub const STATE_VERSION: u32 = 1;

/// Why the state file cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    #[error("cannot use the witness state {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the witness state {} is damaged ({problem}): restore it from a backup; never start a witness from an empty state in its place, or it may cosign a rollback", path.display())]
    Damaged { path: PathBuf, problem: String },
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StateFile {
    version: u32,
    /// Per log origin, the last checkpoint cosigned.
    logs: BTreeMap<String, LogState>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct LogState {
    size: u64,
    root: String,
}

/// A witness: its key, the logs it follows, and its state of each.
#[derive(Debug)]
pub struct Witness {
    signer: CosignerSigner,
    logs: Vec<NoteVerifier>,
    path: PathBuf,
    state: Mutex<BTreeMap<String, Cosigned>>,
}

impl Witness {
    /// Opens (or starts, where there is no file yet) the state at `path`.
    pub fn open(
        signer: CosignerSigner,
        logs: Vec<NoteVerifier>,
        path: &Path,
    ) -> Result<Self, StateError> {
        let damaged = |problem: String| StateError::Damaged {
            path: path.to_path_buf(),
            problem,
        };
        let file: StateFile = match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| damaged(e.to_string()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => StateFile::default(),
            Err(source) => {
                return Err(StateError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        if file.version > STATE_VERSION {
            return Err(damaged(format!(
                "layout version {} is newer than this build's {STATE_VERSION}",
                file.version
            )));
        }
        let mut state = BTreeMap::new();
        for (origin, log) in file.logs {
            let root = STANDARD
                .decode(&log.root)
                .ok()
                .and_then(|bytes| Hash::try_from(bytes).ok())
                .ok_or_else(|| damaged(format!("the root of {origin} is not a base64 hash")))?;
            state.insert(
                origin,
                Cosigned {
                    size: log.size,
                    root,
                },
            );
        }
        Ok(Self {
            signer,
            logs,
            path: path.to_path_buf(),
            state: Mutex::new(state),
        })
    }

    /// The witness's signing key.
    pub fn signer(&self) -> &CosignerSigner {
        &self.signer
    }

    /// The last checkpoint cosigned of the log `origin`.
    pub async fn cosigned(&self, origin: &str) -> Option<Cosigned> {
        self.state.lock().await.get(origin).copied()
    }

    /// Decides a request at `timestamp` and, when it cosigns, persists the
    /// new state before answering; check and write happen under one lock.
    pub async fn add_checkpoint(
        &self,
        request: &AddCheckpoint,
        timestamp: u64,
    ) -> Result<String, Refused> {
        let origin = request.origin().map_err(Refused::Request)?;
        let mut state = self.state.lock().await;
        let last = state.get(&origin).copied();
        let (cosigned, line) = add_checkpoint(&self.signer, &self.logs, last, request, timestamp)
            .map_err(|refusal| {
            tracing::warn!(origin = %origin, %refusal, "refused a checkpoint");
            Refused::Request(refusal)
        })?;
        let mut next = state.clone();
        next.insert(origin.clone(), cosigned);
        self.save(&next).map_err(Refused::State)?;
        *state = next;
        tracing::info!(origin = %origin, size = cosigned.size, "cosigned a checkpoint");
        Ok(line)
    }

    fn save(&self, state: &BTreeMap<String, Cosigned>) -> Result<(), StateError> {
        let file = StateFile {
            version: STATE_VERSION,
            logs: state
                .iter()
                .map(|(origin, c)| {
                    (
                        origin.clone(),
                        LogState {
                            size: c.size,
                            root: STANDARD.encode(c.root),
                        },
                    )
                })
                .collect(),
        };
        let io = |source| StateError::Io {
            path: self.path.clone(),
            source,
        };
        let bytes = serde_json::to_vec_pretty(&file).map_err(|e| io(std::io::Error::other(e)))?;
        let dir = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let mut temporary = tempfile::Builder::new()
            .prefix(".witness-state.")
            .tempfile_in(dir)
            .map_err(io)?;
        temporary.write_all(&bytes).map_err(io)?;
        temporary.as_file().sync_all().map_err(io)?;
        temporary.persist(&self.path).map_err(|e| io(e.error))?;
        Ok(())
    }
}

/// Why a request was not cosigned.
#[derive(Debug)]
pub enum Refused {
    Request(WitnessRefusal),
    State(StateError),
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::Request(WitnessRefusal::Conflict { size }) => (
                StatusCode::CONFLICT,
                [(header::CONTENT_TYPE, "text/x.tlog.size")],
                format!("{size}\n"),
            )
                .into_response(),
            Refused::Request(refusal) => {
                let status =
                    StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
                (status, format!("{refusal}\n")).into_response()
            }
            Refused::State(error) => {
                tracing::error!(%error, "the witness cannot write its state");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the witness cannot record its state; try again later\n",
                )
                    .into_response()
            }
        }
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

async fn add_checkpoint_handler(
    State(witness): State<Arc<Witness>>,
    body: Bytes,
) -> Result<String, Refused> {
    let body = std::str::from_utf8(&body)
        .map_err(|_| Refused::Request(WitnessRefusal::Malformed("the body is not UTF-8".into())))?;
    let request = AddCheckpoint::parse(body).map_err(Refused::Request)?;
    witness.add_checkpoint(&request, now()).await
}

/// The witness's HTTP interface: `POST /add-checkpoint`.
pub fn router(witness: Arc<Witness>) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint_handler))
        .layer(DefaultBodyLimit::max(ADD_CHECKPOINT_BYTES_MAX))
        .with_state(witness)
}

/// Serves the witness on `listener` until `shutdown` turns true.
pub async fn serve(
    listener: TcpListener,
    witness: Arc<Witness>,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    axum::serve(listener, router(witness))
        .with_graceful_shutdown(async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        })
        .await
}
