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
//!
//! With `--token` of an editor or auditor the source also sends each event's
//! sealed bytes (who recorded it), which the mirror checks against the
//! commitment the event's leaf covers and stores with it; without one it
//! stores none, and knows no actor of an event of schema version 3.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use event_store::EventStore;
use grpc::{FollowItem, LogClient};
use registry::CATCH_UP_PAGE;
use transparency::{
    CosignerKey, FollowRefusal, Follower, Hash, MerkleTree, NoteVerifier, SavedCheckpointError,
    SignedCheckpoint, check_quorum, check_saved, event_leaf_hash,
};

use crate::cli::Global;
use crate::commands::Failure;
use crate::store::Access;

/// File of the source's pinned public key inside the mirror's data directory.
pub const SOURCE_KEY_FILE: &str = "mirror-source.pub";
/// File of the last verified checkpoint of the source inside the mirror's data directory.
pub const SOURCE_CHECKPOINT_FILE: &str = "mirror-checkpoint";

#[derive(Debug, Args)]
pub struct MirrorArgs {
    /// The source's gRPC address, as `stdreg serve --grpc-listen` prints it: http://HOST:PORT
    #[arg(long)]
    pub from: String,
    /// Catch up with the source's latest checkpoint, then exit (default: follow until Ctrl-C).
    #[arg(long)]
    pub once: bool,
    /// A witness's public key (NAME+ID+KEY, or a file holding it); repeat for each witness.
    #[arg(long = "witness")]
    pub witnesses: Vec<String>,
    /// How many of the --witness keys must have cosigned a checkpoint before it is accepted (default: all).
    #[arg(long)]
    pub witness_quorum: Option<usize>,
    /// A bearer token of an editor or auditor of the source: the mirror then receives and keeps who recorded each event (default: an anonymous mirror, which does not).
    #[arg(long, env = "STDREG_MIRROR_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

fn hex(hash: &Hash) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

fn grpc_failure(error: grpc::GrpcError) -> Failure {
    Failure::User(error.to_string())
}

/// The mirror: its store, and what it accepted of its source (in [`Follower`]).
struct Mirror {
    url: String,
    dir: PathBuf,
    store: Arc<dyn EventStore>,
    follower: Follower,
    json: bool,
    witnesses: Vec<CosignerKey>,
    quorum: usize,
}

pub async fn run(args: &MirrorArgs, global: &Global) -> Result<(), Failure> {
    let (witnesses, quorum) = crate::verify::witness_policy(&args.witnesses, args.witness_quorum)?;
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
    if let Some(token) = &args.token {
        client = client.with_token(token).map_err(grpc_failure)?;
    }
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
            let size = key
                .open(note)
                .map_err(|e| {
                    Failure::User(format!(
                        "the latest checkpoint of {} does not verify: {e}",
                        args.from
                    ))
                })?
                .checkpoint
                .size;
            if !witnesses.is_empty() {
                check_quorum(note, &witnesses, quorum).map_err(|e| {
                    Failure::User(format!(
                        "refusing the latest checkpoint of {} (size {size}): {e}",
                        args.from
                    ))
                })?;
            }
            size
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
        follower: Follower::new(tree, key, accepted),
        json: global.json,
        witnesses,
        quorum,
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
    check_saved(key, &note, tree).map(Some).map_err(|e| {
        let what = match e {
            SavedCheckpointError::NotVerified(_) => "",
            _ => ": restore the mirror's store or mirror into a new data directory",
        };
        Failure::User(format!(
            "the mirror's checkpoint {} does not fit its log: {e}{what}",
            path.display()
        ))
    })
}

/// Writes a file whole: a reader sees the old content or the new one.
fn write_file(path: &Path, text: &str) -> Result<(), Failure> {
    let temporary = path.with_extension("new");
    std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| Failure::User(format!("cannot write {}: {e}", path.display())))
}

