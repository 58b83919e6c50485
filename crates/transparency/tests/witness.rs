//! Witnesses through the public interface: the add-checkpoint decision
//! (consistent extensions cosigned; forks, rollbacks, bad signatures and
//! unknown logs refused with the specification's status) and cosignatures.

use transparency::{
    AddCheckpoint, Cosigned, CosignerKey, CosignerSigner, Hash, MerkleTree, NoteSigner,
    TransparencyError, WitnessRefusal, add_checkpoint, check_quorum, leaf_hash,
};

const ORIGIN: &str = "example.org/stdreg";
const NOW: u64 = 1_767_225_600;

fn log_key() -> NoteSigner {
    NoteSigner::from_seed(ORIGIN, [7; 32]).expect("log key")
}

fn witness(name: &str, seed: u8) -> CosignerSigner {
    CosignerSigner::from_seed(name, [seed; 32]).expect("witness key")
}

/// A tree of `size` leaves; `fork` changes the leaf at that index.
fn tree(size: u64, fork: Option<u64>) -> MerkleTree {
    MerkleTree::from_leaf_hashes((0..size).map(|i| {
        let tag = if fork == Some(i) { "forked" } else { "event" };
        leaf_hash(format!("{tag} {i}").as_bytes())
    }))
}

fn cosigned(tree: &MerkleTree, size: u64) -> Cosigned {
    Cosigned {
        size,
        root: tree.root_at(size).expect("root"),
    }
}

/// A request for the checkpoint of `tree` at its size, from `old_size`.
fn request(signer: &NoteSigner, tree: &MerkleTree, old_size: u64) -> AddCheckpoint {
    let size = tree.size();
    let proof = if old_size == 0 || old_size >= size {
        Vec::new()
    } else {
        tree.consistency_proof(old_size, size).expect("proof")
    };
    AddCheckpoint {
        old_size,
        proof,
        note: signer.sign(size, tree.root()).note().to_owned(),
    }
}

/// A case: its name, the last checkpoint cosigned, the request, and the
/// answer (`Ok(new size)` or `Err(HTTP status)`).
type Case = (
    &'static str,
    Option<Cosigned>,
    AddCheckpoint,
    Result<u64, u16>,
);

#[test]
fn the_witness_cosigns_extensions_and_refuses_the_rest() {
    let log = log_key();
    let honest = tree(6, None);
    let forked = tree(6, Some(1));
    let mut tampered = request(&log, &honest, 3);
    tampered.note = tampered.note.replacen("\n6\n", "\n7\n", 1);
    let mut wrong_proof = request(&log, &honest, 3);
    wrong_proof.proof.reverse();
    let mut proof_from_zero = request(&log, &honest, 0);
    proof_from_zero.proof = vec![[1; 32]];
    let other_log = NoteSigner::from_seed("example.org/other", [8; 32]).expect("key");
    let foreign_key = NoteSigner::from_seed(ORIGIN, [9; 32]).expect("key");

    let cases: Vec<Case> = vec![
        ("first checkpoint", None, request(&log, &honest, 0), Ok(6)),
        (
            "consistent extension",
            Some(cosigned(&honest, 3)),
            request(&log, &honest, 3),
            Ok(6),
        ),
        (
            "the same checkpoint again",
            Some(cosigned(&honest, 6)),
            request(&log, &honest, 6),
            Ok(6),
        ),
        (
            "fork: extension of another history",
            Some(cosigned(&honest, 3)),
            request(&log, &forked, 3),
            Err(422),
        ),
        (
            "fork: same size, other root",
            Some(cosigned(&honest, 6)),
            request(&log, &forked, 6),
            Err(409),
        ),
        (
            "rollback below the old size",
            Some(cosigned(&honest, 6)),
            request(&log, &tree(3, None), 6),
            Err(400),
        ),
        (
            "rollback from a stale old size",
            Some(cosigned(&honest, 6)),
            request(&log, &tree(3, None), 3),
            Err(409),
        ),
        (
            "old size not the last cosigned",
            Some(cosigned(&honest, 4)),
            request(&log, &honest, 3),
            Err(409),
        ),
        (
            "a witness that cosigned nothing",
            None,
            request(&log, &honest, 3),
            Err(409),
        ),
        (
            "bad signature: body changed",
            Some(cosigned(&honest, 3)),
            tampered,
            Err(403),
        ),
        (
            "signed by another key",
            None,
            request(&foreign_key, &honest, 0),
            Err(403),
        ),
        (
            "unknown origin",
            None,
            request(&other_log, &honest, 0),
            Err(404),
        ),
        (
            "proof that does not verify",
            Some(cosigned(&honest, 3)),
            wrong_proof,
            Err(422),
        ),
        ("proof from size zero", None, proof_from_zero, Err(422)),
    ];
    let signer = witness("witness.example/w1", 1);
    for (case, last, request, want) in cases {
        // Through the wire form, as a witness receives it.
        let parsed = AddCheckpoint::parse(&request.to_body()).expect(case);
        assert_eq!(parsed, request, "{case}: the body round-trips");
        let got = add_checkpoint(&signer, &[log.verifier()], last, &parsed, NOW);
        match (got, want) {
            (Ok((state, line)), Ok(size)) => {
                assert_eq!(state.size, size, "{case}");
                let signed = log.verifier().open(&parsed.note).expect("opens");
                let cosigned = signed.with_signature_lines(&line);
                assert_eq!(
                    signer.verifier().verify(cosigned.note()),
                    Ok(NOW),
                    "{case}: the cosignature verifies"
                );
                log.verifier()
                    .open(cosigned.note())
                    .expect("the log's signature still verifies beside the cosignature");
            }
            (Err(refusal), Err(status)) => {
                assert_eq!(refusal.status(), status, "{case}: {refusal}")
            }
            (got, want) => panic!("{case}: expected {want:?}, got {got:?}"),
        }
    }
}

