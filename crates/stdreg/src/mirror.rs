//! `stdreg mirror --from URL`: follows a registry's log over gRPC into a
//! store of its own, importing events only once a signed checkpoint covering
//! them has been verified.
//!
//! For each checkpoint received: the signature must be the pinned key's,
//! the tree recomputed from the events must have the signed root at the
//! signed size, and the checkpoint must be consistent with the last one
//! accepted (the source's consistency proof, verified here). A history that
//! forks is refused naming the first position where the two differ, found
//! by bisecting with the source's consistency proofs against the signed root.
//!
//! Files of the mirror in `--data-dir` (beside the store's):
//!
//! | file                | content                                                  |
//! |---------------------|----------------------------------------------------------|
//! | `mirror-source.pub` | the source's key, pinned on first contact (trust on first use) |
//! | `mirror-checkpoint` | the source's last checkpoint verified and imported up to  |

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use event_store::{EventStore, StoredEvent};
use grpc::{FollowItem, LogClient};
use registry::CATCH_UP_PAGE;
use transparency::{Hash, MerkleTree, NoteVerifier, SignedCheckpoint, event_leaf_hash};

use crate::cli::Global;
use crate::commands::Failure;
use crate::store::Access;

/// File of the source's pinned public key inside the mirror's data directory.
pub const SOURCE_KEY_FILE: &str = "mirror-source.pub";
/// File of the last verified checkpoint of the source inside the mirror's data directory.
pub const SOURCE_CHECKPOINT_FILE: &str = "mirror-checkpoint";

/// Most events held in memory waiting for a checkpoint that covers them; a
/// source signs one after each revision, so this is far more than one revision's.
const PENDING_EVENTS_MAX: usize = 1_000_000;

#[derive(Debug, Args)]
pub struct MirrorArgs {
    /// The source's gRPC address, as `stdreg serve --grpc-listen` prints it: http://HOST:PORT
    #[arg(long)]
    pub from: String,
    /// Catch up with the source's latest checkpoint, then exit (default: follow until Ctrl-C).
    #[arg(long)]
    pub once: bool,
}

fn hex(hash: &Hash) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

fn grpc_failure(error: grpc::GrpcError) -> Failure {
    Failure::User(error.to_string())
}

/// The mirror's state: its store, the tree over every event it holds or
/// received, the key it trusts and the last checkpoint it accepted.
struct Mirror {
    url: String,
    dir: PathBuf,
    store: Arc<dyn EventStore>,
    tree: MerkleTree,
    /// Received events not yet covered by a verified checkpoint, in order.
    pending: Vec<StoredEvent>,
    key: NoteVerifier,
    accepted: Option<SignedCheckpoint>,
    json: bool,
}

pub async fn run(args: &MirrorArgs, global: &Global) -> Result<(), Failure> {
    let dir = &global.data_dir;
    std::fs::create_dir_all(dir).map_err(|e| {
        Failure::User(format!(
            "cannot create data directory {}: {e}; choose another with --data-dir",
            dir.display()
        ))
    })?;
    let store = crate::store::open(dir, global.store.as_deref(), Access::Create).await?;
    let tree = local_tree(store.as_ref()).await?;
    let pinned = read_pinned_key(dir)?;
    let accepted = read_accepted(dir, pinned.as_ref(), &tree)?;

    let mut client = LogClient::connect(&args.from).await.map_err(grpc_failure)?;
    let head = client.head().await.map_err(grpc_failure)?;
    let key = match pinned {
        Some(key) => {
            if head.public_key.trim() != key.to_string() {
                return Err(Failure::User(format!(
                    "{} signs its checkpoints with key {}, but key {key} was pinned in {} when this mirror first followed its source: refusing a key change (a different log, or a replaced key). If the operator rotated the key, confirm the new key with them and remove {} to trust it",
                    args.from,
                    head.public_key.trim(),
                    dir.join(SOURCE_KEY_FILE).display(),
                    dir.join(SOURCE_KEY_FILE).display()
                )));
            }
            key
        }
        None => {
            let key = NoteVerifier::parse(&head.public_key).map_err(|e| {
                Failure::User(format!("{} sent an unusable public key: {e}", args.from))
            })?;
            write_file(&dir.join(SOURCE_KEY_FILE), &format!("{key}\n"))?;
            eprintln!(
                "trusting key {key} of {} on first use; pinned in {}",
                args.from,
                dir.join(SOURCE_KEY_FILE).display()
            );
            key
        }
    };
    let target = match &head.note {
        Some(note) => {
            key.open(note)
                .map_err(|e| {
                    Failure::User(format!(
                        "the latest checkpoint of {} does not verify: {e}",
                        args.from
                    ))
                })?
                .checkpoint
                .size
        }
        None => {
            return Err(Failure::User(format!(
                "{} has signed no checkpoint yet (its log is empty): try again later",
                args.from
            )));
        }
    };
    let mut mirror = Mirror {
        url: args.from.clone(),
        dir: dir.clone(),
        store,
        tree,
        pending: Vec::new(),
        key,
        accepted,
        json: global.json,
    };
    mirror
        .follow(&mut client, args.once.then_some(target))
        .await
}

