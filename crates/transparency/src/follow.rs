//! Following another log by its signed checkpoints, as a mirror does: which
//! received events may be kept, and where two histories fork. Sans I/O: the
//! caller receives events, checkpoints and proofs and passes them in.
//!
//! A checkpoint is accepted when the pinned key signed it, the tree over the
//! events held and received has the signed root at the signed size, and it
//! extends the checkpoint accepted before (never shorter; a consistency
//! proof from the source when longer). Only then are the events it covers
//! handed out to be stored.

use event_store::StoredEvent;

use crate::{
    Hash, MerkleTree, NoteVerifier, SignedCheckpoint, TransparencyError, event_leaf_hash,
    verify_consistency,
};

/// Most events held waiting for a checkpoint that covers them; a source signs
/// one after each revision, so this is far more than one revision's.
pub const PENDING_EVENTS_MAX: usize = 1_000_000;

fn hex(hash: &Hash) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a follower refuses what its source sent; each names the first
/// position of the log it concerns ([`FollowRefusal::position`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FollowRefusal {
    /// An event arrived out of order.
    #[error("the source sent the event of position {got} instead")]
    OutOfOrder { expected: u64, got: u64 },
    /// Too many events arrived without a checkpoint covering them.
    #[error("the source sent {max} events without a checkpoint covering them")]
    TooManyPending { next: u64, max: usize },
    /// A checkpoint is not signed by the pinned key.
    #[error("a checkpoint does not verify with the pinned key: {error}")]
    NotVerified { size: u64, error: TransparencyError },
    /// A checkpoint signs more events than were sent.
    #[error("the source signed {signed} events but sent only {sent}")]
    SignsUnsent { signed: u64, sent: u64 },
    /// The events held and received do not have the signed root.
    #[error(
        "the history forks: the source signs {size} events with root {}, the events held and received hash to {}; the two logs differ first at position {first_difference}",
        hex(signed_root),
        hex(ours)
    )]
    Forked {
        size: u64,
        signed_root: Hash,
        ours: Hash,
        /// Found by [`ForkSearch`]; `size` until searched.
        first_difference: u64,
    },
    /// The source now signs fewer events than it signed before.
    #[error(
        "the source's latest checkpoint signs {size} events, fewer than the {verified} verified before: its history was truncated"
    )]
    Truncated { size: u64, verified: u64 },
    /// The source's proof that its new checkpoint extends the old one fails.
    #[error(
        "the source's proof that its checkpoint of {size} events extends the one of {old_size} does not verify: {error}"
    )]
    NotExtended {
        old_size: u64,
        size: u64,
        error: TransparencyError,
    },
}

impl FollowRefusal {
    /// The first position of the log the refusal concerns.
    pub fn position(&self) -> u64 {
        match self {
            Self::OutOfOrder { expected, .. } => *expected,
            Self::TooManyPending { next, .. } => *next,
            Self::NotVerified { size, .. } => *size,
            Self::SignsUnsent { sent, .. } => sent + 1,
            Self::Forked {
                first_difference, ..
            } => *first_difference,
            Self::Truncated { size, .. } => size + 1,
            Self::NotExtended { old_size, .. } => old_size + 1,
        }
    }
}

/// Why a follower's own saved checkpoint no longer fits the log it holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SavedCheckpointError {
    #[error("it does not verify: {0}")]
    NotVerified(TransparencyError),
    /// The log holds fewer events than the checkpoint covers.
    #[error(
        "the log holds {held} events, fewer than the {size} its checkpoint covers: events were removed"
    )]
    EventsRemoved { held: u64, size: u64 },
    /// The log's first `size` events no longer have the signed root.
    #[error(
        "the log no longer matches its checkpoint (the first {size} events hash to {}, not {}): its store was changed",
        hex(ours),
        hex(signed)
    )]
    Changed { size: u64, ours: Hash, signed: Hash },
}

/// Opens a follower's saved checkpoint `note` and checks it against the tree
/// over the log the follower holds.
pub fn check_saved(
    key: &NoteVerifier,
    note: &str,
    tree: &MerkleTree,
) -> Result<SignedCheckpoint, SavedCheckpointError> {
    let signed = key.open(note).map_err(SavedCheckpointError::NotVerified)?;
    let size = signed.checkpoint.size;
    let ours = tree
        .root_at(size)
        .map_err(|_| SavedCheckpointError::EventsRemoved {
            held: tree.size(),
            size,
        })?;
    if ours != signed.checkpoint.root {
        return Err(SavedCheckpointError::Changed {
            size,
            ours,
            signed: signed.checkpoint.root,
        });
    }
    Ok(signed)
}

