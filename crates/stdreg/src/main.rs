//! `stdreg`: wiring only. Parses flags, runs the command, maps errors to exit codes:
//! 0 success, 1 a user error (with a one-line message saying what to do), 2 an internal failure.

use std::process::ExitCode;

mod bench;
mod cli;
mod commands;
mod compliance;
mod export;
mod keygen;
mod migrate;
mod mirror;
mod read;
mod render;
mod search;
mod serve;
mod store;
mod table;
mod token;
mod verify;
mod witness;

// Rebuilding the index and answering queries allocate many small short-lived
// values; glibc's allocator spent a quarter of the server's time and a fifth of
// a rebuild's in malloc/free (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::parse();
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
    // A panic is stdreg's failure, never the user's: one line, exit 2.
    std::panic::set_hook(Box::new(|info| eprintln!("internal error: {info}")));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.block_on(commands::run(cli))
    }));
    match outcome.unwrap_or_else(|_| {
        Err(commands::Failure::Internal(anyhow::anyhow!(
            "stdreg stopped on a bug; please report it with the command that caused it"
        )))
    }) {
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
