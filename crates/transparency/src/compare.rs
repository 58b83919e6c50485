//! Comparing two copies of a log, as a migration checks its copy: page by
//! page, event by event by leaf hash (so by every byte of the canonical
//! envelope), ending with the Merkle root both copies share, the root a
//! registry signs in its checkpoints. Sans I/O: the caller reads the pages.

use event_store::StoredEvent;

use crate::{Hash, MerkleTree, event_leaf_hash};

/// Where two copies of a log differ.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LogMismatch {
    /// The pages read from one position hold different numbers of events.
    #[error("from position {from} the source gives {source_len} events, the copy {copy_len}")]
    Lengths {
        from: u64,
        source_len: usize,
        copy_len: usize,
    },
    /// A page does not continue the log compared so far.
    #[error("the source skips from position {} to {got}", expected - 1)]
    Gap { expected: u64, got: u64 },
    /// One event differs; `field` names the first member that does.
    #[error("the event at global position {position} differs in its {field}")]
    Event { position: u64, field: &'static str },
}

/// The first member in which two stored events differ, by name.
pub fn first_difference(a: &StoredEvent, b: &StoredEvent) -> Option<&'static str> {
    [
        ("event id", a.event_id == b.event_id),
        ("stream", a.stream == b.stream),
        ("stream position", a.stream_position == b.stream_position),
        ("global position", a.global_position == b.global_position),
        ("event type", a.event_type == b.event_type),
        ("schema version", a.schema_version == b.schema_version),
        ("data", a.data == b.data),
        ("record time", a.recorded_at == b.recorded_at),
    ]
    .into_iter()
    .find_map(|(field, same)| (!same).then_some(field))
}

/// Two copies of a log compared so far.
#[derive(Debug, Default)]
pub struct LogComparison {
    tree: MerkleTree,
}

impl LogComparison {
    pub fn new() -> Self {
        Self::default()
    }

    /// Events found equal so far.
    pub fn size(&self) -> u64 {
        self.tree.size()
    }

    /// Compares the next page of each copy, read from the same position.
    pub fn compare(
        &mut self,
        source: &[StoredEvent],
        copy: &[StoredEvent],
    ) -> Result<(), LogMismatch> {
        let from = self.tree.size() + 1;
        if source.len() != copy.len() {
            return Err(LogMismatch::Lengths {
                from,
                source_len: source.len(),
                copy_len: copy.len(),
            });
        }
        for (a, b) in source.iter().zip(copy) {
            let expected = self.tree.size() + 1;
            if a.global_position != expected {
                return Err(LogMismatch::Gap {
                    expected,
                    got: a.global_position,
                });
            }
            let leaf = event_leaf_hash(a);
            if leaf != event_leaf_hash(b) {
                return Err(LogMismatch::Event {
                    position: a.global_position,
                    field: first_difference(a, b).unwrap_or("canonical form"),
                });
            }
            self.tree.push(leaf);
        }
        Ok(())
    }

    /// The Merkle root over every event compared: both copies have it.
    pub fn root(&self) -> Hash {
        self.tree.root()
    }
}

#[cfg(test)]
mod tests {
    use event_store::StreamId;
    use uuid::Uuid;

    use super::*;
    use crate::testing::event;

    #[test]
    fn equal_copies_share_the_root_of_the_log() {
        let log: Vec<StoredEvent> = (1..=5).map(event).collect();
        let mut comparison = LogComparison::new();
        comparison.compare(&log[..2], &log[..2]).expect("equal");
        comparison.compare(&log[2..], &log[2..]).expect("equal");
        assert_eq!(comparison.size(), 5);
        let tree = MerkleTree::from_leaf_hashes(log.iter().map(event_leaf_hash));
        assert_eq!(comparison.root(), tree.root());
    }

    #[test]
    fn a_difference_names_the_position_and_member() {
        let base = event(1);
        let changed: Vec<(StoredEvent, &str)> = vec![
            (
                StoredEvent {
                    event_id: Uuid::from_u128(8),
                    ..base.clone()
                },
                "event id",
            ),
            (
                StoredEvent {
                    stream: StreamId::new("standard-110000"),
                    ..base.clone()
                },
                "stream",
            ),
            (
                StoredEvent {
                    stream_position: 1,
                    ..base.clone()
                },
                "stream position",
            ),
            (
                StoredEvent {
                    event_type: "Other".into(),
                    ..base.clone()
                },
                "event type",
            ),
            (
                StoredEvent {
                    schema_version: 2,
                    ..base.clone()
                },
                "schema version",
            ),
            (
                StoredEvent {
                    data: b"{ }".to_vec(),
                    ..base.clone()
                },
                "data",
            ),
            (
                StoredEvent {
                    recorded_at: base.recorded_at + chrono::Duration::microseconds(1),
                    ..base.clone()
                },
                "record time",
            ),
        ];
        for (copy, field) in changed {
            let error = LogComparison::new()
                .compare(std::slice::from_ref(&base), &[copy])
                .expect_err(field);
            assert_eq!(error, LogMismatch::Event { position: 1, field });
        }
        assert_eq!(first_difference(&base, &base.clone()), None);
    }

    #[test]
    fn pages_that_do_not_line_up_are_refused() {
        let log: Vec<StoredEvent> = (1..=3).map(event).collect();
        assert_eq!(
            LogComparison::new()
                .compare(&log, &log[..2])
                .expect_err("lengths"),
            LogMismatch::Lengths {
                from: 1,
                source_len: 3,
                copy_len: 2
            }
        );
        assert_eq!(
            LogComparison::new()
                .compare(&log[1..], &log[1..])
                .expect_err("gap"),
            LogMismatch::Gap {
                expected: 1,
                got: 2
            }
        );
    }
}
