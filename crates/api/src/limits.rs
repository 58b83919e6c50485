//! Every limit the API enforces, in one place. Each has a test that sends a
//! request past it and gets a clear error (see `tests/limits.rs`).

use std::time::Duration;

use crate::error::ApiError;

/// Deepest selection nesting accepted. GraphiQL's introspection query nests 13
/// deep; the deepest useful query of the schema about 10.
pub const DEPTH_MAX: usize = 16;

/// Most fields (each counted once, wherever it sits) one operation may select.
/// Bounds the work of aliased copies of expensive fields.
pub const COMPLEXITY_MAX: usize = 1_000;

/// Deepest nesting of the document itself (lists, objects, selections) the parser accepts.
pub const RECURSIVE_DEPTH_MAX: usize = 32;

/// Most directives on one field.
pub const DIRECTIVES_MAX: usize = 8;

/// Page size of `Query.events` when `first` is not given.
pub const PAGE_SIZE_DEFAULT: usize = 20;

/// Largest page of `Query.events`.
pub const PAGE_SIZE_MAX: usize = 100;

/// Largest request body; a whole national standard as one revision is well under it.
pub const BODY_BYTES_MAX: usize = 2 * 1024 * 1024;

/// Largest WebSocket message a client may send.
pub const WS_MESSAGE_BYTES_MAX: usize = 64 * 1024;

/// Longest a query or mutation may run before the server answers with a timeout.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Events a subscription takes from the index per step; more arrive on the next step.
pub const SUBSCRIPTION_BATCH: usize = PAGE_SIZE_MAX;

/// Answers of read-only queries kept for repeated requests (`answers.rs`).
pub const ANSWERS_MAX: usize = 1_024;

/// Memory the kept answers (with their requests) may take in all.
pub const ANSWERS_BYTES_MAX: usize = 64 * 1024 * 1024;

/// Largest single answer kept; larger ones are always computed.
pub const ANSWER_BYTES_MAX: usize = 4 * 1024 * 1024;

/// The limits that a deployment (or a test) may lower; the rest are constants.
#[derive(Debug, Clone)]
pub struct Limits {
    pub body_bytes_max: usize,
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_bytes_max: BODY_BYTES_MAX,
            request_timeout: REQUEST_TIMEOUT,
        }
    }
}

/// Checks `first` of a connection: 1 to [`PAGE_SIZE_MAX`], default [`PAGE_SIZE_DEFAULT`].
pub fn page_size(first: Option<i32>) -> Result<usize, ApiError> {
    match first {
        None => Ok(PAGE_SIZE_DEFAULT),
        Some(n) if n >= 1 && n as usize <= PAGE_SIZE_MAX => Ok(n as usize),
        Some(n) => Err(ApiError::BadInput(format!(
            "first must be between 1 and {PAGE_SIZE_MAX}, not {n}; page with `after` for more"
        ))),
    }
}