#[test]
fn a_conflict_names_the_size_the_witness_holds() {
    let log = log_key();
    let honest = tree(6, None);
    let refusal = add_checkpoint(
        &witness("witness.example/w1", 1),
        &[log.verifier()],
        Some(cosigned(&honest, 4)),
        &request(&log, &honest, 0),
        NOW,
    )
    .expect_err("stale");
    assert_eq!(refusal, WitnessRefusal::Conflict { size: 4 });
}

#[test]
fn malformed_requests_are_bad_requests() {
    let log = log_key();
    let note = log.sign(1, [0; 32]).note().to_owned();
    for body in [
        String::new(),
        format!("old 01\n\n{note}"),
        format!("old -1\n\n{note}"),
        format!("new 1\n\n{note}"),
        format!("old 1\nnot base64!\n\n{note}"),
        format!("old 1\n{note}"),
        format!("old 1\n{}\n{note}", "AAAA\n".repeat(64)),
    ] {
        let refusal = AddCheckpoint::parse(&body).expect_err(&body);
        assert_eq!(refusal.status(), 400, "{body:?}: {refusal}");
    }
}

#[test]
fn cosignatures_verify_only_with_their_key_and_count_towards_a_quorum() {
    let log = log_key();
    let signed = log.sign(5, [3; 32]);
    let (w1, w2, w3) = (
        witness("witness.example/w1", 1),
        witness("witness.example/w2", 2),
        witness("witness.example/w3", 3),
    );
    let note = signed
        .with_signature_lines(&w1.cosign(signed.body(), NOW))
        .with_signature_lines(&w2.cosign(signed.body(), NOW + 1));
    let keys = [w1.verifier(), w2.verifier(), w3.verifier()];
    assert_eq!(keys[1].verify(note.note()), Ok(NOW + 1));
    assert!(matches!(
        keys[2].verify(note.note()),
        Err(TransparencyError::NotCosignedBy { .. })
    ));
    assert_eq!(
        check_quorum(note.note(), &keys, 2).expect("two of three"),
        ["witness.example/w1", "witness.example/w2"]
    );
    let short = check_quorum(note.note(), &keys, 3).expect_err("three needed");
    assert!(short.to_string().contains("witness.example/w3"), "{short}");
    // Adding a line twice keeps one.
    let twice = note.with_signature_lines(&w1.cosign(signed.body(), NOW));
    assert_eq!(twice.note(), note.note());

    // A cosignature over another checkpoint does not verify for this one.
    let other = log.sign(6, [3; 32]);
    let moved = signed.with_signature_lines(&w1.cosign(other.body(), NOW));
    assert!(matches!(
        keys[0].verify(moved.note()),
        Err(TransparencyError::BadSignature { .. })
    ));
}

#[test]
fn witness_keys_round_trip_and_are_not_log_keys() {
    let w = witness("witness.example/w1", 4);
    let public = w.verifier().to_string();
    assert_eq!(CosignerKey::parse(&public).expect("parses"), w.verifier());
    let private = w.to_private_text();
    assert_eq!(
        CosignerSigner::parse(&private).expect("parses").verifier(),
        w.verifier()
    );
    // The type byte tells a witness key (0x04) from a log key (0x01).
    assert!(CosignerKey::parse(&log_key().verifier().to_string()).is_err());
    assert!(transparency::NoteVerifier::parse(&public).is_err());
    let _: Hash = [0; 32];
}
