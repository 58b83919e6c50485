//! `stdreg verify [EXPORT] [--checkpoint FILE] [--key KEY]`: replays a log
//! from its first event, offline from an export or from a live store, and
//! fails naming the first position that does not verify.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use registry::verifiable::{
    CHECKPOINT_FILE, LEAVES_FILE, LeafRecord, LogVerifier, PUBLIC_KEY_FILE, replay_store,
};
use serde::Serialize;
use transparency::{
    EXPORT_LINE_BYTES_MAX, ExportError, ExportReader, NoteVerifier, SignedCheckpoint,
};

use crate::commands::Failure;
use crate::store::Location;

#[derive(Debug, Serialize)]
struct Report {
    events: u64,
    root: String,
    checkpoint_size: Option<u64>,
    key: Option<String>,
    /// Size of the earlier checkpoint found consistent with the latest one.
    consistent_with: Option<u64>,
    /// False when no signed checkpoint was found: only the log's internal
    /// consistency was checked, not that it is the history that was signed.
    against_signed_checkpoint: bool,
    seconds: f64,
}

pub struct Options<'a> {
    pub export: Option<&'a Path>,
    pub checkpoint: Option<&'a Path>,
    pub key: Option<&'a str>,
    pub data_dir: &'a Path,
    pub store: Option<&'a str>,
    pub json: bool,
}

pub async fn run(options: Options<'_>) -> Result<(), Failure> {
    let started = std::time::Instant::now();
    let pinned = options.key.map(read_key).transpose()?;
    let verified = match options.export {
        Some(path) => verify_export(path, pinned, options.checkpoint)?,
        None => verify_store(&options, pinned).await?,
    };
    let report = Report {
        events: verified.tree.size(),
        root: hex(&verified.tree.root()),
        checkpoint_size: verified.latest.as_ref().map(|s| s.checkpoint.size),
        key: verified.key.as_ref().map(ToString::to_string),
        consistent_with: verified.older.as_ref().map(|s| s.checkpoint.size),
        against_signed_checkpoint: verified.latest.is_some() || verified.older.is_some(),
        seconds: started.elapsed().as_secs_f64(),
    };
    let mut text = String::new();
    if options.json {
        text = serde_json::to_string_pretty(&report).map_err(|e| Failure::Internal(e.into()))?;
        text.push('\n');
    } else if !report.against_signed_checkpoint {
        text += &format!(
            "only internal consistency was checked: {} events replay into a consistent log in {:.3} s, root {}, but no signed checkpoint was found in {} to check them against; give --data-dir of the registry, or --key and --checkpoint\n",
            report.events,
            report.seconds,
            report.root,
            verified.record_dir.display()
        );
    } else {
        text += &format!(
            "ok: {} events verified in {:.3} s, root {}\n",
            report.events, report.seconds, report.root
        );
        text += &match (&report.checkpoint_size, &report.key) {
            (Some(size), Some(key)) => {
                format!("checkpoint of size {size} signed by {key}: signature and root match\n")
            }
            _ => "no signed checkpoint to check against\n".to_owned(),
        };
        if let Some(size) = report.consistent_with {
            text += &format!(
                "the checkpoint of size {size} given is consistent with it (append-only)\n"
            );
        }
        if options.key.is_none() && options.export.is_some() {
            text += "note: the key came with the export; compare it with the key the registry publishes, or pass --key\n";
        }
    }
    // A closed pipe (`| head`) is not a failure of the verification.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `--key`: a verifier key, or a file holding one.
fn read_key(text: &str) -> Result<NoteVerifier, Failure> {
    let text = match std::fs::read_to_string(text) {
        Ok(content) => content,
        Err(_) => text.to_owned(),
    };
    NoteVerifier::parse(text.trim()).map_err(|e| {
        Failure::User(format!(
            "--key: {e}; give NAME+KEYID+KEY or a file holding it"
        ))
    })
}

fn open_checkpoint(path: &Path, key: &NoteVerifier) -> Result<SignedCheckpoint, Failure> {
    let note = std::fs::read_to_string(path)
        .map_err(|e| Failure::User(format!("cannot read checkpoint {}: {e}", path.display())))?;
    key.open(&note)
        .map_err(|e| Failure::User(format!("checkpoint {}: {e}", path.display())))
}

/// What a replay established.
struct Verified {
    tree: transparency::MerkleTree,
    latest: Option<SignedCheckpoint>,
    key: Option<NoteVerifier>,
    /// The earlier checkpoint given with `--checkpoint`, found consistent.
    older: Option<SignedCheckpoint>,
    /// Where the leaf record and latest checkpoint were looked for.
    record_dir: PathBuf,
}

impl Verified {
    /// Checks the earlier saved checkpoint, then the latest, against the replayed log.
    fn finish(
        verifier: LogVerifier,
        latest: Option<SignedCheckpoint>,
        older: Option<SignedCheckpoint>,
        key: Option<NoteVerifier>,
        record_dir: PathBuf,
    ) -> Result<Self, Failure> {
        let checkpoints: Vec<&SignedCheckpoint> = older.iter().chain(latest.iter()).collect();
        let tree = verifier.finish(&checkpoints)?;
        Ok(Self {
            tree,
            latest,
            key,
            older,
            record_dir,
        })
    }
}

fn export_error(error: ExportError) -> Failure {
    Failure::User(error.to_string())
}

fn verify_export(
    path: &Path,
    pinned: Option<NoteVerifier>,
    older: Option<&Path>,
) -> Result<Verified, Failure> {
    let file = std::fs::File::open(path)
        .map_err(|e| Failure::User(format!("cannot read export {}: {e}", path.display())))?;
    let mut reader = BufReader::new(file);
    let mut verifier = LogVerifier::new(Vec::new());
    let mut export = ExportReader::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = (&mut reader)
            .take(EXPORT_LINE_BYTES_MAX as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| Failure::User(format!("cannot read export {}: {e}", path.display())))?;
        if read == 0 {
            break;
        }
        if let Some(event) = export.line(&line).map_err(export_error)? {
            verifier.push(event)?;
        }
    }
    let end = export.finish(pinned).map_err(export_error)?;
    let older = older.map(|p| open_checkpoint(p, &end.key)).transpose()?;
    let (latest, key) = (end.checkpoint, end.key);
    Verified::finish(verifier, Some(latest), older, Some(key), path.to_path_buf())
}

