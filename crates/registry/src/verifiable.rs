//! Verifiable history: the Merkle tree over the log kept current alongside
//! catch-up, what the data directory keeps of it, signed checkpoints, and the
//! verifier that replays a log (a store's or an export's) from the start.
//!
//! # Data directory
//!
//! | file         | content                                                             |
//! |--------------|---------------------------------------------------------------------|
//! | `log-key`    | the signing key, `PRIVATE+KEY+<name>+<id>+<key>`, generated when a new log is first signed without `--signing-key` |
//! | `log-key.pub`| the log's public key, `<name>+<id>+<key>`: the key verifiers need    |
//! | `checkpoint` | a copy of the latest signed checkpoint seen (the log's identity and its latest checkpoint live in the store: [`Checkpoints`]) |
//! | `log-leaves` | the leaf hash of every event seen, 32 bytes each, in log order       |
//!
//! The leaf record lets a registry name the exact position that changed when
//! it reopens a tampered log; the signed checkpoint protects the record itself.
//! Writers of the record only ever write the leaf hash of position `p` at byte
//! `32·(p−1)`, so two processes on one data directory write the same bytes.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use event_store::{EventStore, StoredEvent};
use timeline::Timeline;
use transparency::{Hash, MerkleTree, SignedCheckpoint, event_leaf_hash, verify_consistency};

pub use crate::signing::{
    CHECKPOINT_POLL, CHECKPOINT_RECORD, Checkpoints, CosignError, Cosigner, IDENTITY_RECORD,
    KeySource,
};

use crate::codec;
use crate::service::{CATCH_UP_PAGE, Registry, RegistryError, decode_batches};

/// File of the signing key inside the data directory.
pub const KEY_FILE: &str = "log-key";
/// File of the public key inside the data directory.
pub const PUBLIC_KEY_FILE: &str = "log-key.pub";
/// File of the latest signed checkpoint inside the data directory.
pub const CHECKPOINT_FILE: &str = "checkpoint";
/// File of the recorded leaf hashes inside the data directory.
pub const LEAVES_FILE: &str = "log-leaves";

const HASH_BYTES: u64 = 32;

pub(crate) fn data_dir_error(path: &Path) -> impl FnOnce(std::io::Error) -> RegistryError + '_ {
    move |source| RegistryError::DataDir {
        path: path.to_path_buf(),
        source,
    }
}

pub(crate) fn fault(position: u64, problem: impl Into<String>) -> RegistryError {
    RegistryError::LogFault {
        position,
        problem: problem.into(),
    }
}

pub(crate) fn hex(hash: &Hash) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// The leaf hashes recorded in a data directory.
#[derive(Debug)]
pub struct LeafRecord {
    path: PathBuf,
    file: File,
}

