//! The pure domain of stdreg: standards, revisions, events; `decide` and `apply`.
//!
//! No I/O, no async, no clock: record time and "today" are passed in.

use chrono::NaiveDate;
use uuid::Uuid;

pub mod command;
mod decide;
pub mod event;
pub mod ids;
pub mod input;
pub mod levels;
pub mod model;
pub mod state;
pub mod text;

pub use decide::{
    CommandContext, decide, published_revisions, restating_changes, withdrawn_revisions,
};
pub use state::Violation;

use ids::{CategoryId, ItemId, Jurisdiction, RevisionId};

/// Why a command cannot be recorded. Nothing is appended when `decide` fails.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DomainError {
    /// Not `CN` nor a six-digit division code.
    #[error(
        "'{0}' is not a jurisdiction: use CN for the national standard or a six-digit division code such as 510100"
    )]
    InvalidJurisdiction(String),
    /// An id with characters outside letters, digits, `-`, `_`, `.` or longer than 64.
    #[error("'{value}' is not a valid {kind}: use 1 to 64 letters, digits, '-', '_' or '.'")]
    InvalidId { kind: &'static str, value: String },
    /// A new event would break an invariant at its effective date.
    #[error("rejected: {0}")]
    Rejected(Violation),
    /// A retroactive change would make an event already on record impossible.
    #[error(
        "rejected: it would break later event {event_id} ({event_type} of revision {revision}, effective {effective_from}): {violation}"
    )]
    BreaksLaterEvent {
        event_id: Uuid,
        event_type: &'static str,
        revision: RevisionId,
        effective_from: NaiveDate,
        violation: Violation,
    },
    /// The stored history itself does not fold; the log needs an operator.
    #[error("the recorded history is inconsistent at event {event_id}: {violation}")]
    InconsistentHistory {
        event_id: Uuid,
        violation: Violation,
    },
    #[error("revision {0} is already recorded")]
    RevisionExists(RevisionId),
    #[error("revision {0} is not recorded for this standard")]
    UnknownRevision(RevisionId),
    #[error("revision {0} was withdrawn")]
    RevisionWithdrawn(RevisionId),
    #[error("revision {0} is itself a withdrawal and cannot be withdrawn")]
    CannotWithdrawWithdrawal(RevisionId),
    /// Only revisions not yet in force can be withdrawn; a correction fixes the others.
    #[error(
        "revision {revision} is already in force (since {effective_from}); publish a correction instead of a withdrawal"
    )]
    AlreadyInForce {
        revision: RevisionId,
        effective_from: NaiveDate,
    },
    #[error("a {kind} cannot be published for jurisdiction {jurisdiction}")]
    KindNotForJurisdiction {
        kind: &'static str,
        jurisdiction: Jurisdiction,
    },
    #[error("a {kind} must state {expected}")]
    ContentDoesNotFitKind {
        kind: &'static str,
        expected: &'static str,
    },
    #[error("a {kind} must name `{field}`")]
    MissingReference {
        kind: &'static str,
        field: &'static str,
    },
    #[error("the change `{op}` does not belong in a {kind}")]
    ChangeDoesNotFitKind {
        op: &'static str,
        kind: &'static str,
    },
    #[error("the amendment of item {0} changes nothing")]
    AmendmentChangesNothing(ItemId),
    #[error("revision {0} changes nothing in the standard")]
    NothingChanges(RevisionId),
    #[error("the document states {kind} {id} twice")]
    DuplicateInDocument { kind: &'static str, id: String },
    #[error(
        "category {0} would move to another aspect; retire it and define a new category instead"
    )]
    CategoryChangesAspect(CategoryId),
}