/// The tree over the mirror's own log.
async fn local_tree(store: &dyn EventStore) -> Result<MerkleTree, Failure> {
    let mut tree = MerkleTree::new();
    loop {
        let page = store
            .read_all(tree.size() + 1, CATCH_UP_PAGE)
            .await
            .map_err(|e| Failure::Internal(e.into()))?;
        let full = page.len() == CATCH_UP_PAGE;
        for event in &page {
            tree.push(event_leaf_hash(event));
        }
        if !full {
            return Ok(tree);
        }
    }
}

fn read_optional(path: &Path) -> Result<Option<String>, Failure> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Failure::User(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

fn read_pinned_key(dir: &Path) -> Result<Option<NoteVerifier>, Failure> {
    let path = dir.join(SOURCE_KEY_FILE);
    read_optional(&path)?
        .map(|text| {
            NoteVerifier::parse(&text).map_err(|e| {
                Failure::User(format!(
                    "{} does not hold a usable key: {e}",
                    path.display()
                ))
            })
        })
        .transpose()
}

/// A mirror's latest checkpoint of its source (covering what it imported)
/// and the source's key, for exporting a log this data directory holds
/// without a signing key of its own.
pub fn source_checkpoint(dir: &Path) -> Result<(Option<SignedCheckpoint>, NoteVerifier), Failure> {
    let Some(key) = read_pinned_key(dir)? else {
        return Err(Failure::User(format!(
            "no signing key in {}: an export ends with a checkpoint signed by the registry's key; give the --data-dir that holds {} (or --signing-key)",
            dir.display(),
            registry::verifiable::KEY_FILE
        )));
    };
    let path = dir.join(SOURCE_CHECKPOINT_FILE);
    let signed = read_optional(&path)?
        .map(|note| {
            key.open(&note)
                .map_err(|e| Failure::User(format!("{} does not verify: {e}", path.display())))
        })
        .transpose()?;
    Ok((signed, key))
}

/// The last accepted checkpoint, checked against the mirror's own log.
fn read_accepted(
    dir: &Path,
    key: Option<&NoteVerifier>,
    tree: &MerkleTree,
) -> Result<Option<SignedCheckpoint>, Failure> {
    let path = dir.join(SOURCE_CHECKPOINT_FILE);
    let note = read_optional(&path)?;
    let (Some(note), Some(key)) = (note, key) else {
        if tree.size() > 0 {
            return Err(Failure::User(format!(
                "{} holds a log of {} events that was not mirrored from a source (no {} and {}): mirror into a new data directory",
                dir.display(),
                tree.size(),
                SOURCE_KEY_FILE,
                SOURCE_CHECKPOINT_FILE
            )));
        }
        return Ok(None);
    };
    let signed = key
        .open(&note)
        .map_err(|e| Failure::User(format!("{} does not verify: {e}", path.display())))?;
    let size = signed.checkpoint.size;
    let root = tree.root_at(size).map_err(|_| {
        Failure::User(format!(
            "the mirror's log holds {} events, fewer than the {size} its checkpoint {} covers: events were removed; restore the mirror's store or mirror into a new data directory",
            tree.size(),
            path.display()
        ))
    })?;
    if root != signed.checkpoint.root {
        return Err(Failure::User(format!(
            "the mirror's own log no longer matches the checkpoint {} it verified (the first {size} events hash to {}, not {}): its store was changed; restore it or mirror into a new data directory",
            path.display(),
            hex(&root),
            hex(&signed.checkpoint.root)
        )));
    }
    Ok(Some(signed))
}

/// Writes a file whole: a reader sees the old content or the new one.
fn write_file(path: &Path, text: &str) -> Result<(), Failure> {
    let temporary = path.with_extension("new");
    std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| Failure::User(format!("cannot write {}: {e}", path.display())))
}

impl Mirror {
    fn verified_size(&self) -> u64 {
        self.accepted.as_ref().map_or(0, |s| s.checkpoint.size)
    }

    /// A refusal that names the position and says what was kept.
    fn refuse(&self, position: u64, problem: String) -> Failure {
        Failure::User(format!(
            "refusing the history of {}: at position {position}, {problem}. Nothing beyond position {} (the last checkpoint verified) was imported into {}",
            self.url,
            self.verified_size(),
            self.dir.display()
        ))
    }