/// A checkpoint that verified against the received events, waiting for the
/// proof that it extends the one accepted before.
#[derive(Debug, Clone)]
pub struct Candidate {
    signed: SignedCheckpoint,
    /// `(old size, new size)` of the consistency proof needed, if any.
    proof_needed: Option<(u64, u64)>,
}

impl Candidate {
    /// The consistency proof to ask the source for before [`Follower::accept`].
    pub fn proof_needed(&self) -> Option<(u64, u64)> {
        self.proof_needed
    }
}

/// The state of a follower: the tree over every event it holds or received,
/// the key it trusts, and the last checkpoint it accepted.
#[derive(Debug)]
pub struct Follower {
    tree: MerkleTree,
    /// Received events not yet covered by an accepted checkpoint, in order.
    pending: Vec<StoredEvent>,
    pending_max: usize,
    key: NoteVerifier,
    accepted: Option<SignedCheckpoint>,
}

impl Follower {
    /// A follower holding the log `tree` is over, of which `accepted` (checked
    /// with [`check_saved`]) was the last checkpoint accepted.
    pub fn new(tree: MerkleTree, key: NoteVerifier, accepted: Option<SignedCheckpoint>) -> Self {
        Self {
            tree,
            pending: Vec::new(),
            pending_max: PENDING_EVENTS_MAX,
            key,
            accepted,
        }
    }

    /// The same with another bound on the events held waiting for a checkpoint.
    pub fn with_pending_max(self, pending_max: usize) -> Self {
        Self {
            pending_max,
            ..self
        }
    }

    /// Events held and received.
    pub fn tree(&self) -> &MerkleTree {
        &self.tree
    }

    /// The last checkpoint accepted.
    pub fn accepted(&self) -> Option<&SignedCheckpoint> {
        self.accepted.as_ref()
    }

    /// Events covered by the last accepted checkpoint.
    pub fn verified_size(&self) -> u64 {
        self.accepted.as_ref().map_or(0, |s| s.checkpoint.size)
    }

    /// Takes the next event the source sent.
    pub fn receive(&mut self, event: StoredEvent) -> Result<(), FollowRefusal> {
        let expected = self.tree.size() + 1;
        if event.global_position != expected {
            return Err(FollowRefusal::OutOfOrder {
                expected,
                got: event.global_position,
            });
        }
        if self.pending.len() >= self.pending_max {
            return Err(FollowRefusal::TooManyPending {
                next: expected,
                max: self.pending_max,
            });
        }
        self.tree.push(event_leaf_hash(&event));
        self.pending.push(event);
        Ok(())
    }

    /// Checks a checkpoint the source sent against the events held and
    /// received. A fork is reported with `first_difference` = its size:
    /// search for the real one with [`Follower::fork_search`].
    pub fn check(&self, note: &str) -> Result<Candidate, FollowRefusal> {
        let signed = self
            .key
            .open(note)
            .map_err(|error| FollowRefusal::NotVerified {
                size: self.tree.size(),
                error,
            })?;
        let (size, root) = (signed.checkpoint.size, signed.checkpoint.root);
        let ours = self
            .tree
            .root_at(size)
            .map_err(|_| FollowRefusal::SignsUnsent {
                signed: size,
                sent: self.tree.size(),
            })?;
        if ours != root {
            return Err(FollowRefusal::Forked {
                size,
                signed_root: root,
                ours,
                first_difference: size,
            });
        }
        let verified = self.verified_size();
        if self.accepted.is_some() && size < verified {
            return Err(FollowRefusal::Truncated { size, verified });
        }
        let proof_needed = (self.accepted.is_some() && size > verified).then_some((verified, size));
        Ok(Candidate {
            signed,
            proof_needed,
        })
    }

    /// Accepts a checked checkpoint, given the consistency proof it needs,
    /// and hands out the events it covers, in order, to be stored.
    pub fn accept(
        &mut self,
        candidate: Candidate,
        proof: &[Hash],
    ) -> Result<Vec<StoredEvent>, FollowRefusal> {
        let checkpoint = &candidate.signed.checkpoint;
        if let (Some((old_size, size)), Some(old)) = (candidate.proof_needed, &self.accepted) {
            verify_consistency(
                old_size,
                size,
                &old.checkpoint.root,
                &checkpoint.root,
                proof,
            )
            .map_err(|error| FollowRefusal::NotExtended {
                old_size,
                size,
                error,
            })?;
        }
        let covered = self
            .pending
            .iter()
            .take_while(|event| event.global_position <= checkpoint.size)
            .count();
        let events = self.pending.drain(..covered).collect();
        self.accepted = Some(candidate.signed);
        Ok(events)
    }

