//! The log's identity and its signed checkpoints, kept in the store so that
//! every server of one log signs under one key and serves one latest
//! checkpoint, and the cosignatures of the log's witnesses gathered for it.
//!
//! # In the store (metadata records, opaque to the backend)
//!
//! | record           | content                                                          |
//! |------------------|------------------------------------------------------------------|
//! | `log-identity`   | the log's public key `<origin>+<id>+<key>`, written once when the log is first signed |
//! | `log-checkpoint` | the latest signed checkpoint, with the cosignatures gathered for it |
//!
//! A server signs only with the key whose public half is the log's identity
//! (`--signing-key`, `STDREG_SIGNING_KEY`, or the data directory's
//! `log-key`); without it, it serves read-only. The checkpoint record is
//! replaced by compare-and-set only with a larger checkpoint, or with the
//! same one carrying more cosignatures; two servers signing one size with one
//! key write the same bytes (Ed25519 signatures are deterministic).
//!
//! The data directory keeps its own copy of the latest checkpoint it saw
//! (`checkpoint`): a store rolled back behind it is refused on open.

use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use event_store::{EventStore, StoreError};
use tokio::sync::watch;
use transparency::{AddCheckpoint, CosignerKey, NoteSigner, NoteVerifier, SignedCheckpoint};

use crate::service::{Registry, RegistryError};
use crate::verifiable::{CHECKPOINT_FILE, KEY_FILE, PUBLIC_KEY_FILE, data_dir_error, fault, hex};

/// Metadata record of the log's identity (its public key) in the store.
pub const IDENTITY_RECORD: &str = "log-identity";
/// Metadata record of the latest signed checkpoint in the store.
pub const CHECKPOINT_RECORD: &str = "log-checkpoint";
/// How often a server re-reads the store's checkpoint, to serve what
/// another server signed or the cosignatures it gathered.
pub const CHECKPOINT_POLL: Duration = Duration::from_secs(1);
/// Compare-and-set attempts of one signing before giving up until the next.
const WRITE_ATTEMPTS: usize = 8;

/// Where the signing key comes from: `PRIVATE+KEY+…` is the key itself (a
/// secret passed in the environment), anything else names a file holding it.
#[derive(Clone)]
pub enum KeySource {
    File(PathBuf),
    Text(String),
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
            Self::Text(_) => f.write_str("Text(..)"),
        }
    }
}

impl KeySource {
    pub fn from_arg(arg: &str) -> Self {
        if arg.trim_start().starts_with("PRIVATE+KEY+") {
            Self::Text(arg.to_owned())
        } else {
            Self::File(PathBuf::from(arg))
        }
    }

    fn read(&self) -> Result<NoteSigner, RegistryError> {
        match self {
            Self::File(path) => read_key(path),
            Self::Text(text) => NoteSigner::parse(text).map_err(|e| RegistryError::SigningKey {
                what: "given with --signing-key or STDREG_SIGNING_KEY".into(),
                problem: e.to_string(),
            }),
        }
    }
}

/// A witness the registry asks to cosign its checkpoints (C2SP tlog-witness).
#[async_trait]
pub trait Cosigner: Send + Sync + fmt::Debug {
    /// The witness's public key: only its cosignatures are kept.
    fn key(&self) -> &CosignerKey;
    /// Sends `add-checkpoint`; answers the witness's signature lines.
    async fn add_checkpoint(&self, request: &AddCheckpoint) -> Result<String, CosignError>;
}

/// Why a witness did not cosign.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CosignError {
    /// The witness last cosigned another size: ask again from there.
    #[error("the witness last cosigned a checkpoint of size {size}")]
    Conflict { size: u64 },
    /// Anything else: refused, unreachable, a malformed answer.
    #[error("{0}")]
    Failed(String),
}

/// The log's identity, the key this process signs with (if it has the
/// log's), and the latest signed checkpoint.
#[derive(Debug)]
pub struct Checkpoints {
    dir: PathBuf,
    store: Arc<dyn EventStore>,
    identity: NoteVerifier,
    signer: Option<NoteSigner>,
    read_only: Option<String>,
    /// Whether the data directory keeps a copy of the latest checkpoint.
    keeps_copy: bool,
    /// The data directory's copy as found on opening.
    copy: Option<SignedCheckpoint>,
    latest: watch::Sender<Option<SignedCheckpoint>>,
    cosigners: Vec<Arc<dyn Cosigner>>,
    /// Per witness, the largest size it was asked to cosign: asked once each.
    asked: Mutex<HashMap<String, u64>>,
}

