//! What a witness decides, per C2SP `tlog-witness` (`add-checkpoint`):
//! given the last checkpoint it cosigned of a log and a request, cosign the
//! new checkpoint or refuse it. Pure: the caller keeps the state (and
//! updates it atomically with the answer), reads the clock and speaks HTTP.
//!
//! A request body is an old size line, the consistency proof (one base64
//! hash a line), an empty line, then the signed checkpoint:
//!
//! ```text
//! old 6
//! <base64 hash>
//! <base64 hash>
//!
//! <checkpoint note>
//! ```

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::cosign::CosignerSigner;
use crate::merkle::{Hash, verify_consistency};
use crate::note::{Checkpoint, NoteVerifier, note_parts};
use crate::{NOTE_BYTES_MAX, PROOF_HASHES_MAX, TransparencyError};

/// Most consistency proof lines a request may carry (the specification's bound).
pub const ADD_CHECKPOINT_PROOF_MAX: usize = 63;
/// Largest request body a witness reads.
pub const ADD_CHECKPOINT_BYTES_MAX: usize = NOTE_BYTES_MAX + 64 + ADD_CHECKPOINT_PROOF_MAX * 45;

/// An `add-checkpoint` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// Size of the checkpoint the client believes the witness cosigned last (0: none).
    pub old_size: u64,
    /// Consistency proof from `old_size` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The signed checkpoint note.
    pub note: String,
}

impl AddCheckpoint {
    /// The request body.
    pub fn to_body(&self) -> String {
        let mut body = format!("old {}\n", self.old_size);
        for hash in &self.proof {
            body.push_str(&STANDARD.encode(hash));
            body.push('\n');
        }
        body.push('\n');
        body.push_str(&self.note);
        body
    }

    /// Reads a request body.
    pub fn parse(body: &str) -> Result<Self, WitnessRefusal> {
        let malformed = |reason: &str| WitnessRefusal::Malformed(reason.to_owned());
        if body.len() > ADD_CHECKPOINT_BYTES_MAX {
            return Err(malformed("the request is too long"));
        }
        let (head, note) = body
            .split_once("\n\n")
            .ok_or_else(|| malformed("no empty line before the checkpoint"))?;
        let mut lines = head.split('\n');
        let old = lines
            .next()
            .and_then(|line| line.strip_prefix("old "))
            .ok_or_else(|| malformed("the first line is not 'old <size>'"))?;
        if old.is_empty()
            || !old.bytes().all(|b| b.is_ascii_digit())
            || (old.len() > 1 && old.starts_with('0'))
        {
            return Err(malformed("the old size is not a plain decimal number"));
        }
        let old_size = old
            .parse()
            .map_err(|_| malformed("the old size is too large"))?;
        let proof = lines
            .map(|line| {
                STANDARD
                    .decode(line)
                    .ok()
                    .and_then(|bytes| Hash::try_from(bytes).ok())
                    .ok_or_else(|| malformed("a proof line is not a base64 hash of 32 bytes"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if proof.len() > ADD_CHECKPOINT_PROOF_MAX.min(PROOF_HASHES_MAX) {
            return Err(malformed("the consistency proof has too many lines"));
        }
        Ok(Self {
            old_size,
            proof,
            note: note.to_owned(),
        })
    }

    /// The origin the checkpoint names, read before any check, to find the
    /// log's key and the witness's state of it.
    pub fn origin(&self) -> Result<String, WitnessRefusal> {
        let (body, _) = note_parts(&self.note).map_err(WitnessRefusal::from_note)?;
        Ok(Checkpoint::parse_body(body)
            .map_err(WitnessRefusal::from_note)?
            .origin)
    }
}

/// The last checkpoint a witness cosigned of one log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cosigned {
    pub size: u64,
    pub root: Hash,
}

/// Why a witness refuses to cosign; each maps to the HTTP status the
/// specification prescribes ([`WitnessRefusal::status`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WitnessRefusal {
    /// The request or its checkpoint is not in the expected form.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// The witness does not follow a log of this origin.
    #[error("this witness does not follow log '{origin}'")]
    UnknownLog { origin: String },
    /// No signature of the log's key verifies.
    #[error("the checkpoint is not validly signed by the log's key: {0}")]
    NotSigned(String),
    /// The old size is beyond the checkpoint's size: a rollback.
    #[error(
        "the checkpoint of size {size} is smaller than the old size {old_size}: a log does not shrink"
    )]
    OldSizeBeyond { old_size: u64, size: u64 },
    /// The old size is not the size of the last checkpoint cosigned (0 if none).
    #[error("the witness last cosigned a checkpoint of size {size}: send the proof from there")]
    Conflict { size: u64 },
    /// Same size as the last checkpoint cosigned, another root: a fork.
    #[error("the witness cosigned another root at size {size}: the log forked")]
    RootMismatch { size: u64 },
    /// The consistency proof does not prove the checkpoint extends the last one cosigned.
    #[error(
        "the checkpoint is not proved consistent with the one of size {old_size} the witness cosigned: {reason}"
    )]
    Inconsistent { old_size: u64, reason: String },
}

