//! The HTTP figure: an edition query over `POST /graphql` under concurrent
//! keep-alive load, and where the time of one such request goes.
//!
//! The server is `stdreg serve` in a child process on a temporary data
//! directory (or, without the binary, the same router in this process). The
//! load generator is closed-loop: each connection sends its next request when
//! the previous answer has been read, so latencies are those of a saturated
//! server, not of a fixed arrival rate. Every answer must be 200 and carry the
//! expected items; anything else is counted as an error, never as a request.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::NaiveDate;
use domain::ids::Jurisdiction;
use http_body_util::{BodyExt, Full};
use hyper::header::{ACCEPT, CONTENT_TYPE, HOST};
use hyper_util::rt::TokioIo;
use registry::Registry;
use registry::view::EditionView;
use serde::{Deserialize, Serialize};
use timeline::Timeline;
use tokio::io::AsyncBufReadExt;

use crate::Error;
use crate::limits::{HTTP_CLOSE_SECS, HTTP_SAMPLES_MAX, SERVER_START_SECS};
use crate::machine::Latency;

/// The full edition of the national standard with every item field.
pub const EDITION_QUERY: &str = r#"{ standard(jurisdiction:"CN") { edition(validAt:"2022-01-01") { aspects { categories { items { id number name serviceTarget serviceContent serviceStandard { text } expenditureResponsibility leadUnits lastChangedBy { id } } } } } } }"#;

/// The same edition without provenance: shows what `lastChangedBy` costs.
const EDITION_QUERY_NO_PROVENANCE: &str = r#"{ standard(jurisdiction:"CN") { edition(validAt:"2022-01-01") { aspects { categories { items { id number name serviceTarget serviceContent serviceStandard { text } expenditureResponsibility leadUnits } } } } } }"#;

/// A query that resolves nothing: the fixed cost of one GraphQL request.
const TRIVIAL_QUERY: &str = "{ __typename }";

/// The `validAt` of [`EDITION_QUERY`].
pub fn query_valid_at() -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 1, 1).unwrap_or_default()
}

/// The JSON body that sends [`EDITION_QUERY`].
pub fn request_body() -> Bytes {
    Bytes::from(serde_json::json!({ "query": EDITION_QUERY }).to_string())
}

/// How many items the query must return, from the registry's own view of the
/// edition (not from the API): items of active categories of active aspects.
pub fn expected_items(timeline: &Timeline) -> Option<usize> {
    let standard = timeline.standard(&Jurisdiction::national())?;
    let edition = standard.edition(query_valid_at(), None);
    let view = EditionView::new(&edition);
    Some(
        view.aspects
            .iter()
            .flat_map(|a| &a.categories)
            .map(|c| c.items.len())
            .sum(),
    )
}

/// Items in a GraphQL answer to [`EDITION_QUERY`]; `None` when it is not one.
pub fn items_in_answer(body: &[u8]) -> Option<usize> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    if value.get("errors").is_some() {
        return None;
    }
    let aspects = value
        .pointer("/data/standard/edition/aspects")?
        .as_array()?;
    let mut items = 0;
    for aspect in aspects {
        for category in aspect.get("categories")?.as_array()? {
            let list = category.get("items")?.as_array()?;
            if list.iter().any(|i| i.get("lastChangedBy").is_none()) {
                return None;
            }
            items += list.len();
        }
    }
    Some(items)
}

/// What the HTTP part does.
#[derive(Debug, Clone)]
pub struct HttpPlan {
    /// Concurrent keep-alive connections, one load level each.
    pub connections: Vec<usize>,
    /// Length of each load level.
    pub seconds: f64,
    /// Most requests of one load level, whatever its length.
    pub requests_max: u64,
    /// Also serve the synthetic workload at its largest size.
    pub synthetic: bool,
    /// Also run with the load generator pinned to one core (needs `taskset`).
    pub pin: bool,
    /// Sequential in-process executions per step of the breakdown.
    pub breakdown_runs: usize,
}

/// Requests that did not count, by what went wrong.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct LoadErrors {
    /// A connection could not be opened or its handshake failed.
    pub connect: u64,
    /// The request or its answer broke off (the connection is then given up).
    pub transport: u64,
    /// An answer with a status other than 200.
    pub status: u64,
    /// A 200 answer without the expected items (or with GraphQL errors).
    pub body: u64,
}

impl LoadErrors {
    pub fn total(&self) -> u64 {
        self.connect + self.transport + self.status + self.body
    }

