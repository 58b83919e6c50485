//! The verifiable log over GraphQL: the latest signed checkpoint, inclusion
//! and consistency proofs (RFC 9162) and each event's leaf hash
//! (docs/verification.md). Hashes are standard base64, as in checkpoints.

use async_graphql::SimpleObject;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use transparency::{Hash, MerkleTree};

use crate::error::ApiError;
use crate::shared::Shared;

fn encode(hash: &Hash) -> String {
    STANDARD.encode(hash)
}

/// The latest checkpoint signed by this server's key.
#[derive(Debug, Clone, SimpleObject)]
pub(crate) struct Checkpoint {
    /// The log's name; also the name of the key that signs it.
    origin: String,
    /// Number of events the checkpoint covers (the first `treeSize` global positions).
    tree_size: u64,
    /// Root of the Merkle tree over those events, base64.
    root_hash: String,
    /// The whole signed note (C2SP signed-note text), as `stdreg export` writes it.
    note: String,
    /// The key that verifies `note`: `<name>+<key id>+<base64 key>`.
    public_key: String,
}

/// That one event is in the tree of `treeSize` events (RFC 9162 §2.1.3).
#[derive(Debug, Clone, SimpleObject)]
pub(crate) struct InclusionProof {
    /// The event's global position.
    position: u64,
    /// Its index among the leaves: `position - 1`.
    leaf_index: u64,
    tree_size: u64,
    /// SHA-256(0x00 ‖ the event's canonical bytes), base64.
    leaf_hash: String,
    /// Root of the tree of `treeSize` events, base64: compare it with a signed checkpoint of that size.
    root_hash: String,
    /// The audit path, leaf to root, base64.
    hashes: Vec<String>,
}

/// That the tree of `fromSize` events is a prefix of the tree of `toSize`
/// events: nothing recorded before was changed (RFC 9162 §2.1.4).
#[derive(Debug, Clone, SimpleObject)]
pub(crate) struct ConsistencyProof {
    from_size: u64,
    to_size: u64,
    /// Root of the tree of `fromSize` events, base64.
    from_root: String,
    /// Root of the tree of `toSize` events, base64.
    to_root: String,
    /// The proof hashes, base64; empty when the sizes are equal.
    hashes: Vec<String>,
}

pub(crate) fn checkpoint(shared: &Shared) -> Option<Checkpoint> {
    let checkpoints = shared.checkpoints.as_ref()?;
    let signed = checkpoints.latest()?;
    Some(Checkpoint {
        origin: signed.checkpoint.origin.clone(),
        tree_size: signed.checkpoint.size,
        root_hash: encode(&signed.checkpoint.root),
        note: signed.note().to_owned(),
        public_key: checkpoints.verifier().to_string(),
    })
}

/// The leaf hash of the event at `global_position`; `None` before the tree holds it.
pub(crate) fn leaf_hash(shared: &Shared, global_position: u64) -> Option<String> {
    let index = global_position.checked_sub(1)?;
    shared.registry.merkle().leaf(index).map(|h| encode(&h))
}

/// A size asked for, checked against the tree: 1 up to the tree's size, the
/// tree's size when not given.
fn size(tree: &MerkleTree, name: &str, asked: Option<i64>) -> Result<u64, ApiError> {
    let current = tree.size();
    if current == 0 {
        return Err(ApiError::BadInput(
            "the log holds no events yet: there is nothing to prove".to_owned(),
        ));
    }
    match asked {
        None => Ok(current),
        Some(n) if n < 1 => Err(ApiError::BadInput(format!(
            "{name} must be at least 1, not {n}"
        ))),
        Some(n) if n as u64 > current => Err(ApiError::BadInput(format!(
            "{name} {n} is beyond the log's {current} events: ask for a size up to {current}, or leave it out for the current size"
        ))),
        Some(n) => Ok(n as u64),
    }
}

fn rejected(error: transparency::TransparencyError) -> ApiError {
    ApiError::BadInput(error.to_string())
}

pub(crate) fn inclusion_proof(
    shared: &Shared,
    position: i64,
    tree_size: Option<i64>,
) -> Result<InclusionProof, ApiError> {
    if position < 1 {
        return Err(ApiError::BadInput(format!(
            "position must be an event's globalPosition, 1 or more, not {position}"
        )));
    }
    let position = position as u64;
    let tree = shared.registry.merkle();
    let size = size(&tree, "treeSize", tree_size)?;
    if position > size {
        return Err(ApiError::BadInput(format!(
            "position {position} is not in the tree of {size} events: ask for a position up to {size}, or a larger treeSize"
        )));
    }
    let index = position - 1;
    let hashes = tree.inclusion_proof(index, size).map_err(rejected)?;
    let root = tree.root_at(size).map_err(rejected)?;
    let leaf = tree
        .leaf(index)
        .ok_or_else(|| ApiError::BadInput(format!("position {position} is not in the log yet")))?;
    Ok(InclusionProof {
        position,
        leaf_index: index,
        tree_size: size,
        leaf_hash: encode(&leaf),
        root_hash: encode(&root),
        hashes: hashes.iter().map(encode).collect(),
    })
}

pub(crate) fn consistency_proof(
    shared: &Shared,
    from_size: i64,
    to_size: Option<i64>,
) -> Result<ConsistencyProof, ApiError> {
    let tree = shared.registry.merkle();
    let to = size(&tree, "toSize", to_size)?;
    let from = size(&tree, "fromSize", Some(from_size))?;
    if from > to {
        return Err(ApiError::BadInput(format!(
            "fromSize {from} is larger than toSize {to}: a log only grows, so ask with fromSize up to toSize"
        )));
    }
    let hashes = tree.consistency_proof(from, to).map_err(rejected)?;
    Ok(ConsistencyProof {
        from_size: from,
        to_size: to,
        from_root: encode(&tree.root_at(from).map_err(rejected)?),
        to_root: encode(&tree.root_at(to).map_err(rejected)?),
        hashes: hashes.iter().map(encode).collect(),
    })
}
