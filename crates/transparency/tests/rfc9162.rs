//! Proofs checked against RFC 9162 computed here from its definitions
//! (MTH, PATH, SUBPROOF as recursive functions over lists), not from the code under test.

use sha2::{Digest, Sha256};
use transparency::{
    Hash, MerkleTree, TransparencyError, leaf_hash, verify_consistency, verify_inclusion,
};

const SIZE_MAX: usize = 64;

fn sha(parts: &[&[u8]]) -> Hash {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// The largest power of two smaller than n (n > 1).
fn k_of(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]) from RFC 9162 §2.1.1.
fn mth(d: &[Vec<u8>]) -> Hash {
    match d.len() {
        0 => sha(&[]),
        1 => sha(&[&[0x00], &d[0]]),
        n => {
            let k = k_of(n);
            sha(&[&[0x01], &mth(&d[..k]), &mth(&d[k..])])
        }
    }
}

/// PATH(m, D[n]) from RFC 9162 §2.1.3.1.
fn path(m: usize, d: &[Vec<u8>]) -> Vec<Hash> {
    let n = d.len();
    if n == 1 {
        return Vec::new();
    }
    let k = k_of(n);
    if m < k {
        let mut p = path(m, &d[..k]);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = path(m - k, &d[k..]);
        p.push(mth(&d[..k]));
        p
    }
}

/// SUBPROOF(m, D[n], b) from RFC 9162 §2.1.4.1.
fn subproof(m: usize, d: &[Vec<u8>], b: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if b { Vec::new() } else { vec![mth(d)] };
    }
    let k = k_of(n);
    if m <= k {
        let mut p = subproof(m, &d[..k], b);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = subproof(m - k, &d[k..], false);
        p.push(mth(&d[..k]));
        p
    }
}

fn leaves(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| format!("leaf {i}").into_bytes()).collect()
}

fn tree_of(d: &[Vec<u8>]) -> MerkleTree {
    MerkleTree::from_leaf_hashes(d.iter().map(|leaf| leaf_hash(leaf)))
}

fn flip(hash: &Hash) -> Hash {
    let mut h = *hash;
    h[0] ^= 1;
    h
}

#[test]
fn roots_match_mth_for_every_size_and_every_earlier_size() {
    let d = leaves(SIZE_MAX);
    let tree = tree_of(&d);
    for n in 0..=SIZE_MAX {
        assert_eq!(
            tree.root_at(n as u64).expect("size"),
            mth(&d[..n]),
            "size {n}"
        );
        assert_eq!(tree_of(&d[..n]).root(), mth(&d[..n]), "grown to {n}");
    }
}

#[test]
fn inclusion_proofs_match_path_and_verify_for_every_position_and_size() {
    let d = leaves(SIZE_MAX);
    let tree = tree_of(&d);
    for n in 1..=SIZE_MAX {
        let root = mth(&d[..n]);
        for m in 0..n {
            let proof = tree.inclusion_proof(m as u64, n as u64).expect("proof");
            assert_eq!(proof, path(m, &d[..n]), "PATH({m}, D[{n}])");
            let leaf = leaf_hash(&d[m]);
            verify_inclusion(&leaf, m as u64, n as u64, &proof, &root)
                .unwrap_or_else(|e| panic!("PATH({m}, D[{n}]) rejected: {e}"));
            // Any change to the leaf, the index, the size, a hash or the length is refused.
            assert!(verify_inclusion(&flip(&leaf), m as u64, n as u64, &proof, &root).is_err());
            assert!(verify_inclusion(&leaf, m as u64, n as u64, &proof, &flip(&root)).is_err());
            if n > 1 {
                let other = (m + 1) % n;
                assert!(
                    verify_inclusion(&leaf, other as u64, n as u64, &proof, &root).is_err(),
                    "leaf {m} accepted at {other} in D[{n}]"
                );
            }
            for i in 0..proof.len() {
                let mut bad = proof.clone();
                bad[i] = flip(&bad[i]);
                assert!(verify_inclusion(&leaf, m as u64, n as u64, &bad, &root).is_err());
            }
            let mut longer = proof.clone();
            longer.push(root);
            assert!(verify_inclusion(&leaf, m as u64, n as u64, &longer, &root).is_err());
            if let Some((_, shorter)) = proof.split_last() {
                assert!(verify_inclusion(&leaf, m as u64, n as u64, shorter, &root).is_err());
            }
        }
    }
}