    fn add(&mut self, other: &LoadErrors) {
        self.connect += other.connect;
        self.transport += other.transport;
        self.status += other.status;
        self.body += other.body;
    }
}

/// One load level: N connections for a bounded time.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LoadFigures {
    pub connections: usize,
    pub seconds: f64,
    /// Answers that were 200 with the expected items.
    pub requests: u64,
    pub requests_per_second: f64,
    /// From sending a request to having read its whole answer.
    pub latency: Latency,
    pub max_ns: u64,
    pub errors: LoadErrors,
}

/// One server, one placement of server and load generator, several load levels.
#[derive(Debug, Clone, Serialize)]
pub struct HttpRun {
    /// Which registry the server holds.
    pub data: String,
    /// Events in its log.
    pub events: u64,
    /// Where server and load generator ran.
    pub placement: String,
    /// From spawning the server to its address line (open, verify, catch up, import).
    pub server_start_seconds: f64,
    pub expected_items: usize,
    pub response_bytes: usize,
    pub loads: Vec<LoadFigures>,
}

/// One request's time split up, each step timed alone and sequentially in this process.
#[derive(Debug, Clone, Serialize)]
pub struct Breakdown {
    pub data: String,
    pub response_bytes: usize,
    /// `StandardTimeline::edition` alone.
    pub edition_lookup: Latency,
    /// `schema.execute("{ __typename }")`: parse, validate, run nothing.
    pub execute_trivial: Latency,
    /// `schema.execute` of the edition query: parse, validate, resolve.
    pub execute_full: Latency,
    /// The same without `lastChangedBy { id }`.
    pub execute_without_provenance: Latency,
    /// The executed answer to JSON bytes as the HTTP layer does it (to a
    /// `serde_json::Value`, then to bytes).
    pub serialise: Latency,
    /// The same answer serialised straight to bytes, for comparison.
    pub serialise_direct: Latency,
    /// One keep-alive connection, one request at a time, over loopback.
    pub http_one_connection: Latency,
}

/// Everything the HTTP part measured.
#[derive(Debug, Clone, Serialize)]
pub struct HttpFigures {
    pub query: String,
    pub runs: Vec<HttpRun>,
    pub breakdown: Option<Breakdown>,
}

/// Runs one load level against `address` after checking one answer.
pub async fn load(
    address: SocketAddr,
    connections: usize,
    duration: Duration,
    requests_max: u64,
    expected_items: usize,
) -> Result<LoadFigures, Error> {
    let body = request_body();
    let reference = reference_answer(address, &body, expected_items).await?;
    let reference = Bytes::from(reference);
    let budget = Arc::new(AtomicU64::new(requests_max));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections.max(1) {
        let (body, reference, budget) = (body.clone(), reference.clone(), Arc::clone(&budget));
        tasks.push(tokio::spawn(async move {
            connection(address, body, reference, expected_items, deadline, budget).await
        }));
    }
    let mut samples = Vec::new();
    let mut errors = LoadErrors::default();
    let mut requests = 0u64;
    for task in tasks {
        let tally = task
            .await
            .map_err(|e| Error::Http(format!("a load connection task failed: {e}")))?;
        requests += tally.ok;
        errors.add(&tally.errors);
        samples.extend(tally.samples);
    }
    let seconds = started.elapsed().as_secs_f64();
    let max_ns = samples.iter().copied().max().unwrap_or(0);
    Ok(LoadFigures {
        connections,
        seconds,
        requests,
        requests_per_second: requests as f64 / seconds.max(f64::EPSILON),
        latency: Latency::of(&mut samples),
        max_ns,
        errors,
    })
}

#[derive(Default)]
struct Tally {
    ok: u64,
    errors: LoadErrors,
    samples: Vec<u64>,
}

pub(crate) type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;
/// The task driving one connection.
pub(crate) type Driver = tokio::task::JoinHandle<Result<(), hyper::Error>>;

/// One HTTP/1.1 connection to `address`, with Nagle off.
pub(crate) async fn open(address: SocketAddr) -> Result<(Sender, Driver), String> {
    let stream = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|e| format!("cannot connect to {address}: {e}"))?;
    // Requests are small and answers awaited: Nagle would add delayed-ACK stalls.
    stream
        .set_nodelay(true)
        .map_err(|e| format!("cannot set TCP_NODELAY: {e}"))?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP/1.1 handshake with {address} failed: {e}"))?;
    Ok((sender, tokio::spawn(connection)))
}