impl WitnessRefusal {
    fn from_note(error: TransparencyError) -> Self {
        Self::Malformed(error.to_string())
    }

    /// The HTTP status of the refusal (C2SP tlog-witness).
    pub fn status(&self) -> u16 {
        match self {
            Self::Malformed(_) | Self::OldSizeBeyond { .. } => 400,
            Self::NotSigned(_) => 403,
            Self::UnknownLog { .. } => 404,
            Self::Conflict { .. } | Self::RootMismatch { .. } => 409,
            Self::Inconsistent { .. } => 422,
        }
    }
}

/// Decides a request: the checkpoint must be signed by the key `logs` holds
/// for its origin, and prove consistent with `last` (the checkpoint this
/// witness cosigned last of that log, `None` if none). Returns the new state
/// and the cosignature line, made at `timestamp`.
pub fn add_checkpoint(
    signer: &CosignerSigner,
    logs: &[NoteVerifier],
    last: Option<Cosigned>,
    request: &AddCheckpoint,
    timestamp: u64,
) -> Result<(Cosigned, String), WitnessRefusal> {
    let origin = request.origin()?;
    let log = logs
        .iter()
        .find(|key| key.name() == origin)
        .ok_or(WitnessRefusal::UnknownLog { origin })?;
    let signed = log.open(&request.note).map_err(|e| match e {
        TransparencyError::MalformedNote(_) => WitnessRefusal::from_note(e),
        other => WitnessRefusal::NotSigned(other.to_string()),
    })?;
    let checkpoint = &signed.checkpoint;
    let (old_size, size) = (request.old_size, checkpoint.size);
    if old_size > size {
        return Err(WitnessRefusal::OldSizeBeyond { old_size, size });
    }
    let last_size = last.map_or(0, |l| l.size);
    if old_size != last_size {
        return Err(WitnessRefusal::Conflict { size: last_size });
    }
    let inconsistent = |reason: &str| WitnessRefusal::Inconsistent {
        old_size,
        reason: reason.to_owned(),
    };
    match last {
        None | Some(Cosigned { size: 0, .. }) => {
            if !request.proof.is_empty() {
                return Err(inconsistent("the proof from size 0 must be empty"));
            }
        }
        Some(last) if last.size == size => {
            if last.root != checkpoint.root {
                return Err(WitnessRefusal::RootMismatch { size });
            }
            if !request.proof.is_empty() {
                return Err(inconsistent("the proof between equal sizes must be empty"));
            }
        }
        Some(last) => {
            verify_consistency(
                last.size,
                size,
                &last.root,
                &checkpoint.root,
                &request.proof,
            )
            .map_err(|e| inconsistent(&e.to_string()))?;
        }
    }
    let line = signer.cosign(signed.body(), timestamp);
    Ok((
        Cosigned {
            size,
            root: checkpoint.root,
        },
        line,
    ))
}
