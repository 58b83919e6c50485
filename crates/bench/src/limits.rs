//! Every size and bound of the benchmark in one place.

/// Average events one synthetic standard's log holds with [`REVISIONS_PER_STANDARD`].
/// Only an estimate, to size the workload before generating it.
pub const EVENTS_PER_STANDARD_ESTIMATE: u64 = 940;

/// Revisions each synthetic standard receives after its founding one.
pub const REVISIONS_PER_STANDARD: usize = 56;

/// Attempts to find an accepted command for one revision before skipping it.
pub const ATTEMPTS_PER_REVISION: usize = 6;

/// Most synthetic standards one workload holds (one national, the rest local).
pub const STANDARDS_MAX: usize = 40_000;

/// Events per transaction when bulk-loading a generated log.
pub const LOAD_CHUNK: usize = 20_000;

/// Time-travel queries timed against the index, per size.
pub const QUERIES_DEFAULT: usize = 2_000;

/// Of those, how many are also answered by the naive fold (it is ~1000× slower).
pub const NAIVE_QUERIES_DEFAULT: usize = 300;

/// Largest number of queries per size, whatever the flags say.
pub const QUERIES_MAX: usize = 1_000_000;

/// Durable single-event commits per round and side in the append benchmark.
pub const SINGLE_COMMITS_DEFAULT: usize = 400;

/// Events per append in the batch part of the append benchmark.
pub const BATCH_EVENTS_DEFAULT: usize = 10_000;

/// Interleaved rounds of the append benchmark (raw and stdreg alternate).
pub const APPEND_ROUNDS_DEFAULT: usize = 5;

/// Cold starts timed at the largest size; the median is reported.
pub const COLD_STARTS: usize = 3;

/// Longest a child process (rebuild or cold start) may run before it is killed.
pub const CHILD_TIMEOUT_SECS: u64 = 1_800;

/// Sizes (events) of the full configuration.
pub const SIZES_DEFAULT: [u64; 3] = [10_000, 1_000_000, 3_000_000];

/// Sizes of `--quick`.
pub const SIZES_QUICK: [u64; 1] = [2_000];

/// Concurrent keep-alive connections of the HTTP load levels (2× cores up to 64 on 2 cores).
pub const HTTP_CONNECTIONS_DEFAULT: [usize; 3] = [4, 16, 64];

/// Length of one HTTP load level, in seconds.
pub const HTTP_SECONDS_DEFAULT: f64 = 10.0;

/// Most requests of one HTTP load level.
pub const HTTP_REQUESTS_MAX: u64 = 2_000_000;

/// Most latency samples one load connection keeps (bounds its memory).
pub const HTTP_SAMPLES_MAX: usize = 2_000_000;

/// Most concurrent connections of one load level.
pub const HTTP_CONNECTIONS_MAX: usize = 1_024;

/// Longest an HTTP load level may be asked to run, in seconds.
pub const HTTP_SECONDS_MAX: f64 = 600.0;

/// Sequential requests per step of the in-process timing breakdown.
pub const HTTP_BREAKDOWN_RUNS: usize = 2_000;

/// Longest `stdreg serve` may take to open, verify and index its log and print its address.
pub const SERVER_START_SECS: u64 = 600;

/// Longest a load connection waits for the server to close after its last request.
pub const HTTP_CLOSE_SECS: u64 = 5;