impl LeafRecord {
    /// Opens (or creates) the record in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Self, RegistryError> {
        let path = data_dir.join(LEAVES_FILE);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(data_dir_error(&path))?;
        Ok(Self { path, file })
    }

    /// Opens the record in `data_dir` if it has one; creates nothing.
    pub fn open_existing(data_dir: &Path) -> Result<Option<Self>, RegistryError> {
        let path = data_dir.join(LEAVES_FILE);
        match OpenOptions::new().read(true).write(true).open(&path) {
            Ok(file) => Ok(Some(Self { path, file })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(data_dir_error(&path)(e)),
        }
    }

    /// Every complete leaf hash recorded (a torn last write is ignored).
    pub fn read_all(&mut self) -> Result<Vec<Hash>, RegistryError> {
        let mut bytes = Vec::new();
        self.file
            .seek(SeekFrom::Start(0))
            .and_then(|_| self.file.read_to_end(&mut bytes))
            .map_err(data_dir_error(&self.path))?;
        Ok(bytes
            .chunks_exact(HASH_BYTES as usize)
            .map(|chunk| {
                let mut hash = [0; 32];
                hash.copy_from_slice(chunk);
                hash
            })
            .collect())
    }

    /// Compares the leaves from index `first` on with the record, and records
    /// those it does not hold yet. Returns the index of the first that differs.
    fn witness(&mut self, first: u64, leaves: &[Hash]) -> Result<Option<u64>, RegistryError> {
        let io = data_dir_error(&self.path);
        let offset = first * HASH_BYTES;
        let mut held = Vec::new();
        let result = (|| {
            self.file.seek(SeekFrom::Start(offset))?;
            (&mut self.file)
                .take(leaves.len() as u64 * HASH_BYTES)
                .read_to_end(&mut held)?;
            let whole = held.len() / HASH_BYTES as usize;
            for (i, (leaf, recorded)) in leaves
                .iter()
                .zip(held.chunks_exact(HASH_BYTES as usize))
                .enumerate()
            {
                if leaf.as_slice() != recorded {
                    return Ok(Some(first + i as u64));
                }
            }
            if whole < leaves.len() {
                self.file
                    .seek(SeekFrom::Start(offset + whole as u64 * HASH_BYTES))?;
                let new: Vec<u8> = leaves[whole..].iter().flatten().copied().collect();
                self.file.write_all(&new)?;
                self.file.sync_data()?;
            }
            Ok(None)
        })();
        result.map_err(io)
    }
}

/// The tree over the log as far as the registry has read it, and the record it checks against.
#[derive(Debug, Default)]
pub struct Witness {
    tree: RwLock<MerkleTree>,
    record: Mutex<Option<LeafRecord>>,
}

impl Witness {
    /// A witness that checks against and extends the leaf record of a data directory.
    pub fn recording(record: LeafRecord) -> Self {
        Self {
            tree: RwLock::default(),
            record: Mutex::new(Some(record)),
        }
    }

    fn tree(&self) -> RwLockReadGuard<'_, MerkleTree> {
        self.tree.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Called by one catch-up at a time, so the tree only grows here.
    /// `leaves` are the pages's leaf hashes, computed ahead by the caller.
    fn observe(&self, page: &[StoredEvent], leaves: &[Hash]) -> Result<(), RegistryError> {
        let mut new = Vec::with_capacity(page.len());
        let tree = self.tree();
        let first = tree.size();
        for (event, &leaf) in page.iter().zip(leaves) {
            let index = event.global_position.saturating_sub(1);
            // A page read again after a failed catch-up: already in the tree.
            if index < first {
                if tree.leaf(index) != Some(leaf) {
                    return Err(fault(
                        event.global_position,
                        "the event changed while the registry was running",
                    ));
                }
                continue;
            }
            let expected = first + new.len() as u64 + 1;
            if event.global_position != expected {
                return Err(fault(
                    expected,
                    format!(
                        "the log skips from position {} to {}",
                        expected - 1,
                        event.global_position
                    ),
                ));
            }
            new.push(leaf);
        }
        drop(tree);
        let mut record = self.record.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(record) = record.as_mut()
            && let Some(index) = record.witness(first, &new)?
        {
            return Err(fault(
                index + 1,
                "the event differs from the one recorded at this position",
            ));
        }
        let mut tree = self.tree.write().unwrap_or_else(|e| e.into_inner());
        for leaf in new {
            tree.push(leaf);
        }
        Ok(())
    }
}

impl Registry {
    /// Opens the registry with the tree over the log checked against, and
    /// recorded in, the leaf record of a data directory.
    pub async fn open_recording(
        store: Arc<dyn EventStore>,
        record: LeafRecord,
    ) -> Result<Self, RegistryError> {
        Self::open_with_witness(store, Witness::recording(record), None).await
    }

    /// The Merkle tree over every event indexed so far. Hold it briefly.
    pub fn merkle(&self) -> RwLockReadGuard<'_, MerkleTree> {
        self.witness.tree()
    }

    /// Called by catch-up with each page read and its leaf hashes, before it is indexed.
    pub(crate) fn witness_page(
        &self,
        page: &[StoredEvent],
        leaves: &[Hash],
    ) -> Result<(), RegistryError> {
        if page.len() != leaves.len() {
            return Err(RegistryError::CatchUpTask(format!(
                "{} leaf hashes for {} events",
                leaves.len(),
                page.len()
            )));
        }
        self.witness.observe(page, leaves)
    }
}