    async fn follow(&mut self, client: &mut LogClient, target: Option<u64>) -> Result<(), Failure> {
        let mut stream = client
            .follow(self.tree.size() + 1)
            .await
            .map_err(grpc_failure)?;
        let interrupted = crate::serve::shutdown_signal();
        tokio::pin!(interrupted);
        loop {
            let item = if target.is_some() {
                stream.next().await
            } else {
                tokio::select! {
                    item = stream.next() => item,
                    () = &mut interrupted => return Ok(()),
                }
            };
            match item.map_err(|e| self.refuse(self.tree.size() + 1, e.to_string()))? {
                Some(FollowItem::Event(event)) => self.receive(event)?,
                Some(FollowItem::Checkpoint(note)) => {
                    self.verify_and_import(client, &note).await?;
                    if target.is_some_and(|target| self.verified_size() >= target) {
                        return Ok(());
                    }
                }
                None => {
                    return Err(Failure::User(format!(
                        "{} ended the stream (it shut down?) with the mirror verified up to position {}: run the mirror again to resume",
                        self.url,
                        self.verified_size()
                    )));
                }
            }
        }
    }

    fn receive(&mut self, event: StoredEvent) -> Result<(), Failure> {
        let expected = self.tree.size() + 1;
        if event.global_position != expected {
            return Err(self.refuse(
                expected,
                format!(
                    "the source sent the event of position {} instead",
                    event.global_position
                ),
            ));
        }
        if self.pending.len() >= PENDING_EVENTS_MAX {
            return Err(self.refuse(
                expected,
                format!(
                    "the source sent {PENDING_EVENTS_MAX} events without a checkpoint covering them"
                ),
            ));
        }
        self.tree.push(event_leaf_hash(&event));
        self.pending.push(event);
        Ok(())
    }

    async fn verify_and_import(
        &mut self,
        client: &mut LogClient,
        note: &str,
    ) -> Result<(), Failure> {
        let signed = self.key.open(note).map_err(|e| {
            self.refuse(
                self.tree.size(),
                format!("a checkpoint does not verify with the pinned key: {e}"),
            )
        })?;
        let (size, root) = (signed.checkpoint.size, signed.checkpoint.root);
        if size > self.tree.size() {
            return Err(self.refuse(
                self.tree.size() + 1,
                format!(
                    "the source signed {size} events but sent only {}",
                    self.tree.size()
                ),
            ));
        }
        let ours = self
            .tree
            .root_at(size)
            .map_err(|e| Failure::Internal(e.into()))?;
        if ours != root {
            let position = self.first_divergence(client, size, &root).await;
            return Err(self.refuse(
                position,
                format!(
                    "the history forks: the source signs {size} events with root {}, the events held and received hash to {}; the two logs differ first at position {position}",
                    hex(&root),
                    hex(&ours)
                ),
            ));
        }
        if let Some(old) = &self.accepted {
            let (old_size, old_root) = (old.checkpoint.size, old.checkpoint.root);
            if size < old_size {
                return Err(self.refuse(
                    size + 1,
                    format!(
                        "the source's latest checkpoint signs {size} events, fewer than the {old_size} verified before: its history was truncated"
                    ),
                ));
            }
            if size > old_size {
                let proof = client
                    .consistency_proof(old_size, size)
                    .await
                    .map_err(|e| self.refuse(old_size + 1, e.to_string()))?;
                transparency::verify_consistency(old_size, size, &old_root, &root, &proof)
                    .map_err(|e| {
                        self.refuse(
                            old_size + 1,
                            format!(
                                "the source's proof that its checkpoint of {size} events extends the one of {old_size} does not verify: {e}"
                            ),
                        )
                    })?;
            }
        }
        let covered = self
            .pending
            .iter()
            .take_while(|event| event.global_position <= size)
            .count();
        let events: Vec<StoredEvent> = self.pending.drain(..covered).collect();
        let imported = events.len();
        for chunk in events.chunks(CATCH_UP_PAGE) {
            self.store
                .import_stored(chunk.to_vec())
                .await
                .map_err(|e| Failure::Internal(e.into()))?;
        }
        write_file(&self.dir.join(SOURCE_CHECKPOINT_FILE), signed.note())?;
        self.accepted = Some(signed);
        let mut stdout = std::io::stdout().lock();
        let _ = if self.json {
            writeln!(
                stdout,
                "{}",
                serde_json::json!({ "verified_size": size, "root": hex(&root), "imported": imported })
            )
        } else {
            writeln!(
                stdout,
                "verified checkpoint of size {size} (root {}), imported {imported} events",
                hex(&root)
            )
        };
        let _ = stdout.flush();
        Ok(())
    }

    /// The first position where the source's signed tree of `size` events
    /// and the mirror's tree differ: bisects for the longest prefix the
    /// source proves consistent with its signed root.
    async fn first_divergence(&self, client: &mut LogClient, size: u64, root: &Hash) -> u64 {
        // Our first `agree` leaves are the source's; those of `differ` are not.
        let (mut agree, mut differ) = (0, size);
        while differ - agree > 1 {
            let middle = agree + (differ - agree) / 2;
            let consistent = match (
                self.tree.root_at(middle),
                client.consistency_proof(middle, size).await,
            ) {
                (Ok(ours), Ok(proof)) => {
                    transparency::verify_consistency(middle, size, &ours, root, &proof).is_ok()
                }
                _ => false,
            };
            if consistent {
                agree = middle;
            } else {
                differ = middle;
            }
        }
        differ
    }
}
