//! `stdreg bench`: flags in, report out; the measuring lives in the `bench` crate.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use bench::{Children, Config};
use clap::Args;

use crate::commands::Failure;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// A small, fast configuration: one size of 2,000 events, few queries and appends.
    #[arg(long)]
    pub quick: bool,
    /// Sizes in events, comma-separated [default: 10000,1000000,3000000].
    #[arg(long, value_delimiter = ',')]
    pub sizes: Vec<u64>,
    /// Time-travel queries per size.
    #[arg(long)]
    pub queries: Option<usize>,
    /// Of those, how many are also answered by the naive fold.
    #[arg(long)]
    pub naive_queries: Option<usize>,
    /// Seed of the synthetic workload.
    #[arg(long, default_value_t = 2021)]
    pub seed: u64,
    /// PostgreSQL to measure appends on as well; a schema of its own is created and dropped.
    #[arg(long, env = "STDREG_TEST_POSTGRES_URL")]
    pub postgres: Option<String>,
    /// Folder for the temporary stores [default: the system's temporary directory].
    #[arg(long)]
    pub temp_dir: Option<PathBuf>,
    /// Measure everything in this process (no child processes; cold start is left out).
    #[arg(long)]
    pub in_process: bool,
    /// Concurrent keep-alive connections of the HTTP load levels, comma-separated [default: 4,16,64].
    #[arg(long, value_delimiter = ',')]
    pub http_connections: Vec<usize>,
    /// Seconds of each HTTP load level [default: 10].
    #[arg(long)]
    pub http_seconds: Option<f64>,
    /// Leave the HTTP figure out.
    #[arg(long)]
    pub no_http: bool,
    /// Measure rebuild and time travel on this store file and print the figures as JSON (used by the bench itself).
    #[arg(long, hide = true)]
    pub child_db: Option<PathBuf>,
    /// Write the synthetic log of the first --sizes into a new data directory and exit, to time a start on it (`stdreg --data-dir DIR log --limit 1`).
    #[arg(long, hide = true)]
    pub write_store: Option<PathBuf>,
    /// Run one HTTP load level against this address and print the figures as JSON (used by the bench itself).
    #[arg(long, hide = true)]
    pub child_load: Option<SocketAddr>,
    /// With --child-load: most requests of the level.
    #[arg(long, hide = true, default_value_t = bench::limits::HTTP_REQUESTS_MAX)]
    pub requests_max: u64,
    /// With --child-load: items every answer must hold.
    #[arg(long, hide = true)]
    pub expected_items: Option<usize>,
}

fn failed(error: bench::Error) -> Failure {
    match error {
        bench::Error::Config(_) => Failure::User(error.to_string()),
        other => Failure::Internal(anyhow::Error::new(other)),
    }
}

pub async fn run(args: &BenchArgs, json: bool) -> Result<(), Failure> {
    let mut config = if args.quick {
        Config::quick()
    } else {
        Config::full()
    };
    config.seed = args.seed;
    if let Some(queries) = args.queries {
        config.queries = queries;
    }
    if let Some(naive) = args.naive_queries {
        config.naive_queries = naive;
    }
    if let Some(db) = &args.child_db {
        let figures = bench::measure_store(db, config.queries, config.naive_queries, config.seed)
            .await
            .map_err(failed)?;
        let line = serde_json::to_string(&figures)
            .map_err(|e| Failure::Internal(anyhow::Error::new(e)))?;
        crate::commands::print(&format!("{line}\n"))?;
        return Ok(());
    }
    if let Some(dir) = &args.write_store {
        let size = args
            .sizes
            .first()
            .copied()
            .unwrap_or(bench::limits::SIZES_QUICK[0]);
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::User(format!("cannot create {}: {e}", dir.display())))?;
        let generated = bench::generate_events(args.seed, size, config.threads).map_err(failed)?;
        let events = bench::load(
            &dir.join(crate::store::EMBEDDED_FILE),
            generated.prefix(size),
        )
        .await
        .map_err(failed)?;
        crate::commands::print(&format!(
            "{events} synthetic events written to {}\n",
            dir.display()
        ))?;
        return Ok(());
    }
    if let Some(address) = args.child_load {
        let figures = bench::http::load(
            address,
            args.http_connections.first().copied().unwrap_or(1),
            Duration::from_secs_f64(args.http_seconds.unwrap_or(1.0).max(0.0)),
            args.requests_max,
            args.expected_items.unwrap_or(0),
        )
        .await
        .map_err(failed)?;
        let line = serde_json::to_string(&figures)
            .map_err(|e| Failure::Internal(anyhow::Error::new(e)))?;
        crate::commands::print(&format!("{line}\n"))?;
        return Ok(());
    }
    if let Some(http) = &mut config.http {
        if !args.http_connections.is_empty() {
            http.connections = args.http_connections.clone();
        }
        if let Some(seconds) = args.http_seconds {
            http.seconds = seconds;
        }
    }
    if args.no_http {
        config.http = None;
    }
    if !args.sizes.is_empty() {
        config.sizes = args.sizes.clone();
    }
    config.postgres = args.postgres.clone().filter(|url| !url.is_empty());
    config.temp_root = args.temp_dir.clone();
    if !args.in_process {
        let exe = std::env::current_exe().map_err(|e| {
            Failure::Internal(anyhow::Error::new(e).context("cannot find the stdreg binary"))
        })?;
        config.children = Some(Children {
            exe,
            embedded_file: crate::store::EMBEDDED_FILE.to_owned(),
        });
    }
    let report = bench::run(&config, &mut |step| eprintln!("bench: {step}"))
        .await
        .map_err(failed)?;
    if json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| Failure::Internal(anyhow::Error::new(e)))?;
        crate::commands::print(&format!("{text}\n"))?;
    } else {
        crate::commands::print(&report.to_string())?;
    }
    Ok(())
}