/// Opens the registry on `store` for serving or a command: checks the log
/// against the data directory's leaf record and latest signed checkpoint,
/// refusing a log that was changed after the fact, and signs a checkpoint if
/// the log grew since.
pub async fn open_verified(
    store: Arc<dyn EventStore>,
    data_dir: &Path,
    key: Option<&KeySource>,
) -> Result<(Registry, Checkpoints), RegistryError> {
    let tampered = tampered_in(data_dir);
    let checkpoints = Checkpoints::open(Arc::clone(&store), data_dir, key).await?;
    let record = LeafRecord::open(data_dir)?;
    let registry = Registry::open_with_witness(store, Witness::recording(record), Some(data_dir))
        .await
        .map_err(&tampered)?;
    checkpoints.check(&registry).map_err(&tampered)?;
    checkpoints.sign(&registry).await.map_err(&tampered)?;
    registry.keep_snapshot(data_dir).await;
    Ok((registry, checkpoints))
}

/// Opens the registry on `store` for a command that only reads: like
/// [`open_verified`], but creates nothing. The log is checked against the
/// leaf record and signed checkpoint where the data directory has them, and
/// a new checkpoint is signed only with a key that already exists.
pub async fn open_existing(
    store: Arc<dyn EventStore>,
    data_dir: &Path,
    key: Option<&KeySource>,
) -> Result<(Registry, Option<Checkpoints>), RegistryError> {
    let tampered = tampered_in(data_dir);
    let checkpoints = Checkpoints::open_existing(Arc::clone(&store), data_dir, key).await?;
    let witness = match LeafRecord::open_existing(data_dir)? {
        Some(record) => Witness::recording(record),
        None => Witness::default(),
    };
    let registry = Registry::open_with_witness(store, witness, Some(data_dir))
        .await
        .map_err(&tampered)?;
    if let Some(checkpoints) = &checkpoints {
        checkpoints.check(&registry).map_err(&tampered)?;
        checkpoints.sign(&registry).await.map_err(&tampered)?;
    }
    Ok((registry, checkpoints))
}

/// Turns a fault of the log into the error naming the data directory it was checked against.
fn tampered_in(data_dir: &Path) -> impl Fn(RegistryError) -> RegistryError + '_ {
    move |error| match error {
        RegistryError::LogFault { position, problem } => RegistryError::Tampered {
            position,
            problem,
            data_dir: data_dir.to_path_buf(),
        },
        other => other,
    }
}

/// Replays a log from its first event: recomputes the tree, compares each leaf
/// with a recorded one where there is a record, decodes every event, rebuilds
/// the timeline, and checks signed checkpoints. Every check names the first
/// position that fails.
#[derive(Debug, Default)]
pub struct LogVerifier {
    tree: MerkleTree,
    timeline: Timeline,
    recorded: Vec<Hash>,
    page: Vec<StoredEvent>,
}

impl LogVerifier {
    /// A verifier comparing leaves with `recorded` (empty: nothing recorded).
    pub fn new(recorded: Vec<Hash>) -> Self {
        Self {
            recorded,
            ..Self::default()
        }
    }

    /// Number of events taken so far.
    pub fn size(&self) -> u64 {
        self.tree.size()
    }