impl Mirror {
    /// A refusal that names the position and says what was kept.
    fn refuse(&self, position: u64, problem: impl std::fmt::Display) -> Failure {
        Failure::User(format!(
            "refusing the history of {}: at position {position}, {problem}. Nothing beyond position {} (the last checkpoint verified) was imported into {}",
            self.url,
            self.follower.verified_size(),
            self.dir.display()
        ))
    }

    fn refusal(&self, refusal: FollowRefusal) -> Failure {
        self.refuse(refusal.position(), refusal)
    }

    async fn follow(&mut self, client: &mut LogClient, target: Option<u64>) -> Result<(), Failure> {
        let mut stream = client
            .follow(self.follower.tree().size() + 1)
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
            let next = self.follower.tree().size() + 1;
            match item.map_err(|e| self.refuse(next, e))? {
                Some(FollowItem::Event(event)) => {
                    self.follower.receive(event).map_err(|r| self.refusal(r))?
                }
                Some(FollowItem::Checkpoint(note)) => {
                    self.verify_and_import(client, &note).await?;
                    if target.is_some_and(|target| self.follower.verified_size() >= target) {
                        return Ok(());
                    }
                }
                None => {
                    return Err(Failure::User(format!(
                        "{} ended the stream (it shut down?) with the mirror verified up to position {}: run the mirror again to resume",
                        self.url,
                        self.follower.verified_size()
                    )));
                }
            }
        }
    }

    async fn verify_and_import(
        &mut self,
        client: &mut LogClient,
        note: &str,
    ) -> Result<(), Failure> {
        if !self.witnesses.is_empty()
            && let Err(e) = check_quorum(note, &self.witnesses, self.quorum)
        {
            // Cosignatures follow the log's signature; a later checkpoint may have them.
            eprintln!(
                "not accepting a checkpoint of {} yet: {e}; waiting for one witnessed as required",
                self.url
            );
            return Ok(());
        }
        let candidate = match self.follower.check(note) {
            Ok(candidate) => candidate,
            Err(refusal) => {
                let refusal = self.first_divergence(client, refusal).await;
                return Err(self.refusal(refusal));
            }
        };
        let proof = match candidate.proof_needed() {
            Some((old_size, size)) => client
                .consistency_proof(old_size, size)
                .await
                .map_err(|e| self.refuse(old_size + 1, e))?,
            None => Vec::new(),
        };
        let events = self
            .follower
            .accept(candidate, &proof)
            .map_err(|r| self.refusal(r))?;
        // Sealed bytes lie outside the leaves the checkpoint covers: keep
        // them only if they match the actor commitment that the leaf covers.
        for event in events.iter().filter(|e| e.sealed.is_some()) {
            registry::codec::decode(event).map_err(|e| self.refuse(event.global_position, e))?;
        }
        let imported = events.len();
        for chunk in events.chunks(CATCH_UP_PAGE) {
            self.store
                .import_stored(chunk.to_vec())
                .await
                .map_err(|e| Failure::Internal(e.into()))?;
        }
        let Some(signed) = self.follower.accepted() else {
            return Err(Failure::Internal(anyhow::anyhow!(
                "no checkpoint after accepting one"
            )));
        };
        let (size, root) = (signed.checkpoint.size, signed.checkpoint.root);
        write_file(&self.dir.join(SOURCE_CHECKPOINT_FILE), signed.note())?;
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

    /// A fork's refusal with the first position where the source's history
    /// and the mirror's differ, bisected with the source's consistency
    /// proofs; any other refusal as it is.
    async fn first_divergence(
        &self,
        client: &mut LogClient,
        refusal: FollowRefusal,
    ) -> FollowRefusal {
        let Some(mut search) = self.follower.fork_search(&refusal) else {
            return refusal;
        };
        while let Some((middle, size)) = search.probe() {
            let proof = client.consistency_proof(middle, size).await.ok();
            search.answer(&self.follower, proof.as_deref());
        }
        search.refusal(refusal)
    }
}