fn request(address: SocketAddr, body: Bytes) -> Result<hyper::Request<Full<Bytes>>, String> {
    hyper::Request::post("/graphql")
        .header(HOST, address.to_string())
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT, "application/json")
        .body(Full::new(body))
        .map_err(|e| format!("cannot build the request: {e}"))
}

/// Sends one request on a new connection and checks that its answer holds the expected items.
async fn reference_answer(
    address: SocketAddr,
    body: &Bytes,
    expected_items: usize,
) -> Result<Vec<u8>, Error> {
    let (mut sender, driver) = open(address).await.map_err(Error::Http)?;
    let answer = async {
        let response = sender
            .send_request(request(address, body.clone())?)
            .await
            .map_err(|e| format!("the first request failed: {e}"))?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("reading the first answer failed: {e}"))?
            .to_bytes();
        if status != hyper::StatusCode::OK {
            return Err(format!(
                "the first answer has status {status}: {}",
                String::from_utf8_lossy(&bytes)
            ));
        }
        match items_in_answer(&bytes) {
            Some(n) if n == expected_items => Ok(bytes.to_vec()),
            found => Err(format!(
                "the first answer holds {found:?} items, expected {expected_items}: {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(500)])
            )),
        }
    }
    .await;
    drop(sender);
    close(driver).await;
    answer.map_err(Error::Http)
}

pub(crate) async fn close(driver: Driver) {
    // The connection ends once its sender is gone; a server that keeps it open is not waited for.
    let abort = driver.abort_handle();
    if tokio::time::timeout(Duration::from_secs(HTTP_CLOSE_SECS), driver)
        .await
        .is_err()
    {
        abort.abort();
    }
}

/// Takes one request from the shared budget; false once it is spent.
fn take(budget: &AtomicU64) -> bool {
    budget
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
        .is_ok()
}

async fn connection(
    address: SocketAddr,
    body: Bytes,
    reference: Bytes,
    expected_items: usize,
    deadline: Instant,
    budget: Arc<AtomicU64>,
) -> Tally {
    let mut tally = Tally::default();
    let (mut sender, driver) = match open(address).await {
        Ok(opened) => opened,
        Err(_) => {
            tally.errors.connect += 1;
            return tally;
        }
    };
    while Instant::now() < deadline && tally.samples.len() < HTTP_SAMPLES_MAX && take(&budget) {
        if sender.ready().await.is_err() {
            tally.errors.transport += 1;
            break;
        }
        let Ok(request) = request(address, body.clone()) else {
            tally.errors.transport += 1;
            break;
        };
        let started = Instant::now();
        let answer = match sender.send_request(request).await {
            Ok(response) => {
                let status = response.status();
                response
                    .into_body()
                    .collect()
                    .await
                    .map(|b| (status, b.to_bytes()))
            }
            Err(e) => Err(e),
        };
        let elapsed = started.elapsed().as_nanos().min(u128::from(u64::MAX)) as u64;
        match answer {
            Err(_) => {
                tally.errors.transport += 1;
                break;
            }
            Ok((status, _)) if status != hyper::StatusCode::OK => tally.errors.status += 1,
            // Answers are deterministic: the same bytes as the checked first one
            // are the expected items; anything else is parsed and counted.
            Ok((_, bytes))
                if bytes == reference || items_in_answer(&bytes) == Some(expected_items) =>
            {
                tally.ok += 1;
                tally.samples.push(elapsed);
            }
            Ok(_) => tally.errors.body += 1,
        }
    }
    drop(sender);
    close(driver).await;
    tally
}

