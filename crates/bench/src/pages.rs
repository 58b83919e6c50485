//! The site's pages over HTTP beside the GraphQL edition query, in the same
//! run against the same server: the standard page (the same edition as
//! [`EDITION_QUERY`], as HTML) and an item page (the item, its timeline and
//! citation). Closed loop, keep-alive, loopback, as the GraphQL figure;
//! every answer must be 200 and the same bytes as the first one checked.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{ACCEPT, CONTENT_TYPE, HOST};
use serde::Serialize;

use crate::Error;
use crate::http::{
    EDITION_QUERY, HttpPlan, LoadErrors, Sender, ServerChild, close, open, request_body,
};
use crate::limits::HTTP_SAMPLES_MAX;
use crate::machine::Latency;

/// The standard page with the content of [`EDITION_QUERY`].
pub const STANDARD_PAGE: &str = "/CN/2022-01-01";
/// An item page: the item that day, its timeline to its documents, its citation.
pub const ITEM_PAGE: &str = "/CN/2024-01-01/items/radio-listening";

/// One target under one load level.
#[derive(Debug, Clone, Serialize)]
pub struct TargetFigures {
    /// `POST /graphql (edition query)` or `GET /path`.
    pub target: String,
    pub response_bytes: usize,
    pub connections: usize,
    pub requests: u64,
    pub requests_per_second: f64,
    pub latency: Latency,
    pub errors: LoadErrors,
}

/// Pages beside GraphQL, per load level.
#[derive(Debug, Clone, Serialize)]
pub struct PagesFigures {
    pub placement: String,
    pub targets: Vec<TargetFigures>,
}

#[derive(Debug, Clone)]
enum Target {
    Graphql,
    Page(&'static str),
}

impl Target {
    fn name(&self) -> String {
        match self {
            Target::Graphql => "POST /graphql (edition query)".into(),
            Target::Page(path) => format!("GET {path}"),
        }
    }

    fn request(&self, address: SocketAddr) -> Result<hyper::Request<Full<Bytes>>, String> {
        let built = match self {
            Target::Graphql => hyper::Request::post("/graphql")
                .header(HOST, address.to_string())
                .header(CONTENT_TYPE, "application/json")
                .header(ACCEPT, "application/json")
                .body(Full::new(request_body())),
            Target::Page(path) => hyper::Request::get(*path)
                .header(HOST, address.to_string())
                .header(ACCEPT, "text/html")
                .body(Full::new(Bytes::new())),
        };
        built.map_err(|e| format!("cannot build the request: {e}"))
    }
}

/// One request on an open connection: status and body.
async fn send(
    sender: &mut Sender,
    target: &Target,
    address: SocketAddr,
) -> Result<(hyper::StatusCode, Bytes), String> {
    sender
        .ready()
        .await
        .map_err(|e| format!("connection lost: {e}"))?;
    let response = sender
        .send_request(target.request(address)?)
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("reading the answer failed: {e}"))?
        .to_bytes();
    Ok((status, body))
}

#[derive(Default)]
struct Tally {
    ok: u64,
    errors: LoadErrors,
    samples: Vec<u64>,
}

async fn connection(
    address: SocketAddr,
    target: Target,
    reference: Bytes,
    deadline: Instant,
    budget: Arc<AtomicU64>,
) -> Tally {
    let mut tally = Tally::default();
    let Ok((mut sender, driver)) = open(address).await else {
        tally.errors.connect += 1;
        return tally;
    };
    while Instant::now() < deadline
        && tally.samples.len() < HTTP_SAMPLES_MAX
        && budget
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
    {
        let started = Instant::now();
        let answer = send(&mut sender, &target, address).await;
        let elapsed = started.elapsed().as_nanos().min(u128::from(u64::MAX)) as u64;
        match answer {
            Err(_) => {
                tally.errors.transport += 1;
                break;
            }
            Ok((status, _)) if status != hyper::StatusCode::OK => tally.errors.status += 1,
            Ok((_, body)) if body == reference => {
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

/// One target at one load level, after checking its first answer.
async fn load(
    address: SocketAddr,
    target: Target,
    connections: usize,
    plan: &HttpPlan,
) -> Result<TargetFigures, Error> {
    let (mut sender, driver) = open(address).await.map_err(Error::Http)?;
    let first = send(&mut sender, &target, address).await;
    drop(sender);
    close(driver).await;
    let reference = match first.map_err(Error::Http)? {
        (hyper::StatusCode::OK, body) => body,
        (status, body) => {
            return Err(Error::Http(format!(
                "{} answered {status}: {}",
                target.name(),
                String::from_utf8_lossy(&body[..body.len().min(300)])
            )));
        }
    };
    let budget = Arc::new(AtomicU64::new(plan.requests_max));
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(plan.seconds);
    let tasks: Vec<_> = (0..connections.max(1))
        .map(|_| {
            tokio::spawn(connection(
                address,
                target.clone(),
                reference.clone(),
                deadline,
                Arc::clone(&budget),
            ))
        })
        .collect();
    let mut samples = Vec::new();
    let mut errors = LoadErrors::default();
    let mut requests = 0;
    for task in tasks {
        let tally = task
            .await
            .map_err(|e| Error::Http(format!("a load connection task failed: {e}")))?;
        requests += tally.ok;
        errors.connect += tally.errors.connect;
        errors.transport += tally.errors.transport;
        errors.status += tally.errors.status;
        errors.body += tally.errors.body;
        samples.extend(tally.samples);
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(TargetFigures {
        target: target.name(),
        response_bytes: reference.len(),
        connections,
        requests,
        requests_per_second: requests as f64 / seconds.max(f64::EPSILON),
        latency: Latency::of(&mut samples),
        errors,
    })
}

/// Starts `stdreg serve` on the bundled data in `data_dir` and loads the
/// GraphQL edition query and the two pages, one after the other, at every
/// load level of `plan`.
pub async fn run(
    plan: &HttpPlan,
    exe: &Path,
    data_dir: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<PagesFigures, Error> {
    progress("pages: starting a server on the bundled national data");
    let server = ServerChild::start(exe, data_dir, None).await?;
    let address = server.address;
    let result = async {
        let mut targets = Vec::new();
        for &connections in &plan.connections {
            for target in [
                Target::Graphql,
                Target::Page(STANDARD_PAGE),
                Target::Page(ITEM_PAGE),
            ] {
                progress(&format!(
                    "pages: {} with {connections} connections for {} s",
                    target.name(),
                    plan.seconds
                ));
                targets.push(load(address, target, connections, plan).await?);
            }
        }
        Ok::<_, Error>(targets)
    }
    .await;
    server.stop().await?;
    Ok(PagesFigures {
        placement: "server and load generator in two processes, sharing every core".into(),
        targets: result?,
    })
}

/// The query the pages stand beside.
pub fn graphql_query() -> &'static str {
    EDITION_QUERY
}
