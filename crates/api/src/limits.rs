//! Every limit the API enforces, in one place. Each has a test that sends a
//! request past it and gets a clear error, or a connection past it and sees
//! it closed (see `tests/api/limits.rs` and `tests/api/connections.rs`).

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

/// Longest the server waits, from the moment it is ready for a request on a
/// connection, for the request's headers to be complete; then it closes the
/// connection. Bounds clients that trickle headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest the server waits for a request body to arrive in full; then it
/// answers 408 and closes the connection.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection with no request in progress and no byte sent or received
/// for this long is closed: kept-alive connections left idle, and
/// connections that never send anything.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(5);

/// Longest a WebSocket may stay open without sending `connection_init`.
pub const CONNECTION_INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// Most open connections (WebSockets included) the server holds at once;
/// more are refused with 503 `TOO_MANY_CONNECTIONS`.
pub const CONNECTIONS_MAX: usize = 4_096;

/// Most open connections from one client address. Generous, because a
/// reverse proxy or the benchmark's load generator is one address.
pub const CONNECTIONS_PER_ADDRESS_MAX: usize = 1_024;

/// Most running subscriptions at once; more are refused with `TOO_MANY_SUBSCRIPTIONS`.
pub const SUBSCRIPTIONS_MAX: usize = 4_096;

/// Most running subscriptions of one client address.
pub const SUBSCRIPTIONS_PER_ADDRESS_MAX: usize = 256;

/// The limits that a deployment (or a test) may lower; the rest are constants.
#[derive(Debug, Clone)]
pub struct Limits {
    pub body_bytes_max: usize,
    pub request_timeout: Duration,
    pub header_read_timeout: Duration,
    pub body_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub connection_init_timeout: Duration,
    pub connections_max: usize,
    pub connections_per_address_max: usize,
    pub subscriptions_max: usize,
    pub subscriptions_per_address_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_bytes_max: BODY_BYTES_MAX,
            request_timeout: REQUEST_TIMEOUT,
            header_read_timeout: HEADER_READ_TIMEOUT,
            body_read_timeout: BODY_READ_TIMEOUT,
            idle_timeout: IDLE_TIMEOUT,
            connection_init_timeout: CONNECTION_INIT_TIMEOUT,
            connections_max: CONNECTIONS_MAX,
            connections_per_address_max: CONNECTIONS_PER_ADDRESS_MAX,
            subscriptions_max: SUBSCRIPTIONS_MAX,
            subscriptions_per_address_max: SUBSCRIPTIONS_PER_ADDRESS_MAX,
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
