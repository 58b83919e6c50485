//! Command-line flags.

use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "stdreg",
    version,
    about = "An event-sourced registry of standard revisions, with time-travel queries"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options of every command, and where the registry is, for the commands
/// that open one (see [`parse`]).
#[derive(Debug, Args)]
pub struct Global {
    /// Machine-readable JSON output.
    #[arg(long, global = true)]
    pub json: bool,
    #[arg(skip)]
    pub data_dir: PathBuf,
    #[arg(skip)]
    pub store: Option<String>,
    #[arg(skip)]
    pub signing_key: Option<String>,
}

// Where the registry is: accepted before the command (`stdreg --data-dir
// DIR edition CN`, also read from the environment) and after it, by the
// commands that open a registry. (No doc comment: it would replace the
// description of each command it is added to.)
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Folder of the registry: its embedded store and files (default: stdreg-data, or $STDREG_DATA_DIR).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Event store to use instead of the embedded one: postgres://… (or $STDREG_STORE).
    #[arg(long)]
    pub store: Option<String>,
    /// The log's signing key: a file holding `PRIVATE+KEY+NAME+ID+KEY`, or that text itself (or $STDREG_SIGNING_KEY); default: the one in --data-dir.
    #[arg(long, hide_env_values = true)]
    pub signing_key: Option<String>,
}

/// Commands that open no registry: their help shows no store options.
const STORELESS: &[&str] = &["bench", "keygen", "migrate", "token", "witness"];

/// Default folder of the registry.
const DATA_DIR_DEFAULT: &str = "stdreg-data";