    /// Takes the next event of the log.
    pub fn push(&mut self, event: StoredEvent) -> Result<(), RegistryError> {
        let expected = self.tree.size() + 1;
        if event.global_position != expected {
            let problem = format!(
                "missing or out of order: the next event is the one of position {}",
                event.global_position
            );
            return Err(fault(expected, problem));
        }
        let leaf = event_leaf_hash(&event);
        if let Some(recorded) = self.recorded.get(self.tree.size() as usize)
            && *recorded != leaf
        {
            return Err(fault(
                expected,
                format!(
                    "the event hashes to {}, but {} was recorded",
                    hex(&leaf),
                    hex(recorded)
                ),
            ));
        }
        codec::decode(&event).map_err(|e| fault(expected, e.to_string()))?;
        self.tree.push(leaf);
        self.page.push(event);
        if self.page.len() >= CATCH_UP_PAGE {
            self.index_page()?;
        }
        Ok(())
    }

    fn index_page(&mut self) -> Result<(), RegistryError> {
        let page = std::mem::take(&mut self.page);
        let batches = decode_batches(&page).map_err(|e| fault(self.tree.size(), e.to_string()))?;
        for (jurisdiction, batch) in batches {
            self.timeline.ingest(&jurisdiction, batch);
        }
        Ok(())
    }

    /// Ends the replay: the timeline must be consistent, the log must hold
    /// every recorded event, and each checkpoint (oldest first) must be
    /// consistent with the log and with the next one.
    pub fn finish(
        mut self,
        checkpoints: &[&SignedCheckpoint],
    ) -> Result<MerkleTree, RegistryError> {
        self.index_page()?;
        let first_inconsistency = self
            .timeline
            .standards()
            .flat_map(|s| s.inconsistencies())
            .min_by_key(|i| i.global_position);
        if let Some(inconsistency) = first_inconsistency {
            return Err(fault(
                inconsistency.global_position,
                format!("the timeline does not rebuild: {}", inconsistency.message),
            ));
        }
        let size = self.tree.size();
        if (self.recorded.len() as u64) > size {
            return Err(fault(
                size + 1,
                format!(
                    "missing: {} events were recorded, the log holds {size}",
                    self.recorded.len()
                ),
            ));
        }
        let mut previous: Option<&SignedCheckpoint> = None;
        for signed in checkpoints {
            let checkpoint = &signed.checkpoint;
            if checkpoint.size > size {
                return Err(fault(
                    size + 1,
                    format!(
                        "missing: the checkpoint signs {} events, the log holds {size}",
                        checkpoint.size
                    ),
                ));
            }
            let root = self.tree.root_at(checkpoint.size)?;
            if root != checkpoint.root {
                return Err(fault(
                    checkpoint.size,
                    format!(
                        "an event at or before this position was changed: the first {} events hash to {}, the checkpoint signs {}",
                        checkpoint.size,
                        hex(&root),
                        hex(&checkpoint.root)
                    ),
                ));
            }
            if let Some(old) = previous {
                let (old, new) = (&old.checkpoint, checkpoint);
                if old.size > new.size {
                    return Err(fault(
                        new.size + 1,
                        format!(
                            "the newer checkpoint signs {} events, fewer than the {} signed before: history was truncated",
                            new.size, old.size
                        ),
                    ));
                }
                if old.size > 0 {
                    let proof = self.tree.consistency_proof(old.size, new.size)?;
                    verify_consistency(old.size, new.size, &old.root, &new.root, &proof)
                        .map_err(|e| {
                            fault(
                                old.size,
                                format!(
                                    "the checkpoint of size {} is not consistent with the one of size {}: {e}",
                                    old.size, new.size
                                ),
                            )
                        })?;
                }
            }
            previous = Some(signed);
        }
        Ok(self.tree)
    }
}

/// Reads the whole log of `store` into `verifier`, page by page.
pub async fn replay_store(
    store: &dyn EventStore,
    verifier: &mut LogVerifier,
) -> Result<u64, RegistryError> {
    let mut next = 1;
    loop {
        let page = store.read_all(next, CATCH_UP_PAGE).await?;
        let Some(last) = page.last() else {
            return Ok(next - 1);
        };
        next = last.global_position + 1;
        let full = page.len() == CATCH_UP_PAGE;
        for event in page {
            verifier.push(event)?;
        }
        if !full {
            return Ok(next - 1);
        }
    }
}
