//! The index snapshot: the search index of the log's first `size` events,
//! saved in the data directory so that a start restores it instead of
//! analysing every text of the log again (the costliest part of a rebuild).
//!
//! It is tied to the log by the Merkle root of those events. A start reads
//! the log as before (every event is hashed and checked against the leaf
//! record, and the timeline is folded), indexes no text up to `size`, and
//! when it reaches `size` restores the saved index only if the root of the
//! log there is the snapshot's. A snapshot that cannot be read whole, is of
//! another format, of another log, or of a history the log does not have
//! (the log is shorter, or differs) is never used: the index is rebuilt from
//! the log and the log says why.
//!
//! File `index-snapshot`, integers little-endian:
//!
//! ```text
//! "stdreg index snapshot\n"   magic
//! u32                         SNAPSHOT_FORMAT
//! u64                         size: events covered
//! [u8; 32]                    Merkle root of those events
//! u64                         length of the image
//! image                       search::SearchIndex::image
//! [u8; 32]                    SHA-256 of everything above
//! ```
//!
//! Written to a temporary file, synced and renamed over the old one, so a
//! crash leaves the old snapshot or the new one, never a torn file.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use transparency::Hash;

use crate::service::{Registry, RegistryError};
use crate::verifiable::{data_dir_error, hex};

/// File of the index snapshot inside the data directory.
pub const SNAPSHOT_FILE: &str = "index-snapshot";
/// Version of the file layout above; the image inside has its own.
pub const SNAPSHOT_FORMAT: u32 = 1;
/// A registry that may write saves a new snapshot once the log has grown
/// this many events past the one it has (or has none).
pub const SNAPSHOT_EVERY: u64 = 10_000;

const MAGIC: &[u8] = b"stdreg index snapshot\n";
const HEADER: usize = MAGIC.len() + 4 + 8 + 32 + 8;

/// How this process's index was built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexStart {
    /// The search index of the first `position` events came from the
    /// snapshot; the rest of the log was indexed after it.
    Snapshot { position: u64 },
    /// Built from the whole log; `reason` says why a snapshot in the data
    /// directory was not used (`None`: there was none to use).
    Rebuilt { reason: Option<String> },
}

/// A snapshot read whole and checked against its checksum; not yet against the log.
#[derive(Debug)]
pub(crate) struct Saved {
    pub(crate) path: PathBuf,
    pub(crate) size: u64,
    pub(crate) root: Hash,
    pub(crate) image: Vec<u8>,
}

/// Why a snapshot file was not used, said in the log.
#[derive(Debug)]
pub(crate) struct Refused {
    pub(crate) path: PathBuf,
    pub(crate) reason: String,
}

/// Reads the snapshot of `data_dir`: `Ok(None)` when there is none.
pub(crate) fn read(data_dir: &Path) -> Result<Option<Saved>, Refused> {
    let path = data_dir.join(SNAPSHOT_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Refused {
                path,
                reason: format!("it cannot be read: {e}"),
            });
        }
    };
    match parse(bytes) {
        Ok((size, root, image)) => Ok(Some(Saved {
            path,
            size,
            root,
            image,
        })),
        Err(reason) => Err(Refused { path, reason }),
    }
}

fn parse(mut bytes: Vec<u8>) -> Result<(u64, Hash, Vec<u8>), String> {
    if bytes.len() < HEADER + 32 || !bytes.starts_with(MAGIC) {
        return Err("it is not an index snapshot, or it is cut short".to_owned());
    }
    let (body, sum) = bytes.split_at(bytes.len() - 32);
    if Sha256::digest(body)[..] != *sum {
        return Err("it is damaged: its checksum does not match its content".to_owned());
    }
    let field = |at: usize, n: usize| &bytes[MAGIC.len() + at..MAGIC.len() + at + n];
    let u32_at = |at| u32::from_le_bytes(field(at, 4).try_into().unwrap_or_default());
    let u64_at = |at| u64::from_le_bytes(field(at, 8).try_into().unwrap_or_default());
    let format = u32_at(0);
    if format != SNAPSHOT_FORMAT {
        return Err(format!(
            "it is of format {format}; this version reads format {SNAPSHOT_FORMAT}"
        ));
    }
    let size = u64_at(4);
    let mut root = [0; 32];
    root.copy_from_slice(field(12, 32));
    let length = u64_at(44);
    if length != (bytes.len() - HEADER - 32) as u64 {
        return Err("it is damaged: its length does not match its content".to_owned());
    }
    bytes.truncate(bytes.len() - 32);
    bytes.drain(..HEADER);
    Ok((size, root, bytes))
}

