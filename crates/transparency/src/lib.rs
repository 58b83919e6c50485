//! Verifiable history of the global log, as Certificate Transparency does it
//! for certificates: an RFC 9162 Merkle tree over every stored event, signed
//! checkpoints in the C2SP signed-note form, inclusion and consistency proofs,
//! and witnesses: C2SP `tlog-cosignature` cosignatures and the decision of a
//! C2SP `tlog-witness` to cosign a checkpoint or refuse it.
//!
//! Pure: no I/O, no clock, no randomness (key seeds are passed in).

mod compare;
mod cosign;
mod export;
mod follow;
mod leaf;
mod merkle;
mod note;
#[cfg(test)]
mod testing;
mod witness;

pub use compare::{LogComparison, LogMismatch, first_difference};
pub use cosign::{CosignerKey, CosignerSigner, check_quorum};
pub use export::{
    EXPORT_LINE_BYTES_MAX, ExportEnd, ExportError, ExportReader, Trailer, event_line, trailer_line,
};
pub use follow::{
    Candidate, FollowRefusal, Follower, ForkSearch, PENDING_EVENTS_MAX, SavedCheckpointError,
    check_saved,
};
pub use leaf::{event_leaf_hash, leaf_bytes, parse_leaf};
pub use merkle::{
    Hash, MerkleTree, empty_root, leaf_hash, node_hash, verify_consistency, verify_inclusion,
};
pub use note::{Checkpoint, NoteSigner, NoteVerifier, SignedCheckpoint};
pub use witness::{
    ADD_CHECKPOINT_BYTES_MAX, ADD_CHECKPOINT_PROOF_MAX, AddCheckpoint, Cosigned, WitnessRefusal,
    add_checkpoint,
};

/// Longest proof accepted: a tree of 2^64 leaves needs 64 hashes (consistency one more).
pub const PROOF_HASHES_MAX: usize = 65;
/// Largest signed note read; a checkpoint with a few signatures is well under 1 KiB.
pub const NOTE_BYTES_MAX: usize = 16 * 1024;
/// Longest key name (which is also the log's origin).
pub const NAME_BYTES_MAX: usize = 256;

/// Why a proof, key, note or leaf was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransparencyError {
    /// A tree size beyond the leaves the tree holds.
    #[error(
        "tree size {size} is beyond the log's {tree_size} events: ask for a size up to {tree_size}"
    )]
    SizeBeyondTree { size: u64, tree_size: u64 },
    /// A leaf index that is not in the tree of the given size.
    #[error("leaf {index} is not in a tree of {size} leaves: the index must be below the size")]
    IndexOutOfRange { index: u64, size: u64 },
    /// Consistency needs 0 < old size <= new size.
    #[error(
        "cannot prove size {old_size} consistent with size {new_size}: the old size must be at least 1 and at most the new size"
    )]
    SizesOutOfOrder { old_size: u64, new_size: u64 },
    /// The proof does not prove what it should.
    #[error("proof rejected: {0}")]
    ProofRejected(&'static str),
    /// A signed note or checkpoint text is not in the expected form.
    #[error("malformed checkpoint: {0}")]
    MalformedNote(String),
    /// A key text is not in the signed-note key form.
    #[error("malformed key: {0}")]
    MalformedKey(String),
    /// The note carries a signature of this key that does not verify: the text was changed.
    #[error(
        "the signature of key {key} does not match the checkpoint: the checkpoint was altered or signed by another key"
    )]
    BadSignature { key: String },
    /// The note carries no signature of the expected key.
    #[error("the checkpoint is not signed by key {key}: check that you have the log's public key")]
    NotSignedBy { key: String },
    /// The note carries no cosignature of this witness.
    #[error("the checkpoint is not cosigned by witness {witness}")]
    NotCosignedBy { witness: String },
    /// Fewer witnesses than required cosigned the checkpoint.
    #[error(
        "the checkpoint is cosigned by {cosigned} of the witnesses given, fewer than the {quorum} required ({missing})"
    )]
    QuorumNotMet {
        quorum: usize,
        cosigned: usize,
        missing: String,
    },
    /// The checkpoint names another log than the key's.
    #[error("the checkpoint is for log '{origin}', but the key is for log '{key}'")]
    OriginMismatch { origin: String, key: String },
    /// Bytes that are not a canonical leaf.
    #[error("malformed event envelope: {0}")]
    MalformedLeaf(String),
}
