//! The RFC 9162 Merkle tree over the log: incremental append, roots of every
//! earlier size, inclusion and consistency proofs, and their verification.
//!
//! Leaf indexes are 0-based here (leaf `i` is the event at global position
//! `i + 1`); sizes count leaves.

use sha2::{Digest, Sha256};

use crate::{PROOF_HASHES_MAX, TransparencyError};

/// A SHA-256 hash: of a leaf, of a node, or a tree's root.
pub type Hash = [u8; 32];

/// The root of the empty tree: SHA-256 of nothing (RFC 9162 §2.1.1).
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// `SHA-256(0x00 ‖ leaf)`: the hash of one leaf's bytes.
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(leaf);
    hasher.finalize().into()
}

/// `SHA-256(0x01 ‖ left ‖ right)`: the hash of an interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The tree of every leaf appended so far.
///
/// Keeps the hash of every complete, aligned subtree (`levels[k][i]` covers
/// leaves `i·2^k .. (i+1)·2^k`), about two hashes per leaf, so the root of any
/// earlier size and any proof take O(log² n) hash operations and no leaf is hashed twice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MerkleTree {
    levels: Vec<Vec<Hash>>,
}

impl MerkleTree {
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree of these leaf hashes, in order.
    pub fn from_leaf_hashes(leaves: impl IntoIterator<Item = Hash>) -> Self {
        let mut tree = Self::new();
        for leaf in leaves {
            tree.push(leaf);
        }
        tree
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |leaves| leaves.len() as u64)
    }

    /// The hash of leaf `index`, if the tree has it.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        let index = usize::try_from(index).ok()?;
        self.levels.first()?.get(index).copied()
    }

    /// Every leaf hash, in order.
    pub fn leaves(&self) -> &[Hash] {
        self.levels.first().map_or(&[], Vec::as_slice)
    }

    /// Appends one leaf hash (see [`leaf_hash`]).
    pub fn push(&mut self, leaf: Hash) {
        let mut level = 0;
        let mut hash = leaf;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let nodes = &mut self.levels[level];
            nodes.push(hash);
            if nodes.len() % 2 == 1 {
                return;
            }
            hash = node_hash(&nodes[nodes.len() - 2], &nodes[nodes.len() - 1]);
            level += 1;
        }
    }

    /// The root of the whole tree.
    pub fn root(&self) -> Hash {
        self.root_at(self.size()).unwrap_or_else(|_| empty_root())
    }

    /// The root the tree had when it held `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Hash, TransparencyError> {
        self.check_size(size)?;
        if size == 0 {
            return Ok(empty_root());
        }
        Ok(self.subtree(0, size))
    }

    /// The audit path of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1).
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, TransparencyError> {
        self.check_size(size)?;
        if index >= size {
            return Err(TransparencyError::IndexOutOfRange { index, size });
        }
        let mut proof = Vec::new();
        self.path(index, 0, size, &mut proof);
        Ok(proof)
    }

    /// The proof that the tree of `old_size` leaves is a prefix of the tree of
    /// `new_size` leaves (RFC 9162 §2.1.4.1). Empty when the sizes are equal.
    pub fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<Vec<Hash>, TransparencyError> {
        self.check_size(new_size)?;
        if old_size == 0 || old_size > new_size {
            return Err(TransparencyError::SizesOutOfOrder { old_size, new_size });
        }
        let mut proof = Vec::new();
        if old_size < new_size {
            self.subproof(old_size, 0, new_size, true, &mut proof);
        }
        Ok(proof)
    }

    fn check_size(&self, size: u64) -> Result<(), TransparencyError> {
        if size > self.size() {
            return Err(TransparencyError::SizeBeyondTree {
                size,
                tree_size: self.size(),
            });
        }
        Ok(())
    }

    /// MTH(D[start:end]); `start < end <= size`.
    fn subtree(&self, start: u64, end: u64) -> Hash {
        let width = end - start;
        if width.is_power_of_two() && start.is_multiple_of(width) {
            let level = width.trailing_zeros() as usize;
            // Complete aligned subtrees within the tree are always stored.
            return self.levels[level][(start / width) as usize];
        }
        let split = largest_power_of_two_below(width);
        node_hash(
            &self.subtree(start, start + split),
            &self.subtree(start + split, end),
        )
    }

    /// PATH(index, D[start:end]), leaf `index` counted from `start`.
    fn path(&self, index: u64, start: u64, end: u64, proof: &mut Vec<Hash>) {
        let width = end - start;
        if width <= 1 {
            return;
        }
        let split = largest_power_of_two_below(width);
        if index < split {
            self.path(index, start, start + split, proof);
            proof.push(self.subtree(start + split, end));
        } else {
            self.path(index - split, start + split, end, proof);
            proof.push(self.subtree(start, start + split));
        }
    }

    /// SUBPROOF(old, D[start:end], whole).
    fn subproof(&self, old: u64, start: u64, end: u64, whole: bool, proof: &mut Vec<Hash>) {
        let width = end - start;
        if old == width {
            if !whole {
                proof.push(self.subtree(start, end));
            }
            return;
        }
        let split = largest_power_of_two_below(width);
        if old <= split {
            self.subproof(old, start, start + split, whole, proof);
            proof.push(self.subtree(start + split, end));
        } else {
            self.subproof(old - split, start + split, end, false, proof);
            proof.push(self.subtree(start, start + split));
        }
    }
}