impl Checkpoints {
    /// For the commands that record and for `serve`: the log's identity from
    /// the store; where the log has none yet, the given key, the data
    /// directory's, or a new one generated there becomes it.
    pub async fn open(
        store: Arc<dyn EventStore>,
        data_dir: &Path,
        key: Option<&KeySource>,
    ) -> Result<Self, RegistryError> {
        let opened = Self::open_with(store, data_dir, key, true).await?;
        opened.ok_or_else(|| RegistryError::CatchUpTask("no identity after creating one".into()))
    }

    /// For the commands that only read: like [`Checkpoints::open`] but
    /// generates no key and creates no file. `None` when neither the store
    /// nor a key names the log's identity.
    pub async fn open_existing(
        store: Arc<dyn EventStore>,
        data_dir: &Path,
        key: Option<&KeySource>,
    ) -> Result<Option<Self>, RegistryError> {
        Self::open_with(store, data_dir, key, false).await
    }

    async fn open_with(
        store: Arc<dyn EventStore>,
        data_dir: &Path,
        key: Option<&KeySource>,
        create: bool,
    ) -> Result<Option<Self>, RegistryError> {
        let given = match key {
            Some(source) => Some(source.read()?),
            None => {
                let path = data_dir.join(KEY_FILE);
                if path.is_file() {
                    Some(read_key(&path)?)
                } else {
                    None
                }
            }
        };
        let recorded = read_identity(store.as_ref()).await?;
        let (identity, signer) = match (recorded, given) {
            (Some(identity), given) => (identity, given),
            (None, Some(signer)) => (adopt(store.as_ref(), &signer).await?, Some(signer)),
            (None, None) if create => {
                let signer = generate_key(data_dir)?;
                (adopt(store.as_ref(), &signer).await?, Some(signer))
            }
            (None, None) => return Ok(None),
        };
        let (signer, read_only) = match signer {
            Some(signer) if signer.verifier() == identity => (Some(signer), None),
            Some(signer) => (
                None,
                Some(format!(
                    "the signing key {} is not the log's key {identity} recorded in the store: supply the log's key with --signing-key or STDREG_SIGNING_KEY",
                    signer.verifier()
                )),
            ),
            None => (
                None,
                Some(format!(
                    "no signing key: supply the key of the log ({identity}) with --signing-key or STDREG_SIGNING_KEY"
                )),
            ),
        };
        if let Some(reason) = &read_only {
            tracing::warn!("serving read-only, signing no checkpoint: {reason}");
        }
        let keeps_copy = create || signer.is_some();
        if keeps_copy {
            let public = data_dir.join(PUBLIC_KEY_FILE);
            let text = format!("{identity}\n");
            if std::fs::read_to_string(&public).ok().as_deref() != Some(text.as_str()) {
                std::fs::write(&public, text).map_err(data_dir_error(&public))?;
            }
        }
        let copy = read_copy(data_dir, &identity)?;
        let checkpoints = Self {
            dir: data_dir.to_path_buf(),
            store,
            identity,
            signer,
            read_only,
            keeps_copy,
            copy: copy.clone(),
            latest: watch::channel(None).0,
            cosigners: Vec::new(),
            asked: Mutex::new(HashMap::new()),
        };
        let (held, stored) = checkpoints.read_stored().await?;
        match (stored, copy) {
            (Some(stored), _) => checkpoints.publish(stored)?,
            // A registry from before checkpoints lived in the store.
            (None, Some(copy)) if keeps_copy => {
                match checkpoints
                    .store
                    .write_metadata(CHECKPOINT_RECORD, held.as_deref(), copy.note().as_bytes())
                    .await
                {
                    Ok(()) => tracing::info!(
                        size = copy.checkpoint.size,
                        "recorded the data directory's latest checkpoint in the store"
                    ),
                    Err(StoreError::MetadataConflict { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
                checkpoints.latest.send_replace(Some(copy));
            }
            (None, copy) => {
                checkpoints.latest.send_replace(copy);
            }
        }
        Ok(Some(checkpoints))
    }

    /// Asks these witnesses to cosign each checkpoint this process signs.
    pub fn with_cosigners(mut self, cosigners: Vec<Arc<dyn Cosigner>>) -> Self {
        self.cosigners = cosigners;
        self
    }

    /// The log's public key, as recorded in the store.
    pub fn verifier(&self) -> NoteVerifier {
        self.identity.clone()
    }

    /// Why this process signs no checkpoint (no key, or not the log's), if it does not.
    pub fn read_only(&self) -> Option<&str> {
        self.read_only.as_deref()
    }

    /// The latest signed checkpoint, if any.
    pub fn latest(&self) -> Option<SignedCheckpoint> {
        self.latest.borrow().clone()
    }

    /// Watches the latest signed checkpoint.
    pub fn subscribe(&self) -> watch::Receiver<Option<SignedCheckpoint>> {
        self.latest.subscribe()
    }

    /// Checks that the registry's tree still has the signed roots at the
    /// signed sizes: the store's checkpoint's and the data directory's copy's.
    pub fn check(&self, registry: &Registry) -> Result<(), RegistryError> {
        for signed in [self.copy.as_ref(), self.latest().as_ref()]
            .into_iter()
            .flatten()
        {
            check_tree(signed, registry, true)?;
        }
        Ok(())
    }

    /// The store's checkpoint record, as bytes (for compare-and-set) and opened.
    async fn read_stored(
        &self,
    ) -> Result<(Option<Vec<u8>>, Option<SignedCheckpoint>), RegistryError> {
        let Some(bytes) = self.store.read_metadata(CHECKPOINT_RECORD).await? else {
            return Ok((None, None));
        };
        let opened = std::str::from_utf8(&bytes)
            .map_err(|e| e.to_string())
            .and_then(|note| self.identity.open(note).map_err(|e| e.to_string()))
            .map_err(|problem| {
                RegistryError::Identity(format!(
                    "the store's latest checkpoint does not verify with the log's key {}: {problem}",
                    self.identity
                ))
            })?;
        Ok((Some(bytes), Some(opened)))
    }

    /// Makes `signed` the latest if it is larger, or the same with other
    /// (more) signatures, and keeps a copy of it in the data directory.
    fn publish(&self, signed: SignedCheckpoint) -> Result<(), RegistryError> {
        let newer = self.latest.borrow().as_ref().is_none_or(|held| {
            signed.checkpoint.size > held.checkpoint.size
                || (signed.checkpoint.size == held.checkpoint.size && signed.note() != held.note())
        });
        if !newer {
            return Ok(());
        }
        if self.keeps_copy {
            let path = self.dir.join(CHECKPOINT_FILE);
            write_atomically(&self.dir, &path, signed.note().as_bytes())
                .map_err(data_dir_error(&path))?;
        }
        self.latest.send_replace(Some(signed));
        Ok(())
    }

    /// Signs the registry's current tree if it grew beyond the store's latest
    /// checkpoint (with the log's key, if this process has it), records it in
    /// the store, asks the witnesses to cosign it, and returns the latest one.
    /// A checkpoint another server signed is taken over as it is.
    pub async fn sign(
        &self,
        registry: &Registry,
    ) -> Result<Option<SignedCheckpoint>, RegistryError> {
        for _ in 0..WRITE_ATTEMPTS {
            let (held_bytes, held) = self.read_stored().await?;
            if let Some(held) = &held {
                check_tree(held, registry, false)?;
            }
            let held_size = held.as_ref().map_or(0, |h| h.checkpoint.size);
            let (size, root) = {
                let tree = registry.merkle();
                (tree.size(), tree.root())
            };
            let signer = match &self.signer {
                Some(signer) if size > held_size => signer,
                _ => {
                    if let Some(held) = held {
                        // Witnesses added since, or down when it was signed.
                        let held = match &self.signer {
                            Some(_) if held_size == size => {
                                self.cosign(registry, held, held_size).await?
                            }
                            _ => held,
                        };
                        self.publish(held)?;
                    }
                    return Ok(self.latest());
                }
            };
            let signed = signer.sign(size, root);
            match self
                .store
                .write_metadata(
                    CHECKPOINT_RECORD,
                    held_bytes.as_deref(),
                    signed.note().as_bytes(),
                )
                .await
            {
                Ok(()) => {
                    tracing::info!(size, origin = %signed.checkpoint.origin, "checkpoint signed");
                    // Served once the witnesses had their say.
                    let cosigned = self.cosign(registry, signed, held_size).await?;
                    self.publish(cosigned)?;
                    return Ok(self.latest());
                }
                // Another server signed meanwhile: read what it wrote.
                Err(StoreError::MetadataConflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        tracing::warn!("the store's checkpoint kept changing while signing; trying again later");
        Ok(self.latest())
    }

    /// Asks each witness that has not cosigned `signed` (and was not asked
    /// for this size already) to cosign it, from `previous_size` or the size
    /// the witness says it holds; records the checkpoint with the valid
    /// cosignatures gathered, unless the store moved on, and returns it.
    async fn cosign(
        &self,
        registry: &Registry,
        signed: SignedCheckpoint,
        previous_size: u64,
    ) -> Result<SignedCheckpoint, RegistryError> {
        let size = signed.checkpoint.size;
        let mut lines = String::new();
        for cosigner in &self.cosigners {
            let name = cosigner.key().name().to_owned();
            if cosigner.key().verify(signed.note()).is_ok() {
                continue;
            }
            {
                let mut asked = self.asked.lock().unwrap_or_else(|e| e.into_inner());
                if asked.get(&name).is_some_and(|&asked| asked >= size) {
                    continue;
                }
                asked.insert(name.clone(), size);
            }
            let mut old_size = previous_size;
            for attempt in 0..2 {
                let proof = if old_size == 0 || old_size >= size {
                    Vec::new()
                } else {
                    registry.merkle().consistency_proof(old_size, size)?
                };
                let request = AddCheckpoint {
                    old_size,
                    proof,
                    note: signed.note().to_owned(),
                };
                match cosigner.add_checkpoint(&request).await {
                    Ok(answer) => {
                        let own: String = answer
                            .split_inclusive('\n')
                            .filter(|line| {
                                line.strip_prefix("\u{2014} ")
                                    .and_then(|rest| rest.split_once(' '))
                                    .is_some_and(|(n, _)| n == name)
                            })
                            .collect();
                        match cosigner
                            .key()
                            .verify(signed.with_signature_lines(&own).note())
                        {
                            Ok(_) => lines.push_str(&own),
                            Err(e) => {
                                tracing::warn!(witness = %name, error = %e, "the witness's answer holds no valid cosignature")
                            }
                        }
                        break;
                    }
                    Err(CosignError::Conflict { size: held })
                        if attempt == 0 && held != old_size && held <= size =>
                    {
                        old_size = held;
                    }
                    Err(e) => {
                        tracing::warn!(witness = %name, size, error = %e, "the witness did not cosign the checkpoint");
                        break;
                    }
                }
            }
        }
        if lines.is_empty() {
            return Ok(signed);
        }
        let cosigned = signed.with_signature_lines(&lines);
        match self
            .store
            .write_metadata(
                CHECKPOINT_RECORD,
                Some(signed.note().as_bytes()),
                cosigned.note().as_bytes(),
            )
            .await
        {
            Ok(()) => {
                tracing::info!(size, "checkpoint cosigned");
                Ok(cosigned)
            }
            // Another server recorded it first: serve what the store holds.
            Err(StoreError::MetadataConflict { .. }) => {
                Ok(self.read_stored().await?.1.unwrap_or(signed))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Signs (or takes over) a checkpoint each time the registry indexes new
    /// events, and re-reads the store's every [`CHECKPOINT_POLL`], until `shutdown`.
    pub async fn follow(
        &self,
        registry: &Registry,
        mut shutdown: watch::Receiver<bool>,
    ) -> Result<(), RegistryError> {
        let mut indexed = registry.indexed();
        loop {
            if let Err(e) = self.sign(registry).await {
                match e {
                    RegistryError::Store(e) => {
                        tracing::warn!(error = %e, "could not sign or read the latest checkpoint; trying again")
                    }
                    other => return Err(other),
                }
            }
            tokio::select! {
                changed = indexed.changed() => if changed.is_err() { return Ok(()) },
                () = tokio::time::sleep(CHECKPOINT_POLL) => {}
                _ = shutdown.changed() => return Ok(()),
            }
            if *shutdown.borrow() {
                return Ok(());
            }
        }
    }
}

/// Checks that the registry's tree has the signed root at the signed size;
/// a checkpoint beyond the tree is a fault when `whole` (the log must hold
/// everything signed), else it is left for when the registry has caught up.
fn check_tree(
    signed: &SignedCheckpoint,
    registry: &Registry,
    whole: bool,
) -> Result<(), RegistryError> {
    let checkpoint = &signed.checkpoint;
    let tree = registry.merkle();
    if checkpoint.size > tree.size() {
        if !whole {
            return Ok(());
        }
        return Err(fault(
            tree.size() + 1,
            format!(
                "the log holds {} events, but {} were signed",
                tree.size(),
                checkpoint.size
            ),
        ));
    }
    let root = tree.root_at(checkpoint.size)?;
    if root != checkpoint.root {
        return Err(fault(
            checkpoint.size,
            format!(
                "the first {} events hash to {}, not to the signed root {}",
                checkpoint.size,
                hex(&root),
                hex(&checkpoint.root)
            ),
        ));
    }
    Ok(())
}

async fn read_identity(store: &dyn EventStore) -> Result<Option<NoteVerifier>, RegistryError> {
    let Some(bytes) = store.read_metadata(IDENTITY_RECORD).await? else {
        return Ok(None);
    };
    std::str::from_utf8(&bytes)
        .map_err(|e| e.to_string())
        .and_then(|text| NoteVerifier::parse(text).map_err(|e| e.to_string()))
        .map(Some)
        .map_err(|problem| {
            RegistryError::Identity(format!(
                "the log's identity recorded in the store is not a public key: {problem}"
            ))
        })
}

/// Records `signer`'s public key as the log's identity; if another process
/// recorded one first, that one is the log's.
async fn adopt(store: &dyn EventStore, signer: &NoteSigner) -> Result<NoteVerifier, RegistryError> {
    let identity = signer.verifier();
    match store
        .write_metadata(IDENTITY_RECORD, None, identity.to_string().as_bytes())
        .await
    {
        Ok(()) => {
            tracing::info!(key = %identity, "recorded the signing key as the log's identity in the store");
            Ok(identity)
        }
        Err(StoreError::MetadataConflict { .. }) => read_identity(store)
            .await?
            .ok_or_else(|| RegistryError::Identity("the log's identity vanished".into())),
        Err(e) => Err(e.into()),
    }
}

/// The data directory's copy of the latest checkpoint, if it has one signed
/// by the log's key (a copy under another key is ignored, with a warning).
fn read_copy(
    data_dir: &Path,
    identity: &NoteVerifier,
) -> Result<Option<SignedCheckpoint>, RegistryError> {
    let path = data_dir.join(CHECKPOINT_FILE);
    match std::fs::read_to_string(&path) {
        Ok(note) => match identity.open(&note) {
            Ok(signed) => Ok(Some(signed)),
            Err(e) => {
                tracing::warn!(
                    path = %path.display(),
                    error = %e,
                    "ignoring a checkpoint not signed by the log's key"
                );
                Ok(None)
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(data_dir_error(&path)(e)),
    }
}

/// Replaces `path` with `bytes` through a temporary file of its own: several
/// processes on one data directory may sign at once, and each must rename a
/// whole file of its own, never one another process is writing or has moved.
fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut temporary = tempfile::Builder::new()
        .prefix(&format!(".{CHECKPOINT_FILE}."))
        .suffix(".new")
        .tempfile_in(dir)?;
    temporary.write_all(bytes)?;
    temporary.as_file().sync_data()?;
    temporary.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn read_key(path: &Path) -> Result<NoteSigner, RegistryError> {
    let text = std::fs::read_to_string(path).map_err(data_dir_error(path))?;
    NoteSigner::parse(&text).map_err(|e| RegistryError::SigningKey {
        what: format!("in {}", path.display()),
        problem: e.to_string(),
    })
}

fn generate_key(data_dir: &Path) -> Result<NoteSigner, RegistryError> {
    let path = data_dir.join(KEY_FILE);
    let random = |bytes: &mut [u8]| {
        getrandom::fill(bytes).map_err(|e| RegistryError::DataDir {
            path: path.clone(),
            source: std::io::Error::other(format!("no randomness for a new key: {e}")),
        })
    };
    let mut seed = [0; 32];
    random(&mut seed)?;
    let mut tag = [0; 8];
    random(&mut tag)?;
    let tag: String = tag.iter().map(|b| format!("{b:02x}")).collect();
    let signer = NoteSigner::from_seed(&format!("stdreg/log-{tag}"), seed)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // The key is secret: readable by its owner only.
        options.mode(0o600);
    }
    let mut file = options.open(&path).map_err(data_dir_error(&path))?;
    file.write_all(format!("{}\n", signer.to_private_text()).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(data_dir_error(&path))?;
    tracing::info!(key = %signer.verifier(), "generated a signing key for the log");
    Ok(signer)
}
