//! The application layer of stdreg: the codec between domain events and their
//! stored form, import of revision documents, decide-and-append with optimistic
//! concurrency, and the timeline kept current by following the log.

pub mod bundled;
pub mod bundled_local;
pub mod codec;
pub mod import;
pub mod page;
pub mod preview;
pub mod query;
pub mod search;
mod service;
mod signing;
pub mod snapshot;
pub mod verifiable;
pub mod view;

pub use service::{
    CATCH_UP_PAGE, FOLLOW_RETRY_MAX, FOLLOW_RETRY_MIN, ImportOutcome, Published, Registry,
    RegistryError, decode_batches, today,
};