    /// Starts the search for where the source's history of `refusal` (a
    /// [`FollowRefusal::Forked`]) and the follower's first differ.
    pub fn fork_search(&self, refusal: &FollowRefusal) -> Option<ForkSearch> {
        match refusal {
            FollowRefusal::Forked {
                size, signed_root, ..
            } => Some(ForkSearch {
                size: *size,
                root: *signed_root,
                agree: 0,
                differ: *size,
            }),
            _ => None,
        }
    }
}

/// Bisects for the longest prefix of the follower's tree that the source
/// proves consistent with its signed root; the position after it is the
/// first that differs. Each probe needs one consistency proof from the source.
#[derive(Debug, Clone)]
pub struct ForkSearch {
    size: u64,
    root: Hash,
    /// The follower's first `agree` leaves are the source's.
    agree: u64,
    /// The follower's first `differ` leaves are not.
    differ: u64,
}

impl ForkSearch {
    /// The size whose consistency with the signed size to ask the source to
    /// prove next; `None` when the search is over.
    pub fn probe(&self) -> Option<(u64, u64)> {
        (self.differ - self.agree > 1)
            .then(|| (self.agree + (self.differ - self.agree) / 2, self.size))
    }

    /// Records the source's answer to [`ForkSearch::probe`]: its proof, or
    /// `None` if it gave none (counted as not consistent).
    pub fn answer(&mut self, follower: &Follower, proof: Option<&[Hash]>) {
        let Some((middle, size)) = self.probe() else {
            return;
        };
        let consistent = match (follower.tree.root_at(middle), proof) {
            (Ok(ours), Some(proof)) => {
                verify_consistency(middle, size, &ours, &self.root, proof).is_ok()
            }
            _ => false,
        };
        if consistent {
            self.agree = middle;
        } else {
            self.differ = middle;
        }
    }

