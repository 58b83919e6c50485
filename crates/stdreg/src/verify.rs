//! `stdreg verify [EXPORT] [--checkpoint FILE] [--key KEY] [--actors FILE]`:
//! replays a log from its first event, offline from an export or from a live
//! store, and fails naming the first position that does not verify; with an
//! auditor file, also that each actor listed opens its event's commitment.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use event_store::EventStore;
use registry::codec::ActorEntry;
use registry::verifiable::{
    CHECKPOINT_FILE, CHECKPOINT_RECORD, IDENTITY_RECORD, LEAVES_FILE, LeafRecord, LogVerifier,
    PUBLIC_KEY_FILE, replay_store,
};
use serde::Serialize;
use transparency::{
    CosignerKey, EXPORT_LINE_BYTES_MAX, ExportError, ExportReader, NoteVerifier, SignedCheckpoint,
    check_quorum,
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
    /// The witnesses given whose cosignature of the latest checkpoint verified.
    cosigned_by: Vec<String>,
    /// With `--actors`: how many actors of the auditor file were checked against their commitments.
    actors_checked: Option<u64>,
    seconds: f64,
}

pub struct Options<'a> {
    pub export: Option<&'a Path>,
    pub checkpoint: Option<&'a Path>,
    pub key: Option<&'a str>,
    pub data_dir: &'a Path,
    pub store: Option<&'a str>,
    pub json: bool,
    /// `--witness`: the witnesses' public keys (or files holding them).
    pub witnesses: &'a [String],
    /// `--witness-quorum`: how many of them must have cosigned the latest checkpoint.
    pub quorum: Option<usize>,
    /// `--actors`: an auditor file to check against the export's commitments.
    pub actors: Option<&'a Path>,
}

