//! Every bound of the gRPC log in one place.

/// Events read from the store per page of a Follow stream. The stream is
/// pulled by the client (HTTP/2 flow control), so at most one page is held
/// per stream.
pub const FOLLOW_PAGE: usize = 500;

/// Largest message sent or accepted, both ways. An event holds one revision
/// document, well under this; a proof is at most 65 hashes.
pub const MESSAGE_BYTES_MAX: usize = 16 * 1024 * 1024;

/// How long a client waits to connect to a server.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
