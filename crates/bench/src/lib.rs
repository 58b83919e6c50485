//! The measurements behind `stdreg bench`, on a synthetic workload.
//!
//! One run generates a synthetic registry (national standard plus local
//! implementation standards, see [`synthetic`]), loads it into SQLite stores in
//! temporary directories, and measures append throughput beside raw SQLite
//! (and PostgreSQL), rebuild speed and peak memory, time-travel latency beside a
//! naive fold of the log, and cold start. Every figure is printed with the
//! machine it was measured on. Nothing here touches a user's data directory.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::Serialize;

pub mod append;
pub mod http;
pub mod limits;
pub mod machine;
pub mod measure;
pub mod pages;
mod report;
mod rng;
pub mod search;
pub mod synthetic;
mod text;

pub use append::{AppendFigures, AppendPlan};
pub use http::{HttpFigures, HttpPlan};
pub use machine::{Latency, Machine};
pub use measure::{SizeFigures, measure_store};
pub use pages::PagesFigures;
pub use synthetic::{Coverage, Generated, Workload};

use limits::*;

/// Why a benchmark run stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Flags that cannot make a run (no sizes, zero queries, too many standards).
    #[error("invalid benchmark configuration: {0}")]
    Config(String),
    /// The generator produced a command the domain refused where it must not.
    #[error("the synthetic workload generator failed: {0}; this is a bug in the generator")]
    Generator(String),
    /// The index and the naive fold disagreed: the index is wrong.
    #[error(
        "the index and the naive fold disagree at {mismatches} of {compared} points at {events} events: the index is wrong"
    )]
    Mismatch {
        events: u64,
        compared: usize,
        mismatches: usize,
    },
    /// A temporary directory or file could not be made or written.
    #[error("benchmark file operation failed: {0}")]
    Io(#[from] std::io::Error),
    /// A measuring child process failed or printed something unreadable.
    #[error("the measuring child process failed: {0}")]
    Child(String),
    #[error("cannot open the benchmark's SQLite store: {0}")]
    Open(#[from] store_sqlite::OpenError),
    #[error("cannot open the benchmark's PostgreSQL store: {0}")]
    OpenPostgres(#[from] store_postgres::OpenError),
    #[error(transparent)]
    Store(#[from] event_store::StoreError),
    #[error(transparent)]
    Registry(#[from] registry::RegistryError),
    #[error("cannot decode the synthetic log: {0}")]
    Codec(#[from] registry::codec::CodecError),
    #[error("event {0} of the synthetic log is not JSON: {1}")]
    NotJson(u64, #[source] serde_json::Error),
    /// The raw SQLite writer failed.
    #[error("raw SQLite writes failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The raw PostgreSQL writer failed (check the URL and that the server runs).
    #[error("raw PostgreSQL writes failed: {0}")]
    Postgres(#[from] sqlx::Error),
    /// The server under load, or the load generator, failed.
    #[error("the HTTP benchmark failed: {0}")]
    Http(String),
}

/// How the parent starts measuring children: the `stdreg` binary and its arguments.
#[derive(Debug, Clone)]
pub struct Children {
    pub exe: PathBuf,
    /// File name of the embedded store inside a `--data-dir`.
    pub embedded_file: String,
}

/// What one run measures.
#[derive(Debug, Clone)]
pub struct Config {
    pub seed: u64,
    /// Sizes in events; rebuild and time travel are measured at each.
    pub sizes: Vec<u64>,
    pub queries: usize,
    pub naive_queries: usize,
    pub append: AppendPlan,
    pub postgres: Option<String>,
    /// Measure rebuilds and cold start in child processes (clean peak memory);
    /// without it everything runs in this process and cold start is left out.
    pub children: Option<Children>,
    /// Where temporary stores go; the system's temporary directory when `None`.
    pub temp_root: Option<PathBuf>,
    pub threads: usize,
    /// The HTTP figure; `None` leaves it out.
    pub http: Option<HttpPlan>,
}

impl Config {
    pub fn full() -> Self {
        Self {
            seed: 2021,
            sizes: SIZES_DEFAULT.to_vec(),
            queries: QUERIES_DEFAULT,
            naive_queries: NAIVE_QUERIES_DEFAULT,
            append: AppendPlan {
                rounds: APPEND_ROUNDS_DEFAULT,
                single_commits: SINGLE_COMMITS_DEFAULT,
                batch_events: BATCH_EVENTS_DEFAULT,
            },
            postgres: None,
            children: None,
            temp_root: None,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            http: Some(HttpPlan {
                connections: HTTP_CONNECTIONS_DEFAULT.to_vec(),
                seconds: HTTP_SECONDS_DEFAULT,
                requests_max: HTTP_REQUESTS_MAX,
                synthetic: true,
                pin: true,
                breakdown_runs: HTTP_BREAKDOWN_RUNS,
            }),
        }
    }

    pub fn quick() -> Self {
        Self {
            sizes: SIZES_QUICK.to_vec(),
            queries: 200,
            naive_queries: 100,
            append: AppendPlan {
                rounds: 2,
                single_commits: 20,
                batch_events: 1_000,
            },
            // Only that the load generator and its checks work: two connections for one second.
            http: Some(HttpPlan {
                connections: vec![2],
                seconds: 1.0,
                requests_max: HTTP_REQUESTS_MAX,
                synthetic: false,
                pin: false,
                breakdown_runs: 50,
            }),
            ..Self::full()
        }
    }

    fn check(&self) -> Result<(), Error> {
        if self.sizes.is_empty() || self.sizes.contains(&0) {
            return Err(Error::Config(
                "give at least one size above 0 events".into(),
            ));
        }
        if self.queries == 0 || self.queries > QUERIES_MAX {
            return Err(Error::Config(format!(
                "queries must be 1 to {QUERIES_MAX}, not {}",
                self.queries
            )));
        }
        if self.append.rounds == 0
            || self.append.single_commits == 0
            || self.append.batch_events == 0
        {
            return Err(Error::Config(
                "append rounds, commits and batch size must be above 0".into(),
            ));
        }
        if let Some(http) = &self.http {
            if http.connections.is_empty()
                || http
                    .connections
                    .iter()
                    .any(|&n| n == 0 || n > HTTP_CONNECTIONS_MAX)
            {
                return Err(Error::Config(format!(
                    "HTTP connections must be 1 to {HTTP_CONNECTIONS_MAX}"
                )));
            }
            if !(http.seconds > 0.0 && http.seconds <= HTTP_SECONDS_MAX) {
                return Err(Error::Config(format!(
                    "HTTP seconds must be above 0 and at most {HTTP_SECONDS_MAX}, not {}",
                    http.seconds
                )));
            }
        }
        Ok(())
    }
}

/// Generating the workload.
#[derive(Debug, Clone, Serialize)]
pub struct GenerationFigures {
    pub standards: usize,
    pub events: usize,
    pub seconds: f64,
    pub coverage: Coverage,
}

/// From process start to a registry ready to answer, with the log on disk:
/// indexing the whole log, then restoring the index snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct ColdStart {
    pub events: u64,
    pub rebuilt: Starts,
    pub from_snapshot: Starts,
    /// Bytes of the index snapshot.
    pub snapshot_bytes: u64,
}

/// Timed starts of one kind.
#[derive(Debug, Clone, Serialize)]
pub struct Starts {
    pub runs_seconds: Vec<f64>,
    pub median_seconds: f64,
}

/// Everything one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub machine: Machine,
    pub seed: u64,
    pub generation: GenerationFigures,
    pub sizes: Vec<SizeFigures>,
    pub cold_start: Option<ColdStart>,
    pub append: Vec<AppendFigures>,
    pub http: Option<HttpFigures>,
    /// The site's standard and item pages beside the GraphQL edition query.
    pub pages: Option<PagesFigures>,
    /// Why a figure is missing.
    pub left_out: Vec<String>,
}

/// Runs every measurement of `config`, telling `progress` what it is doing.
pub async fn run(config: &Config, progress: &mut dyn FnMut(&str)) -> Result<Report, Error> {
    config.check()?;
    let machine = Machine::detect();
    let largest = config.sizes.iter().copied().max().unwrap_or(0);
    progress(&format!(
        "generating a synthetic workload of {largest} events"
    ));
    let started = Instant::now();
    let generated = generate_events(config.seed, largest, config.threads)?;
    let coverage = generated.coverage();
    let generation = GenerationFigures {
        standards: generated.standards.len(),
        events: generated.event_count(),
        seconds: started.elapsed().as_secs_f64(),
        coverage,
    };
    progress(&format!(
        "generated {} events in {} standards in {:.1} s",
        generation.events, generation.standards, generation.seconds
    ));

    let mut sizes = Vec::new();
    let mut cold_start = None;
    let mut left_out = Vec::new();
    let mut http_runs = Vec::new();
    let mut ordered = config.sizes.clone();
    ordered.sort_unstable();
    ordered.dedup();
    for size in ordered {
        let dir = temp_dir(config)?;
        let db = dir.path().join(embedded_file(config));
        let standards = generated.prefix(size);
        progress(&format!("loading {size}-event size into a temporary store"));
        let events = load(&db, standards).await?;
        progress(&format!(
            "measuring rebuild and time travel at {events} events"
        ));
        let figures = match &config.children {
            Some(children) => measure_in_child(children, &db, config).await?,
            None => measure_store(&db, config.queries, config.naive_queries, config.seed).await?,
        };
        if figures.mismatches > 0 {
            return Err(Error::Mismatch {
                events: figures.events,
                compared: figures.compared,
                mismatches: figures.mismatches,
            });
        }
        let figures_items = figures.national_edition_items;
        sizes.push(figures);
        if size == largest {
            match &config.children {
                Some(children) => {
                    progress(&format!("timing cold start at {events} events"));
                    cold_start = Some(cold_starts(children, dir.path(), events).await?);
                }
                None => left_out
                    .push("cold start: needs the stdreg binary to start as a child process".into()),
            }
            match (&config.http, &config.children, figures_items) {
                (Some(plan), Some(children), Some(items)) if plan.synthetic => {
                    http_runs.push(
                        http::run_synthetic(plan, &children.exe, dir.path(), events, items, progress)
                            .await?,
                    );
                }
                (Some(plan), None, _) if plan.synthetic => left_out.push(
                    "HTTP on the synthetic workload: needs the stdreg binary to start as a child process"
                        .into(),
                ),
                (Some(plan), Some(_), None) if plan.synthetic => left_out.push(
                    "HTTP on the synthetic workload: it has no national edition at 2022-01-01".into(),
                ),
                _ => {}
            }
        }
        dir.close()?;
    }

    let payloads: Vec<_> = generated
        .standards
        .iter()
        .flat_map(|s| s.appends.iter())
        .flat_map(|a| a.events.iter())
        .take(config.append.batch_events.max(1_000))
        .cloned()
        .collect();
    let mut append = Vec::new();
    {
        progress("appending to SQLite beside raw SQLite");
        let dir = temp_dir(config)?;
        append.push(append::sqlite(dir.path(), &payloads, config.append).await?);
        dir.close()?;
    }
    match &config.postgres {
        Some(url) => {
            progress("appending to PostgreSQL beside raw PostgreSQL");
            append.push(append::postgres(url, &payloads, config.append).await?);
        }
        None => left_out
            .push("PostgreSQL append: no --postgres URL and STDREG_TEST_POSTGRES_URL unset".into()),
    }
    let http = match &config.http {
        Some(plan) => {
            let exe = config.children.as_ref().map(|c| c.exe.as_path());
            let placements = match exe {
                None => vec![http::Placement::InProcess],
                Some(_) if !plan.pin => vec![http::Placement::Shared],
                Some(_) if http::can_pin(machine.cores).await => vec![
                    http::Placement::Shared,
                    http::Placement::ClientPinned,
                    http::Placement::Split,
                ],
                Some(_) => {
                    left_out.push(
                        "HTTP with pinned processes: taskset is missing or there are fewer than 2 cores"
                            .into(),
                    );
                    vec![http::Placement::Shared]
                }
            };
            let (mut runs, breakdown) =
                http::run_bundled(plan, exe, &placements, &|| temp_dir(config), progress).await?;
            runs.append(&mut http_runs);
            Some(HttpFigures {
                query: http::EDITION_QUERY.into(),
                runs,
                breakdown: Some(breakdown),
            })
        }
        None => {
            left_out.push("HTTP: not asked for".into());
            None
        }
    };
    let pages = match (&config.http, &config.children) {
        (Some(plan), Some(children)) => {
            let dir = temp_dir(config)?;
            let figures = pages::run(plan, &children.exe, dir.path(), progress).await?;
            dir.close()?;
            Some(figures)
        }
        (Some(_), None) => {
            left_out.push("site pages over HTTP: no stdreg binary to serve them".into());
            None
        }
        (None, _) => None,
    };
    Ok(Report {
        machine,
        seed: config.seed,
        generation,
        sizes,
        cold_start,
        append,
        http,
        pages,
        left_out,
    })
}

fn embedded_file(config: &Config) -> String {
    config
        .children
        .as_ref()
        .map_or_else(|| "events.db".to_owned(), |c| c.embedded_file.clone())
}

fn temp_dir(config: &Config) -> Result<tempfile::TempDir, Error> {
    let builder = {
        let mut b = tempfile::Builder::new();
        b.prefix("stdreg-bench-synthetic-");
        b
    };
    Ok(match &config.temp_root {
        Some(root) => builder.tempdir_in(root)?,
        None => builder.tempdir()?,
    })
}

/// Generates standards until the workload holds at least `events` events.
pub fn generate_events(seed: u64, events: u64, threads: usize) -> Result<Generated, Error> {
    let mut workload = Workload {
        seed,
        standards: 0,
        revisions_per_standard: REVISIONS_PER_STANDARD,
    };
    let mut standards = Vec::new();
    let mut total = 0u64;
    while total < events && workload.standards < STANDARDS_MAX {
        // Estimate how many more standards it takes from the average so far.
        let average = match standards.len() {
            0 => EVENTS_PER_STANDARD_ESTIMATE,
            n => (total / n as u64).max(1),
        };
        let more = ((events - total) / average + 1) as usize;
        let end = (workload.standards + more).min(STANDARDS_MAX);
        let made = synthetic::generate_range(workload, workload.standards..end, threads)?;
        total += made.iter().map(|s| s.event_count() as u64).sum::<u64>();
        standards.extend(made);
        workload.standards = end;
    }
    Ok(Generated {
        workload,
        standards,
    })
}

/// Writes the global log of `standards` into a new SQLite store at `path`.
pub async fn load(path: &Path, standards: &[synthetic::StandardLog]) -> Result<u64, Error> {
    let store = store_sqlite::SqliteStore::open(path).await?;
    let mut log = synthetic::GlobalLog::new(standards);
    while let Some(chunk) = log.next_chunk(LOAD_CHUNK) {
        event_store::EventStore::import_stored(&store, chunk).await?;
    }
    Ok(log.global_position())
}

async fn measure_in_child(
    children: &Children,
    db: &Path,
    config: &Config,
) -> Result<SizeFigures, Error> {
    let mut command = tokio::process::Command::new(&children.exe);
    command
        .arg("bench")
        .arg("--child-db")
        .arg(db)
        .arg("--queries")
        .arg(config.queries.to_string())
        .arg("--naive-queries")
        .arg(config.naive_queries.to_string())
        .arg("--seed")
        .arg(config.seed.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    let child = command.spawn()?;
    let output = tokio::time::timeout(
        Duration::from_secs(CHILD_TIMEOUT_SECS),
        child.wait_with_output(),
    )
    .await
    .map_err(|_| Error::Child(format!("no answer within {CHILD_TIMEOUT_SECS} s")))??;
    if !output.status.success() {
        return Err(Error::Child(format!("exited with {}", output.status)));
    }
    serde_json::from_slice(&output.stdout)
        .map_err(|e| Error::Child(format!("unreadable figures: {e}")))
}

/// Starts `stdreg` on the data directory with a command that opens the
/// registry and exits: without an index snapshot, then with one.
async fn cold_starts(
    children: &Children,
    data_dir: &Path,
    events: u64,
) -> Result<ColdStart, Error> {
    let snapshot = data_dir.join(registry::snapshot::SNAPSHOT_FILE);
    match std::fs::remove_file(&snapshot) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
        _ => {}
    }
    let rebuilt = starts(children, data_dir, &["log", "--limit", "1"]).await?;
    starts(children, data_dir, &["snapshot"]).await?;
    let snapshot_bytes = std::fs::metadata(&snapshot)?.len();
    let from_snapshot = starts(children, data_dir, &["log", "--limit", "1"]).await?;
    Ok(ColdStart {
        events,
        rebuilt,
        from_snapshot,
        snapshot_bytes,
    })
}

/// Runs `stdreg --data-dir DIR ARGS` [`COLD_STARTS`] times (once for anything but a start).
async fn starts(children: &Children, data_dir: &Path, args: &[&str]) -> Result<Starts, Error> {
    let runs = if args[0] == "log" { COLD_STARTS } else { 1 };
    let mut runs_seconds = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let mut child = tokio::process::Command::new(&children.exe)
            .arg("--data-dir")
            .arg(data_dir)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()?;
        let status = tokio::time::timeout(Duration::from_secs(CHILD_TIMEOUT_SECS), child.wait())
            .await
            .map_err(|_| Error::Child(format!("no exit within {CHILD_TIMEOUT_SECS} s")))??;
        if !status.success() {
            return Err(Error::Child(format!(
                "`stdreg {}` exited with {status}",
                args.join(" ")
            )));
        }
        runs_seconds.push(started.elapsed().as_secs_f64());
    }
    let mut sorted = runs_seconds.clone();
    sorted.sort_by(f64::total_cmp);
    Ok(Starts {
        median_seconds: sorted[sorted.len() / 2],
        runs_seconds,
    })
}