/// The largest power of two strictly below `n`; `n >= 2`.
fn largest_power_of_two_below(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// Checks that `proof` proves leaf `index` (hash `leaf`) is in the tree of
/// `size` leaves with root `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), TransparencyError> {
    if index >= size {
        return Err(TransparencyError::IndexOutOfRange { index, size });
    }
    if proof.len() > PROOF_HASHES_MAX {
        return Err(TransparencyError::ProofRejected("the proof is too long"));
    }
    let mut f_n = index;
    let mut s_n = size - 1;
    let mut hash = *leaf;
    for sibling in proof {
        if s_n == 0 {
            return Err(TransparencyError::ProofRejected(
                "the proof has more hashes than the tree has levels",
            ));
        }
        if f_n & 1 == 1 || f_n == s_n {
            hash = node_hash(sibling, &hash);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            hash = node_hash(&hash, sibling);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(TransparencyError::ProofRejected(
            "the proof has fewer hashes than the tree has levels",
        ));
    }
    if &hash != root {
        return Err(TransparencyError::ProofRejected(
            "the proof leads to another root",
        ));
    }
    Ok(())
}

/// Checks that `proof` proves the tree of `old_size` leaves (root `old_root`)
/// is a prefix of the tree of `new_size` leaves (root `new_root`) (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), TransparencyError> {
    if old_size == 0 || old_size > new_size {
        return Err(TransparencyError::SizesOutOfOrder { old_size, new_size });
    }
    if proof.len() > PROOF_HASHES_MAX {
        return Err(TransparencyError::ProofRejected("the proof is too long"));
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(TransparencyError::ProofRejected(
                "trees of equal size need an empty proof",
            ));
        }
        if old_root != new_root {
            return Err(TransparencyError::ProofRejected(
                "two trees of the same size have different roots",
            ));
        }
        return Ok(());
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else {
        return Err(TransparencyError::ProofRejected("the proof is empty"));
    };
    let mut f_n = old_size - 1;
    let mut s_n = new_size - 1;
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let mut old_hash = *first;
    let mut new_hash = *first;
    for c in rest {
        if s_n == 0 {
            return Err(TransparencyError::ProofRejected(
                "the proof has more hashes than the trees need",
            ));
        }
        if f_n & 1 == 1 || f_n == s_n {
            old_hash = node_hash(c, &old_hash);
            new_hash = node_hash(c, &new_hash);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            new_hash = node_hash(&new_hash, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(TransparencyError::ProofRejected(
            "the proof has fewer hashes than the trees need",
        ));
    }
    if &old_hash != old_root {
        return Err(TransparencyError::ProofRejected(
            "the proof does not lead to the old root",
        ));
    }
    if &new_hash != new_root {
        return Err(TransparencyError::ProofRejected(
            "the proof does not lead to the new root",
        ));
    }
    Ok(())
}