/// The witnesses' keys and the quorum of `--witness` / `--witness-quorum`:
/// the quorum defaults to every witness given, and cannot exceed them.
pub fn witness_policy(
    witnesses: &[String],
    quorum: Option<usize>,
) -> Result<(Vec<CosignerKey>, usize), Failure> {
    let keys = witnesses
        .iter()
        .map(|text| {
            let text = match std::fs::read_to_string(text) {
                Ok(content) => content,
                Err(_) => text.clone(),
            };
            CosignerKey::parse(text.trim()).map_err(|e| {
                Failure::User(format!(
                    "--witness: {e}; give a witness's NAME+KEYID+KEY (as `stdreg witness` prints it) or a file holding it"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let quorum = quorum.unwrap_or(keys.len());
    if quorum > keys.len() {
        return Err(Failure::User(format!(
            "--witness-quorum {quorum} needs at least {quorum} --witness keys, {} given",
            keys.len()
        )));
    }
    Ok((keys, quorum))
}

pub async fn run(options: Options<'_>) -> Result<(), Failure> {
    let started = std::time::Instant::now();
    let pinned = options.key.map(read_key).transpose()?;
    let (witnesses, quorum) = witness_policy(options.witnesses, options.quorum)?;
    let actors = options.actors.map(read_actors).transpose()?;
    let verified = match options.export {
        Some(path) => verify_export(path, pinned, options.checkpoint, actors)?,
        None => verify_store(&options, pinned).await?,
    };
    let cosigned_by = if witnesses.is_empty() {
        Vec::new()
    } else {
        let Some(latest) = &verified.latest else {
            return Err(Failure::User(format!(
                "no signed checkpoint was found, so none is cosigned by {quorum} of the witnesses given"
            )));
        };
        check_quorum(latest.note(), &witnesses, quorum).map_err(|e| {
            Failure::User(format!(
                "the latest checkpoint (size {}) is not witnessed as required: {e}",
                latest.checkpoint.size
            ))
        })?
    };
    let report = Report {
        events: verified.tree.size(),
        root: hex(&verified.tree.root()),
        checkpoint_size: verified.latest.as_ref().map(|s| s.checkpoint.size),
        key: verified.key.as_ref().map(ToString::to_string),
        consistent_with: verified.older.as_ref().map(|s| s.checkpoint.size),
        against_signed_checkpoint: verified.latest.is_some() || verified.older.is_some(),
        cosigned_by,
        actors_checked: verified.actors_checked,
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
        if !report.cosigned_by.is_empty() {
            text += &format!(
                "cosigned by {} of the witnesses given: {}\n",
                report.cosigned_by.len(),
                report.cosigned_by.join(", ")
            );
        }
        if let Some(checked) = report.actors_checked {
            text += &format!(
                "{checked} actors of the auditor file match the commitments of their events\n"
            );
        }
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
    /// How many actors of an auditor file were checked.
    actors_checked: Option<u64>,
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
            actors_checked: None,
        })
    }
}

fn export_error(error: ExportError) -> Failure {
    Failure::User(error.to_string())
}

/// The entries of an auditor file by global position; a malformed line, or
/// two entries for one position, is refused naming its line.
fn read_actors(path: &Path) -> Result<BTreeMap<u64, ActorEntry>, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::User(format!("cannot read auditor file {}: {e}", path.display())))?;
    let mut entries = BTreeMap::new();
    for (number, line) in (1_usize..).zip(text.lines()) {
        if line.trim().is_empty() {
            continue;
        }
        let entry: ActorEntry = serde_json::from_str(line).map_err(|e| {
            Failure::User(format!(
                "auditor file {}, line {number}: not an entry of `stdreg export --actors-to`: {e}",
                path.display()
            ))
        })?;
        let position = entry.global_position;
        if entries.insert(position, entry).is_some() {
            return Err(Failure::User(format!(
                "auditor file {}, line {number}: a second entry for position {position}",
                path.display()
            )));
        }
    }
    Ok(entries)
}

fn verify_export(
    path: &Path,
    pinned: Option<NoteVerifier>,
    older: Option<&Path>,
    mut actors: Option<BTreeMap<u64, ActorEntry>>,
) -> Result<Verified, Failure> {
    let actor_count = actors.as_ref().map(|a| a.len() as u64);
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
            if let Some(entry) = actors
                .as_mut()
                .and_then(|a| a.remove(&event.global_position))
            {
                entry.check(&event).map_err(|problem| {
                    Failure::User(format!(
                        "the auditor file does not fit the log at position {}: {problem}",
                        event.global_position
                    ))
                })?;
            }
            verifier.push(event)?;
        }
    }
    if let Some(position) = actors.as_ref().and_then(|a| a.keys().next()) {
        return Err(Failure::User(format!(
            "the auditor file lists an actor for position {position}, which is not in the export"
        )));
    }
    let end = export.finish(pinned).map_err(export_error)?;
    let older = older.map(|p| open_checkpoint(p, &end.key)).transpose()?;
    let (latest, key) = (end.checkpoint, end.key);
    let mut verified =
        Verified::finish(verifier, Some(latest), older, Some(key), path.to_path_buf())?;
    verified.actors_checked = actor_count;
    Ok(verified)
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
    let store = crate::store::open(data_dir, options.store, crate::store::Access::Existing).await?;
    let key = match pinned {
        Some(key) => Some(key),
        None => match read_record(store.as_ref(), IDENTITY_RECORD).await? {
            Some(text) => Some(NoteVerifier::parse(text.trim()).map_err(|e| {
                Failure::User(format!("the log's identity recorded in the store: {e}"))
            })?),
            None => match std::fs::read_to_string(data_dir.join(PUBLIC_KEY_FILE)) {
                Ok(text) => Some(NoteVerifier::parse(text.trim()).map_err(|e| {
                    Failure::User(format!("{}: {e}", data_dir.join(PUBLIC_KEY_FILE).display()))
                })?),
                Err(_) => None,
            },
        },
    };
    // The store's latest checkpoint, or the data directory's copy if larger.
    let latest_path = data_dir.join(CHECKPOINT_FILE);
    let mut latest = match (&key, read_record(store.as_ref(), CHECKPOINT_RECORD).await?) {
        (Some(key), Some(note)) => Some(key.open(&note).map_err(|e| {
            Failure::User(format!("the latest checkpoint recorded in the store: {e}"))
        })?),
        _ => None,
    };
    if let (Some(key), true) = (&key, latest_path.exists()) {
        let copy = open_checkpoint(&latest_path, key)?;
        if latest
            .as_ref()
            .is_none_or(|l| copy.checkpoint.size > l.checkpoint.size)
        {
            latest = Some(copy);
        }
    }
    let older = match (options.checkpoint, &key) {
        (Some(path), Some(key)) => Some(open_checkpoint(path, key)?),
        (Some(_), None) => {
            return Err(Failure::User(
                "--checkpoint needs the log's public key: pass --key".into(),
            ));
        }
        _ => None,
    };
    let mut verifier = LogVerifier::new(recorded);
    replay_store(store.as_ref(), &mut verifier).await?;
    Verified::finish(verifier, latest, older, key, record_dir.clone())
}

/// A metadata record of the store, as text.
async fn read_record(store: &dyn EventStore, key: &str) -> Result<Option<String>, Failure> {
    let bytes = store
        .read_metadata(key)
        .await
        .map_err(|e| Failure::Internal(e.into()))?;
    bytes
        .map(|b| {
            String::from_utf8(b)
                .map_err(|_| Failure::User(format!("the store's record {key} is not text")))
        })
        .transpose()
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