/// A `stdreg serve` child process, killed when dropped.
pub struct ServerChild {
    child: tokio::process::Child,
    pub address: SocketAddr,
    pub start_seconds: f64,
    drain: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for ServerChild {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerChild")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl ServerChild {
    /// Starts `exe --data-dir DIR serve --listen 127.0.0.1:0`, on `cpus` only
    /// when given (through `taskset`), and waits for its address line.
    pub async fn start(exe: &Path, data_dir: &Path, cpus: Option<&str>) -> Result<Self, Error> {
        let mut command = match cpus {
            Some(cpus) => {
                let mut c = tokio::process::Command::new("taskset");
                c.args(["-c", cpus]).arg(exe);
                c
            }
            None => tokio::process::Command::new(exe),
        };
        command
            .arg("--data-dir")
            .arg(data_dir)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env_remove("STDREG_STORE")
            .env_remove("STDREG_DATA_DIR")
            .env_remove("STDREG_TOKENS")
            .env_remove("STDREG_LISTEN")
            .env_remove("STDREG_SIGNING_KEY")
            // The per-request log line is not what is measured, and would flood the bench's output.
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let started = Instant::now();
        let mut child = command.spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| Error::Http("the server's standard output is not piped".into()))?;
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let address = tokio::time::timeout(Duration::from_secs(SERVER_START_SECS), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(rest) = line.split("serving on http://").nth(1) {
                    return rest
                        .trim()
                        .trim_end_matches('/')
                        .parse::<SocketAddr>()
                        .map_err(|e| {
                            Error::Http(format!("unreadable address line '{line}': {e}"))
                        });
                }
            }
            Err(Error::Http(
                "the server exited before printing its address".into(),
            ))
        })
        .await
        .map_err(|_| {
            Error::Http(format!(
                "the server printed no address within {SERVER_START_SECS} s"
            ))
        })??;
        let start_seconds = started.elapsed().as_secs_f64();
        // Keeps reading, so the server never blocks on a full pipe; ends with the server.
        let drain = tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self {
            child,
            address,
            start_seconds,
            drain,
        })
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    pub async fn stop(mut self) -> Result<(), Error> {
        self.child.start_kill()?;
        self.child.wait().await?;
        let _ = self.drain.await;
        Ok(())
    }
}

/// The router of `stdreg serve` on a loopback port of this process.
pub struct InProcessServer {
    pub address: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl std::fmt::Debug for InProcessServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcessServer")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl InProcessServer {
    pub async fn start(registry: Arc<Registry>) -> Result<Self, Error> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let app = api::router(api::AppState::new(registry, api::auth::Tokens::none()));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(Self {
            address,
            stop,
            task,
        })
    }

    pub async fn stop(self) -> Result<(), Error> {
        let _ = self.stop.send(());
        self.task
            .await
            .map_err(|e| Error::Http(format!("the in-process server failed: {e}")))??;
        Ok(())
    }
}

/// A registry holding the bundled national data, as `stdreg serve` imports it into an empty store.
pub async fn bundled_registry() -> Result<Registry, Error> {
    let store = Arc::new(event_store::MemoryStore::new());
    let registry = Registry::open(store).await?;
    let revisions = registry::bundled::national_revisions()
        .map_err(|e| Error::Http(format!("the bundled national data does not load: {e}")))?;
    registry
        .import(&registry::import::ImportFile::new(revisions), "import")
        .await?;
    Ok(registry)
}

fn nanos(since: Instant) -> u64 {
    since.elapsed().as_nanos().min(u128::from(u64::MAX)) as u64
}

/// Times each step of one request in this process, `runs` times each, one at a time.
pub async fn breakdown(
    registry: Arc<Registry>,
    data: &str,
    address: SocketAddr,
    runs: usize,
    expected_items: usize,
) -> Result<Breakdown, Error> {
    let schema = api::schema(&api::AppState::new(
        Arc::clone(&registry),
        api::auth::Tokens::none(),
    ));
    let runs = runs.max(1);

    let mut lookup = Vec::with_capacity(runs);
    {
        let timeline = registry.index();
        let standard = timeline
            .standard(&Jurisdiction::national())
            .ok_or_else(|| Error::Http("no national standard to query".into()))?;
        for _ in 0..runs {
            let t0 = Instant::now();
            std::hint::black_box(standard.edition(query_valid_at(), None));
            lookup.push(nanos(t0));
        }
    }

    let time_execute = async |query: &str| {
        let mut samples = Vec::with_capacity(runs);
        let mut last = None;
        for _ in 0..runs {
            let t0 = Instant::now();
            let response = schema.execute(query).await;
            samples.push(nanos(t0));
            last = Some(response);
        }
        (Latency::of(&mut samples), last)
    };
    let (execute_trivial, _) = time_execute(TRIVIAL_QUERY).await;
    let (execute_without_provenance, _) = time_execute(EDITION_QUERY_NO_PROVENANCE).await;
    let (execute_full, response) = time_execute(EDITION_QUERY).await;
    let response = response.ok_or_else(|| Error::Http("no answer to time".into()))?;
    if !response.errors.is_empty() {
        return Err(Error::Http(format!(
            "the edition query failed in process: {:?}",
            response.errors
        )));
    }

    let mut serialise = Vec::with_capacity(runs);
    let mut serialise_direct = Vec::with_capacity(runs);
    let mut response_bytes = 0;
    for _ in 0..runs {
        let t0 = Instant::now();
        let value = serde_json::to_value(&response.data).unwrap_or_default();
        let bytes = serde_json::to_vec(&serde_json::json!({ "data": value })).unwrap_or_default();
        serialise.push(nanos(t0));
        response_bytes = bytes.len();
        let t0 = Instant::now();
        std::hint::black_box(serde_json::to_vec(&response.data).unwrap_or_default());
        serialise_direct.push(nanos(t0));
    }

    let body = request_body();
    reference_answer(address, &body, expected_items).await?;
    let (mut sender, driver) = open(address).await.map_err(Error::Http)?;
    let mut http = Vec::with_capacity(runs);
    let timed = async {
        for _ in 0..runs {
            sender
                .ready()
                .await
                .map_err(|e| format!("the sequential connection closed: {e}"))?;
            let t0 = Instant::now();
            let response = sender
                .send_request(request(address, body.clone())?)
                .await
                .map_err(|e| format!("a sequential request failed: {e}"))?;
            if response.status() != hyper::StatusCode::OK {
                return Err(format!("a sequential request got {}", response.status()));
            }
            response
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("a sequential answer broke off: {e}"))?;
            http.push(nanos(t0));
        }
        Ok(())
    }
    .await;
    drop(sender);
    close(driver).await;
    timed.map_err(Error::Http)?;

    Ok(Breakdown {
        data: data.to_owned(),
        response_bytes,
        edition_lookup: Latency::of(&mut lookup),
        execute_trivial,
        execute_full,
        execute_without_provenance,
        serialise: Latency::of(&mut serialise),
        serialise_direct: Latency::of(&mut serialise_direct),
        http_one_connection: Latency::of(&mut http),
    })
}

