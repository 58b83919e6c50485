//! Compliance of local implementation standards.
//!
//! Every province, city and county must publish an implementation standard
//! within six months of a national edition, cover every national item, never
//! fall below the national level, and may go beyond national scope only with an
//! argumentation and risk assessment on record. This crate answers, for one
//! locality at (`valid_at`, `known_at`), which of these rules hold on the
//! record, which are broken, and which cannot be told; and on which dates that
//! answer changed.
//!
//! Pure: it reads a `timeline::Timeline`; no I/O, no clock. Every answer is a
//! plain serialisable value.

pub mod divisions;
mod evaluate;
pub mod levels;
pub mod limits;
mod over_time;
mod report;
mod summary;

pub use evaluate::{due_by, evaluate, is_edition, national_edition};
pub use over_time::{ComplianceChange, ComplianceHistory, over_time};
pub use report::{
    ComplianceReport, ComplianceStatus, Coverage, Deadline, DeadlineState, Finding, FindingKind,
    ItemCheck, ItemSide, PublishedBasis, RevisionBrief, Severity, StandardAtPoint,
};
pub use summary::{ComplianceSummary, StatusCount, SummaryRow, summarize};

use domain::ids::Jurisdiction;

/// Why a compliance question cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ComplianceError {
    /// Compliance is asked of a locality; the national standard is what it is measured against.
    #[error(
        "CN is the national standard, the reference for compliance: ask about a province, city or county code such as 510000, or summarise below CN"
    )]
    NationalIsReference,
    /// The code does not lie in one of the 31 provincial-level divisions.
    #[error(
        "jurisdiction {0} does not lie in any of the 31 provincial-level divisions: check the code (the first two digits name the province, e.g. 51 for 四川省)"
    )]
    UnknownProvince(Jurisdiction),
    /// Nothing to measure against yet.
    #[error("no national standard is recorded: import it first (stdreg import)")]
    NoNationalStandard,
}