/// Writes the snapshot of `size` events with `root` into `data_dir`, replacing any.
pub(crate) fn write(data_dir: &Path, size: u64, root: &Hash, image: &[u8]) -> std::io::Result<()> {
    let mut bytes = Vec::with_capacity(HEADER + image.len() + 32);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&SNAPSHOT_FORMAT.to_le_bytes());
    bytes.extend_from_slice(&size.to_le_bytes());
    bytes.extend_from_slice(root);
    bytes.extend_from_slice(&(image.len() as u64).to_le_bytes());
    bytes.extend_from_slice(image);
    let sum = Sha256::digest(&bytes);
    bytes.extend_from_slice(&sum);
    let mut file = tempfile::NamedTempFile::new_in(data_dir)?;
    file.write_all(&bytes)?;
    file.as_file().sync_all()?;
    file.persist(data_dir.join(SNAPSHOT_FILE))
        .map_err(|e| e.error)?;
    // The rename is durable once the directory is synced.
    std::fs::File::open(data_dir).and_then(|dir| dir.sync_all())
}

/// The registry's side of snapshots: the one being restored while it
/// opens, how its index started, and where it saves the next.
#[derive(Debug, Default)]
pub(crate) struct Snapshots {
    /// Read when the registry opened; restored when catch-up reaches its size.
    pending: Option<Saved>,
    /// Why the data directory's snapshot was not used.
    refused: Option<Refused>,
    /// Text indexing was left to a snapshot: if it is not restored, the index is rebuilt.
    skipped: bool,
    start: Option<IndexStart>,
    /// The data directory to save snapshots in, and the size of the one there.
    saving: Option<(PathBuf, u64)>,
}

impl Snapshots {
    /// The size of the snapshot being restored, if any: catch-up indexes no text up to it.
    pub(crate) fn restoring(&self) -> Option<u64> {
        self.pending.as_ref().map(|s| s.size)
    }

    /// The saved index, if the timeline has just reached the snapshot's size
    /// and the log's root there is the snapshot's; otherwise records why not.
    pub(crate) fn restore(
        &mut self,
        timeline: &timeline::Timeline,
        tree: &transparency::MerkleTree,
    ) -> Option<search::SearchIndex> {
        let saved = self.pending.take()?;
        let size = saved.size;
        let outcome = if timeline.last_global_position() != size {
            Err(format!(
                "no append of this log ends at position {size}, where it ends: it is of another log"
            ))
        } else {
            match tree.root_at(size) {
                Ok(root) if root == saved.root => search::SearchIndex::from_image(
                    &saved.image,
                    Box::new(search::analyzer::Grams),
                    timeline,
                )
                .map_err(|e| e.to_string()),
                Ok(root) => Err(format!(
                    "the first {size} events of this log hash to {}, the snapshot's to {}: it is of another log, or of a history this log no longer has",
                    hex(&root),
                    hex(&saved.root)
                )),
                Err(e) => Err(e.to_string()),
            }
        };
        match outcome {
            Ok(index) => {
                self.start = Some(IndexStart::Snapshot { position: size });
                Some(index)
            }
            Err(reason) => {
                self.refused = Some(Refused {
                    path: saved.path,
                    reason,
                });
                None
            }
        }
    }
}

impl Registry {
    fn snapshots(&self) -> std::sync::MutexGuard<'_, Snapshots> {
        self.snapshots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads the snapshot of `data_dir` for the catch-up that opens the registry.
    pub(crate) fn open_snapshot(&self, data_dir: Option<&Path>) {
        let Some(dir) = data_dir else {
            return;
        };
        let mut snapshots = self.snapshots();
        match read(dir) {
            Ok(Some(saved)) => {
                snapshots.pending = Some(saved);
                snapshots.skipped = true;
            }
            Ok(None) => {}
            Err(refused) => snapshots.refused = Some(refused),
        }
    }