/// Where the server and the load generator run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Both in this process, on one runtime (no `stdreg` binary to start).
    InProcess,
    /// Server and load generator in processes of their own, on any core.
    Shared,
    /// The load generator on the first core, the server on any.
    ClientPinned,
    /// The load generator on the first core, the server on the second.
    Split,
}

impl Placement {
    pub fn describe(self) -> &'static str {
        match self {
            Placement::InProcess => {
                "server and load generator in one process, sharing its runtime and every core"
            }
            Placement::Shared => "server and load generator in two processes, sharing every core",
            Placement::ClientPinned => {
                "load generator pinned to core 0 (taskset), server on every core"
            }
            Placement::Split => "load generator pinned to core 0, server pinned to core 1",
        }
    }

    /// `taskset -c` lists of the load generator and the server.
    fn cpus(self) -> (Option<&'static str>, Option<&'static str>) {
        match self {
            Placement::InProcess | Placement::Shared => (None, None),
            Placement::ClientPinned => (Some("0"), None),
            Placement::Split => (Some("0"), Some("1")),
        }
    }
}

/// Whether processes can be pinned to the first two cores here.
pub async fn can_pin(cores: usize) -> bool {
    if cores < 2 {
        return false;
    }
    tokio::process::Command::new("taskset")
        .args(["-c", "1", "true"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success())
}

/// Runs one load level in a `stdreg bench --child-load` process (pinned when `cpus` is given).
pub async fn load_in_child(
    exe: &Path,
    cpus: Option<&str>,
    address: SocketAddr,
    connections: usize,
    seconds: f64,
    requests_max: u64,
    expected_items: usize,
) -> Result<LoadFigures, Error> {
    let mut command = match cpus {
        Some(cpus) => {
            let mut c = tokio::process::Command::new("taskset");
            c.args(["-c", cpus]).arg(exe);
            c
        }
        None => tokio::process::Command::new(exe),
    };
    command
        .args(["bench", "--child-load"])
        .arg(address.to_string())
        .arg("--http-connections")
        .arg(connections.to_string())
        .arg("--http-seconds")
        .arg(seconds.to_string())
        .arg("--requests-max")
        .arg(requests_max.to_string())
        .arg("--expected-items")
        .arg(expected_items.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    let child = command.spawn()?;
    let bound = Duration::from_secs_f64(seconds) + Duration::from_secs(SERVER_START_SECS);
    let output = tokio::time::timeout(bound, child.wait_with_output())
        .await
        .map_err(|_| Error::Child(format!("the load generator ran longer than {bound:?}")))??;
    if !output.status.success() {
        return Err(Error::Child(format!(
            "the load generator exited with {}",
            output.status
        )));
    }
    serde_json::from_slice(&output.stdout)
        .map_err(|e| Error::Child(format!("unreadable load figures: {e}")))
}

/// Runs every load level of `plan` against a server already started.
async fn levels(
    plan: &HttpPlan,
    exe: Option<&Path>,
    placement: Placement,
    address: SocketAddr,
    expected_items: usize,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<LoadFigures>, Error> {
    let mut loads = Vec::new();
    for &connections in &plan.connections {
        progress(&format!(
            "HTTP load: {connections} connections for {} s ({})",
            plan.seconds,
            placement.describe()
        ));
        let figures = match exe {
            Some(exe) => {
                load_in_child(
                    exe,
                    placement.cpus().0,
                    address,
                    connections,
                    plan.seconds,
                    plan.requests_max,
                    expected_items,
                )
                .await?
            }
            None => {
                load(
                    address,
                    connections,
                    Duration::from_secs_f64(plan.seconds),
                    plan.requests_max,
                    expected_items,
                )
                .await?
            }
        };
        loads.push(figures);
    }
    Ok(loads)
}

/// The bundled national data: the timing breakdown, then each placement under load.
pub async fn run_bundled(
    plan: &HttpPlan,
    exe: Option<&Path>,
    placements: &[Placement],
    temp_dir: &dyn Fn() -> Result<tempfile::TempDir, Error>,
    progress: &mut dyn FnMut(&str),
) -> Result<(Vec<HttpRun>, Breakdown), Error> {
    const DATA: &str = "bundled national data";
    let registry = Arc::new(bundled_registry().await?);
    let events = registry.store().head_position().await?;
    let expected_items = expected_items(&registry.index())
        .ok_or_else(|| Error::Http("the bundled data has no national standard".into()))?;
    let mut runs = Vec::new();
    let mut breakdown_done = None;
    for &placement in placements {
        let dir = temp_dir()?;
        let (server_cpus, in_process) = (placement.cpus().1, placement == Placement::InProcess);
        progress(&format!(
            "HTTP: starting a server on the {DATA} ({})",
            placement.describe()
        ));
        let started = Instant::now();
        let (address, child, local) = match exe.filter(|_| !in_process) {
            Some(exe) => {
                let server = ServerChild::start(exe, dir.path(), server_cpus).await?;
                (server.address, Some(server), None)
            }
            None => {
                let server = InProcessServer::start(Arc::clone(&registry)).await?;
                (server.address, None, Some(server))
            }
        };
        let server_start_seconds = child
            .as_ref()
            .map_or(started.elapsed().as_secs_f64(), |c| c.start_seconds);
        let result = async {
            if breakdown_done.is_none() {
                progress("HTTP: timing one request step by step");
                breakdown_done = Some(
                    breakdown(
                        Arc::clone(&registry),
                        DATA,
                        address,
                        plan.breakdown_runs,
                        expected_items,
                    )
                    .await?,
                );
            }
            levels(plan, exe, placement, address, expected_items, progress).await
        }
        .await;
        if let Some(server) = child {
            server.stop().await?;
        }
        if let Some(server) = local {
            server.stop().await?;
        }
        dir.close()?;
        let loads = result?;
        runs.push(HttpRun {
            data: DATA.into(),
            events,
            placement: placement.describe().into(),
            server_start_seconds,
            expected_items,
            response_bytes: breakdown_done.as_ref().map_or(0, |b| b.response_bytes),
            loads,
        });
    }
    let breakdown = breakdown_done.ok_or_else(|| Error::Http("no placement to run".into()))?;
    Ok((runs, breakdown))
}

/// A server on a synthetic store already written to `data_dir`, under load.
pub async fn run_synthetic(
    plan: &HttpPlan,
    exe: &Path,
    data_dir: &Path,
    events: u64,
    expected_items: usize,
    progress: &mut dyn FnMut(&str),
) -> Result<HttpRun, Error> {
    let placement = Placement::Shared;
    progress(&format!(
        "HTTP: starting a server on the synthetic store of {events} events"
    ));
    let server = ServerChild::start(exe, data_dir, None).await?;
    let (address, server_start_seconds) = (server.address, server.start_seconds);
    let result = async {
        let reference = reference_answer(address, &request_body(), expected_items).await?;
        let loads = levels(
            plan,
            Some(exe),
            placement,
            address,
            expected_items,
            progress,
        )
        .await?;
        Ok::<_, Error>((reference.len(), loads))
    }
    .await;
    server.stop().await?;
    let (response_bytes, loads) = result?;
    Ok(HttpRun {
        data: "SYNTHETIC workload".into(),
        events,
        placement: placement.describe().into(),
        server_start_seconds,
        expected_items,
        response_bytes,
        loads,
    })
}
