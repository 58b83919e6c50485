//! `stdreg`: wiring only. Parses flags, runs the command, maps errors to exit codes:
//! 0 success, 1 a user error (with a one-line message saying what to do), 2 an internal failure.

use std::process::ExitCode;

use clap::Parser;

mod bench;
mod cli;
mod commands;
mod compliance;
mod export;
mod migrate;
mod mirror;
mod render;
mod serve;
mod store;
mod token;
mod verify;

// Rebuilding the index and answering queries allocate many small short-lived
// values; glibc's allocator spent a quarter of the server's time and a fifth of
// a rebuild's in malloc/free (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(commands::Failure::User(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
        Err(commands::Failure::Internal(error)) => {
            eprintln!("internal error: {error:#}");
            ExitCode::from(2)
        }
    }
}