    /// After the catch-up that opens the registry: says how the index
    /// started, and rebuilds the search index if a snapshot it counted on
    /// was not restored.
    pub(crate) async fn settle_snapshot(&self) -> Result<(), RegistryError> {
        // Taken before the snapshots' lock: catch-up takes them the other way round.
        let held = self.timeline().last_global_position();
        let rebuild = {
            let mut snapshots = self.snapshots();
            if let Some(saved) = snapshots.pending.take() {
                snapshots.refused = Some(Refused {
                    path: saved.path,
                    reason: format!(
                        "it covers {} events, the log holds {held}: the log is older than the snapshot, or another log",
                        saved.size
                    ),
                });
            }
            match snapshots.refused.take() {
                Some(refused) => {
                    tracing::warn!(
                        snapshot = %refused.path.display(),
                        reason = %refused.reason,
                        "index snapshot not used; indexing the whole log instead"
                    );
                    snapshots.start = Some(IndexStart::Rebuilt {
                        reason: Some(refused.reason),
                    });
                    snapshots.skipped
                }
                None => {
                    if let Some(IndexStart::Snapshot { position }) = snapshots.start {
                        tracing::info!(
                            position,
                            indexed = held,
                            "search index restored from the index snapshot"
                        );
                    }
                    snapshots
                        .start
                        .get_or_insert(IndexStart::Rebuilt { reason: None });
                    false
                }
            }
        };
        if rebuild {
            self.forget_index();
            self.catch_up().await?;
        }
        Ok(())
    }

    /// How this registry's index was built when it opened.
    pub fn index_start(&self) -> IndexStart {
        self.snapshots()
            .start
            .clone()
            .unwrap_or(IndexStart::Rebuilt { reason: None })
    }

    /// Saves the index snapshot of everything indexed into `data_dir` now,
    /// replacing the one there; returns the number of events it covers.
    pub async fn save_index_snapshot(&self, data_dir: &Path) -> Result<u64, RegistryError> {
        // Both read locks at once: the image and the position describe the same index.
        let (size, image) = {
            let timeline = self.timeline();
            let search = self.search_index();
            (timeline.last_global_position(), search.image())
        };
        let root = self.merkle().root_at(size)?;
        let dir = data_dir.to_path_buf();
        let written = tokio::task::spawn_blocking(move || write(&dir, size, &root, &image))
            .await
            .map_err(|e| RegistryError::CatchUpTask(e.to_string()))?;
        written.map_err(data_dir_error(&data_dir.join(SNAPSHOT_FILE)))?;
        if let Some((dir, last)) = &mut self.snapshots().saving
            && dir == data_dir
        {
            *last = size;
        }
        Ok(size)
    }

    /// Keeps a snapshot in `data_dir` from now on: saves one whenever the
    /// index has grown [`SNAPSHOT_EVERY`] events past the one there, now included.
    pub(crate) async fn keep_snapshot(&self, data_dir: &Path) {
        let last = match self.index_start() {
            IndexStart::Snapshot { position } => position,
            IndexStart::Rebuilt { .. } => 0,
        };
        self.snapshots().saving = Some((data_dir.to_path_buf(), last));
        self.save_snapshot_if_due().await;
    }

    /// Saves a snapshot if one is kept and the index has grown enough since the last.
    pub(crate) async fn save_snapshot_if_due(&self) {
        let indexed = self.timeline().last_global_position();
        let due = self
            .snapshots()
            .saving
            .as_ref()
            .filter(|(_, last)| indexed >= last.saturating_add(SNAPSHOT_EVERY))
            .map(|(dir, _)| dir.clone());
        if let Some(dir) = due {
            match self.save_index_snapshot(&dir).await {
                Ok(size) => tracing::info!(size, "index snapshot saved"),
                Err(error) => tracing::warn!(%error, "the index snapshot could not be saved"),
            }
        }
    }
}