async fn verify_store(
    options: &Options<'_>,
    pinned: Option<NoteVerifier>,
) -> Result<Verified, Failure> {
    let record_dir = record_dir(options)?;
    let data_dir = record_dir.as_path();
    let recorded = if data_dir.join(LEAVES_FILE).exists() {
        LeafRecord::open(data_dir)?.read_all()?
    } else {
        Vec::new()
    };
    let key = match pinned {
        Some(key) => Some(key),
        None => match std::fs::read_to_string(data_dir.join(PUBLIC_KEY_FILE)) {
            Ok(text) => Some(NoteVerifier::parse(text.trim()).map_err(|e| {
                Failure::User(format!("{}: {e}", data_dir.join(PUBLIC_KEY_FILE).display()))
            })?),
            Err(_) => None,
        },
    };
    let latest_path = data_dir.join(CHECKPOINT_FILE);
    let latest = match (&key, latest_path.exists()) {
        (Some(key), true) => Some(open_checkpoint(&latest_path, key)?),
        _ => None,
    };
    let older = match (options.checkpoint, &key) {
        (Some(path), Some(key)) => Some(open_checkpoint(path, key)?),
        (Some(_), None) => {
            return Err(Failure::User(
                "--checkpoint needs the log's public key: pass --key".into(),
            ));
        }
        _ => None,
    };
    let store = crate::store::open(data_dir, options.store, crate::store::Access::Existing).await?;
    let mut verifier = LogVerifier::new(recorded);
    replay_store(store.as_ref(), &mut verifier).await?;
    Verified::finish(verifier, latest, older, key, record_dir.clone())
}

/// The data directory a live store is checked against: that of an embedded
/// store, beside its file, when it holds a checkpoint (`--store
/// sqlite://DIR/events.db`), else `--data-dir`.
fn record_dir(options: &Options<'_>) -> Result<PathBuf, Failure> {
    if let Some(url) = options.store
        && let Location::Sqlite(file) = Location::parse(url, false)?
    {
        let dir = match file.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if dir.join(CHECKPOINT_FILE).exists() {
            return Ok(dir);
        }
    }
    Ok(options.data_dir.to_path_buf())
}