#[test]
fn consistency_proofs_match_proof_and_verify_for_every_size_pair() {
    let d = leaves(SIZE_MAX);
    let tree = tree_of(&d);
    for n in 1..=SIZE_MAX {
        let new_root = mth(&d[..n]);
        for m in 1..=n {
            let old_root = mth(&d[..m]);
            let proof = tree.consistency_proof(m as u64, n as u64).expect("proof");
            let expected = if m == n {
                Vec::new()
            } else {
                subproof(m, &d[..n], true)
            };
            assert_eq!(proof, expected, "PROOF({m}, D[{n}])");
            verify_consistency(m as u64, n as u64, &old_root, &new_root, &proof)
                .unwrap_or_else(|e| panic!("PROOF({m}, D[{n}]) rejected: {e}"));
            assert!(
                verify_consistency(m as u64, n as u64, &flip(&old_root), &new_root, &proof)
                    .is_err()
            );
            assert!(
                verify_consistency(m as u64, n as u64, &old_root, &flip(&new_root), &proof)
                    .is_err()
            );
            for i in 0..proof.len() {
                let mut bad = proof.clone();
                bad[i] = flip(&bad[i]);
                assert!(
                    verify_consistency(m as u64, n as u64, &old_root, &new_root, &bad).is_err()
                );
            }
            if m < n {
                // A forked history: the same old size, but one old leaf differs.
                let mut forked = d[..n].to_vec();
                forked[m - 1].push(b'!');
                let forked_tree = tree_of(&forked);
                let forked_proof = forked_tree
                    .consistency_proof(m as u64, n as u64)
                    .expect("proof");
                assert!(
                    verify_consistency(
                        m as u64,
                        n as u64,
                        &old_root,
                        &forked_tree.root(),
                        &forked_proof
                    )
                    .is_err(),
                    "fork at leaf {} of D[{n}] accepted as consistent with D[{m}]",
                    m - 1
                );
            }
        }
    }
}

#[test]
fn published_rfc6962_vectors() {
    // The test leaves of the Certificate Transparency reference implementations.
    let hex_leaves = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];
    let d: Vec<Vec<u8>> = hex_leaves.iter().map(|h| decode_hex(h)).collect();
    let tree = tree_of(&d);
    let cases: [(u64, &str); 3] = [
        (
            0,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        (
            1,
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        ),
        (
            8,
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ),
    ];
    for (size, root) in cases {
        assert_eq!(
            encode_hex(&tree.root_at(size).expect("size")),
            root,
            "size {size}"
        );
    }
}

#[test]
fn requests_outside_the_tree_are_errors() {
    let tree = tree_of(&leaves(5));
    let table: [(Result<Vec<Hash>, TransparencyError>, TransparencyError); 4] = [
        (
            tree.inclusion_proof(5, 5),
            TransparencyError::IndexOutOfRange { index: 5, size: 5 },
        ),
        (
            tree.inclusion_proof(0, 6),
            TransparencyError::SizeBeyondTree {
                size: 6,
                tree_size: 5,
            },
        ),
        (
            tree.consistency_proof(0, 3),
            TransparencyError::SizesOutOfOrder {
                old_size: 0,
                new_size: 3,
            },
        ),
        (
            tree.consistency_proof(4, 3),
            TransparencyError::SizesOutOfOrder {
                old_size: 4,
                new_size: 3,
            },
        ),
    ];
    for (got, want) in table {
        assert_eq!(got, Err(want));
    }
}

fn decode_hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