    /// The refusal with the first position found to differ.
    pub fn refusal(&self, refusal: FollowRefusal) -> FollowRefusal {
        match refusal {
            FollowRefusal::Forked {
                size,
                signed_root,
                ours,
                ..
            } => FollowRefusal::Forked {
                size,
                signed_root,
                ours,
                first_difference: self.differ,
            },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use event_store::StreamId;
    use uuid::Uuid;

    use super::*;
    use crate::NoteSigner;

    fn event(position: u64, variant: u8) -> StoredEvent {
        StoredEvent {
            event_id: Uuid::from_u128(u128::from(position) << 8 | u128::from(variant)),
            stream: StreamId::new("standard-CN"),
            stream_position: position - 1,
            global_position: position,
            event_type: "Registered".to_owned(),
            schema_version: 1,
            data: vec![b'{', variant, b'}'],
            recorded_at: Utc
                .timestamp_opt(1_700_000_000 + position as i64, 0)
                .single()
                .expect("a valid instant"),
            sealed: None,
        }
    }

    fn signer() -> NoteSigner {
        NoteSigner::from_seed("example.org/log", [7; 32]).expect("a key")
    }

    /// The source's log of `len` events.
    fn source(len: u64) -> Vec<StoredEvent> {
        (1..=len).map(|p| event(p, 0)).collect()
    }

    fn signed(events: &[StoredEvent]) -> String {
        let tree = MerkleTree::from_leaf_hashes(events.iter().map(event_leaf_hash));
        signer().sign(tree.size(), tree.root()).note().to_owned()
    }

    fn follower() -> Follower {
        Follower::new(MerkleTree::new(), signer().verifier(), None)
    }

    fn take(follower: &mut Follower, events: &[StoredEvent]) {
        for e in events {
            follower.receive(e.clone()).expect("in order");
        }
    }

    fn consistency(events: &[StoredEvent], old: u64, new: u64) -> Vec<Hash> {
        MerkleTree::from_leaf_hashes(events.iter().map(event_leaf_hash))
            .consistency_proof(old, new)
            .expect("a proof")
    }

    #[test]
    fn events_are_handed_out_once_a_checkpoint_covers_them() {
        let log = source(5);
        let mut follower = follower();
        take(&mut follower, &log[..3]);
        let first = follower.check(&signed(&log[..2])).expect("verifies");
        assert_eq!(first.proof_needed(), None);
        assert_eq!(follower.accept(first, &[]).expect("accepted"), log[..2]);
        assert_eq!(follower.verified_size(), 2);

        take(&mut follower, &log[3..]);
        let second = follower.check(&signed(&log)).expect("verifies");
        assert_eq!(second.proof_needed(), Some((2, 5)));
        let proof = consistency(&log, 2, 5);
        assert_eq!(follower.accept(second, &proof).expect("accepted"), log[2..]);
        assert_eq!(follower.verified_size(), 5);
    }

    #[test]
    fn what_a_source_must_not_send_is_refused_naming_the_position() {
        let log = source(4);
        let stranger = NoteSigner::from_seed("example.org/log", [9; 32]).expect("a key");

        let mut out_of_order = follower();
        let refusal = out_of_order.receive(log[1].clone()).expect_err("refused");
        assert_eq!(
            (refusal.position(), refusal.clone()),
            (
                1,
                FollowRefusal::OutOfOrder {
                    expected: 1,
                    got: 2
                }
            )
        );

        let mut capped = follower().with_pending_max(2);
        take(&mut capped, &log[..2]);
        let refusal = capped.receive(log[2].clone()).expect_err("refused");
        assert!(
            matches!(refusal, FollowRefusal::TooManyPending { next: 3, max: 2 }),
            "{refusal}"
        );

        let mut held = follower();
        take(&mut held, &log[..2]);
        let foreign = stranger.sign(
            2,
            MerkleTree::from_leaf_hashes(log[..2].iter().map(event_leaf_hash)).root(),
        );
        let refusal = held.check(foreign.note()).expect_err("refused");
        assert!(
            matches!(refusal, FollowRefusal::NotVerified { .. }),
            "{refusal}"
        );

        let refusal = held.check(&signed(&log[..3])).expect_err("refused");
        assert_eq!(refusal, FollowRefusal::SignsUnsent { signed: 3, sent: 2 });
        assert_eq!(refusal.position(), 3);
    }

    #[test]
    fn a_shorter_checkpoint_than_the_accepted_one_is_truncation() {
        let log = source(3);
        let mut follower = follower();
        take(&mut follower, &log);
        let all = follower.check(&signed(&log)).expect("verifies");
        follower.accept(all, &[]).expect("accepted");
        let refusal = follower.check(&signed(&log[..2])).expect_err("refused");
        assert_eq!(
            refusal,
            FollowRefusal::Truncated {
                size: 2,
                verified: 3
            }
        );
        assert_eq!(refusal.position(), 3);
    }

    #[test]
    fn a_proof_that_does_not_extend_the_accepted_checkpoint_is_refused() {
        let log = source(4);
        let mut follower = follower();
        take(&mut follower, &log[..2]);
        let first = follower.check(&signed(&log[..2])).expect("verifies");
        follower.accept(first, &[]).expect("accepted");
        take(&mut follower, &log[2..]);
        let second = follower.check(&signed(&log)).expect("verifies");
        let wrong = consistency(&log, 1, 4);
        let refusal = follower.accept(second, &wrong).expect_err("refused");
        assert!(
            matches!(
                refusal,
                FollowRefusal::NotExtended {
                    old_size: 2,
                    size: 4,
                    ..
                }
            ),
            "{refusal}"
        );
        assert_eq!(refusal.position(), 3);
        assert_eq!(follower.verified_size(), 2, "nothing accepted");
    }

    #[test]
    fn a_fork_is_found_at_its_first_position() {
        for (len, fork_at) in [(8u64, 1u64), (8, 5), (8, 8), (13, 7), (2, 2)] {
            let theirs = source(len);
            let mut ours = theirs.clone();
            for e in &mut ours[fork_at as usize - 1..] {
                *e = event(e.global_position, 1);
            }
            let mut follower = follower();
            take(&mut follower, &ours);
            let refusal = follower.check(&signed(&theirs)).expect_err("a fork");
            let mut search = follower.fork_search(&refusal).expect("a fork to search");
            let mut probes = 0;
            while let Some((middle, size)) = search.probe() {
                probes += 1;
                assert!(probes <= 64, "the search ends");
                let proof = consistency(&theirs, middle, size);
                search.answer(&follower, Some(&proof));
            }
            let refusal = search.refusal(refusal);
            assert_eq!(
                refusal.position(),
                fork_at,
                "{len} events forking at {fork_at}"
            );
            assert!(
                refusal
                    .to_string()
                    .contains(&format!("differ first at position {fork_at}"))
            );
        }
    }

    #[test]
    fn a_saved_checkpoint_must_still_fit_the_log_held() {
        let log = source(3);
        let tree = |events: &[StoredEvent]| {
            MerkleTree::from_leaf_hashes(events.iter().map(event_leaf_hash))
        };
        let key = signer().verifier();
        let note = signed(&log);
        assert!(check_saved(&key, &note, &tree(&log)).is_ok());
        assert_eq!(
            check_saved(&key, &note, &tree(&log[..2])).expect_err("refused"),
            SavedCheckpointError::EventsRemoved { held: 2, size: 3 }
        );
        let mut changed = log.clone();
        changed[1] = event(2, 1);
        assert!(matches!(
            check_saved(&key, &note, &tree(&changed)).expect_err("refused"),
            SavedCheckpointError::Changed { size: 3, .. }
        ));
        assert!(matches!(
            check_saved(&key, "not a note", &tree(&log)).expect_err("refused"),
            SavedCheckpointError::NotVerified(_)
        ));
    }
}
