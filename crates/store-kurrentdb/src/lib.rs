//! KurrentDB (formerly EventStoreDB) backend of the [`EventStore`] trait,
//! through the official `kurrentdb` gRPC client.
//!
//! Everything is behind the `kurrentdb` cargo feature: without it this crate
//! is empty, so the default build of stdreg neither compiles nor links the
//! client. Build stdreg with it as `cargo build -p stdreg --features kurrentdb`
//! and open a store with `--store kurrentdb://HOST:2113?tls=false` (or
//! `esdb://…`, any connection string the client accepts).
//!
//! # Not tested against a server here
//!
//! No KurrentDB server can be installed on the machines this project is
//! built and tested on, so CI only compiles and lints this adapter. The
//! conformance suite in `tests/conformance.rs` runs every case against a
//! server when `KURRENTDB_URL` is set (for example
//! `KURRENTDB_URL=esdb://localhost:2113?tls=false` with the official
//! container image) and prints a skip line otherwise.
//!
//! # Mapping
//!
//! | stdreg                     | KurrentDB                                                      |
//! |----------------------------|----------------------------------------------------------------|
//! | stream `S`                 | stream `{prefix}S` (prefix [`DEFAULT_PREFIX`] unless configured) |
//! | stream position            | the event's stream revision (both 0-based)                     |
//! | `ExpectedVersion::Exact(0)`| `StreamState::NoStream`                                        |
//! | `ExpectedVersion::Exact(n)`| `StreamState::StreamRevision(n - 1)`                           |
//! | `ExpectedVersion::Any`     | `StreamState::Any`                                             |
//! | event id, data             | the KurrentDB event id and payload (binary content type)       |
//! | event type, schema version, record time, sealed bytes (base64) | the event's custom metadata (JSON)                |
//! | global log                 | `$all` filtered to streams with the prefix, in `$all` order    |
//! | global position `n`        | the `n`-th event of that filtered `$all` read                  |
//! | metadata record `K`        | the last event of stream `stdreg-metadata/{prefix}K` (outside the prefix); compare-and-set by expected revision |
//!
//! ## Global positions
//!
//! `$all` positions are commit/prepare offsets into the transaction file:
//! strictly increasing but with gaps (other streams' events, system events,
//! record sizes). stdreg's contract wants 1-based gapless positions. KurrentDB
//! writes `$all` sequentially on the leader and never reorders it, so "the
//! `n`-th stdreg event in `$all`" is the same event for every reader, at any
//! time after it commits: that ordinal is the global position. Each store
//! keeps an in-memory index from ordinal to `$all` position (and event id to
//! ordinal), extended by reading the filtered `$all` from where it stopped;
//! that costs about 40 bytes per event and one full read of the log when a
//! process opens the store. The ordinals stay stable as long as no stdreg
//! stream is deleted, truncated or scavenged, which an event log never should be.
//!
//! ## What holds, and what holds only within one process
//!
//! Holds as on the other backends: appends to one stream are atomic and
//! checked against the expected version by the server, so concurrent
//! writers, in any number of processes, get exactly one winner per version;
//! positions are gapless and strictly increasing along the global log, and
//! every reader sees the same order; a failed append writes nothing.
//!
//! Record time is assigned by the appending process (KurrentDB's own
//! `created` stamp has 100 ns ticks and cannot be set on import) and stored
//! in the metadata, so all events of one append share one record time and
//! imported events keep theirs. It never decreases along the global log for
//! appends made through one store (they are serialised and catch up with the
//! log first), but two processes appending at the same moment may commit in
//! the opposite order of their record times: unlike PostgreSQL's head-row
//! lock, KurrentDB offers no lock across streams. Run one writer process per
//! KurrentDB log if record time must be monotonic across writers.
//!
//! Event ids are checked against the whole log before an append; the server
//! itself only de-duplicates ids within one stream. Two processes appending
//! the same new id to different streams at the same moment would both
//! succeed; stdreg's ids are fresh UUIDv7s, so that needs a broken client.
//!
//! Keep the client's default node preference (the leader): an append
//! reports the global position of its last event, which it reads back from
//! `$all`, and a follower node may serve `$all` a moment late (the store
//! retries a few reads before it reports a backend error).
//!
//! `import_stored` validates the whole batch before writing, but writes one
//! KurrentDB append per run of consecutive events of one stream: if the
//! server fails part-way, the events before the failure stay imported. They
//! always form a prefix of the batch, so the log stays consistent.
//!
//! [`EventStore`]: event_store::EventStore

#[cfg(feature = "kurrentdb")]
mod store;

#[cfg(feature = "kurrentdb")]
pub use store::{ConnectOptions, KurrentStore, OpenError};

/// Prefix of every KurrentDB stream stdreg writes, and the filter of its `$all` reads.
pub const DEFAULT_PREFIX: &str = "stdreg:";

/// Environment variable naming the server the conformance suite runs against.
pub const TEST_URL_VAR: &str = "KURRENTDB_URL";