/// Parses the command line: [`StoreArgs`] where a store is used, merged into
/// [`Cli::global`] (after the command wins over before it, which wins over
/// the environment).
pub fn parse() -> Cli {
    let mut command = StoreArgs::augment_args(Cli::command())
        .mut_arg("data_dir", |a| a.env("STDREG_DATA_DIR"))
        .mut_arg("store", |a| a.env("STDREG_STORE"))
        .mut_arg("signing_key", |a| a.env("STDREG_SIGNING_KEY"));
    let opening: Vec<String> = command
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .filter(|name| !STORELESS.contains(&name.as_str()))
        .collect();
    for name in opening {
        command = command.mut_subcommand(name, StoreArgs::augment_args);
    }
    let matches = command.get_matches();
    let parsed = Cli::from_arg_matches(&matches)
        .and_then(|cli| Ok((cli, StoreArgs::from_arg_matches(&matches)?)));
    let (mut cli, before) = parsed.unwrap_or_else(|e| e.exit());
    let after = match matches.subcommand() {
        Some((name, sub)) if !STORELESS.contains(&name) => {
            StoreArgs::from_arg_matches(sub).unwrap_or_else(|e| e.exit())
        }
        _ => StoreArgs {
            data_dir: None,
            store: None,
            signing_key: None,
        },
    };
    cli.global.data_dir = after
        .data_dir
        .or(before.data_dir)
        .unwrap_or_else(|| PathBuf::from(DATA_DIR_DEFAULT));
    cli.global.store = after.store.or(before.store);
    cli.global.signing_key = after.signing_key.or(before.signing_key);
    cli
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import revisions from a file in the import format, or the bundled national data.
    Import {
        /// A file in the import format (docs/import-format.md); none: the bundled national standard.
        file: Option<PathBuf>,
        /// Print the bundled national data in the import format instead of importing it.
        #[arg(long, conflicts_with = "file")]
        print_bundled: bool,
        /// Also import the bundled local implementation examples (after the national data).
        #[arg(long, conflicts_with_all = ["file", "print_bundled"])]
        local_examples: bool,
        /// Print what would be recorded, as a diff of each edition it changes, and append nothing.
        #[arg(long, conflicts_with_all = ["print_bundled", "local_examples"])]
        dry_run: bool,
    },
    /// Import a standard from its official table (CSV or XLSX; docs/import-format.md, "Tables").
    ImportTable(crate::table::ImportTableArgs),
    /// Write the standard in force at a point as a table in the official layout (CSV or XLSX).
    ExportTable(crate::table::ExportTableArgs),
    /// Compliance of a local standard with the national one (and its province's and city's).
    Compliance {
        /// A province, city or county code, e.g. 310000.
        jurisdiction: String,
        #[command(flatten)]
        point: PointArgs,
        /// The dates on which the compliance status or findings changed, instead of one point.
        #[arg(long, conflicts_with = "valid_at")]
        changes: bool,
    },
    /// One line of compliance per locality below a jurisdiction (CN: every province).
    ComplianceSummary {
        parent: String,
        #[command(flatten)]
        point: PointArgs,
    },
    /// Publish revisions described in the import format (adjustment, correction, withdrawal, local standard).
    Publish {
        file: PathBuf,
        /// Stream version (event count) the standard must be at; refuses if someone else wrote first.
        #[arg(long)]
        expected_version: Option<u64>,
        /// Who is recording (stored as the actor of every event).
        #[arg(long, env = "STDREG_ACTOR", default_value = "cli")]
        actor: String,
        /// Print what would be recorded, as a diff of the edition it changes, and append nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// The consolidated standard at a point in valid time, as recorded by a point in record time.
    Edition {
        jurisdiction: String,
        #[command(flatten)]
        point: PointArgs,
    },
    /// One item as in force at a point, with the revision behind each field (its citation).
    Item {
        item: String,
        /// The standard holding the item (needed when several standards have an item of this id).
        #[arg(long)]
        jurisdiction: Option<String>,
        #[command(flatten)]
        point: PointArgs,
    },
    /// Every point at which the consolidated text changed.
    Versions {
        jurisdiction: String,
        #[arg(long)]
        known_at: Option<String>,
    },
    /// Every revision recorded for a standard, with its status.
    Revisions {
        jurisdiction: String,
        #[arg(long)]
        known_at: Option<String>,
    },
    /// Every change to one item, with its lineage.
    History {
        item: String,
        /// The standard holding the item (needed when several standards have an item of this id).
        #[arg(long)]
        jurisdiction: Option<String>,
        #[arg(long)]
        known_at: Option<String>,
    },
    /// Differences between two points: DATE or DATE@INSTANT.
    Diff {
        jurisdiction: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
    },
    /// The raw global log.
    Log {
        #[arg(long, default_value_t = 1)]
        from: u64,
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Words and phrases in every standard's items, in force on a date or at any time.
    Search(crate::search::SearchArgs),
    /// Measure append, rebuild, time travel and cold start on a synthetic workload (docs/benchmarks.md).
    Bench(crate::bench::BenchArgs),
    /// The whole log as JSON Lines, then the signed checkpoint and public key (docs/verification.md).
    Export {
        /// File to write; default: standard output.
        #[arg(long)]
        to: Option<PathBuf>,
        /// Also write an auditor file: who recorded each event and the salt of its actor commitment, as JSON Lines (the export itself names no actor of events of schema version 3).
        #[arg(long)]
        actors_to: Option<PathBuf>,
    },
    /// Check that a log was never rewritten: an export file, or the live store (--store or --data-dir).
    Verify {
        /// An export written by `stdreg export`; none: the live store.
        export: Option<PathBuf>,
        /// A checkpoint saved earlier: the log must extend it (append-only).
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// The log's public key (NAME+ID+KEY, or a file holding it); default: the one shipped with the export, or recorded in the store or --data-dir.
        #[arg(long)]
        key: Option<String>,
        /// A witness's public key (NAME+ID+KEY, or a file holding it); repeat for each witness.
        #[arg(long = "witness")]
        witnesses: Vec<String>,
        /// How many of the --witness keys must have cosigned the latest checkpoint (default: all).
        #[arg(long)]
        witness_quorum: Option<usize>,
        /// An auditor file (`stdreg export --actors-to`): each actor and salt listed must match the actor commitment of its event.
        #[arg(long, requires = "export")]
        actors: Option<PathBuf>,
    },
    /// Serve the public site (/), GraphiQL (/graphiql) and the GraphQL API (/graphql); imports the bundled national data into an empty store first.
    Serve(crate::serve::ServeArgs),
    /// Follow a registry's log over gRPC into this data directory, verifying every signed checkpoint (docs/verification.md).
    Mirror(crate::mirror::MirrorArgs),
    /// Make a signing key: the log's (one for all its servers) or a witness's (--witness); prints the public key.
    Keygen(crate::keygen::KeygenArgs),
    /// Run a witness (C2SP tlog-witness) that cosigns the checkpoints of the logs given, refusing a fork or a rollback (docs/verification.md).
    Witness(crate::witness::WitnessArgs),
    /// Manage the bearer tokens `stdreg serve --tokens FILE` accepts for mutations.
    Token(crate::token::TokenArgs),
    /// Save the index snapshot now (docs/operations.md): the next start restores the search index from it instead of analysing every text of the log; `serve` keeps one by itself.
    Snapshot,
    /// Copy the whole event log into another, empty store (e.g. SQLite to PostgreSQL) and verify the copy.
    Migrate {
        /// Store to copy from: a data directory, sqlite://FILE or postgres://…
        #[arg(long)]
        from: String,
        /// Empty store to copy into: a data directory, sqlite://FILE or postgres://…
        #[arg(long)]
        to: String,
    },
}

#[derive(Debug, Args)]
pub struct PointArgs {
    /// Date in force (YYYY-MM-DD); default: today.
    #[arg(long)]
    pub valid_at: Option<String>,
    /// Record time (RFC 3339, e.g. 2023-01-01T00:00:00Z); default: as the registry stands now.
    #[arg(long)]
    pub known_at: Option<String>,
}
