//! `stdreg token add`: makes a bearer token for `stdreg serve`, shown once.

use std::path::PathBuf;

use api::auth::{Role, TokenFile};
use clap::{Args, Subcommand};
use domain::ids::Jurisdiction;

use crate::commands::Failure;

#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    pub command: TokenCommand,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token, record its hash in the tokens file and print the token (only this once).
    Add {
        /// national-editor (publishes CN), local-editor (one jurisdiction and those below it) or auditor (reads, sees actors).
        #[arg(long)]
        role: String,
        /// CN for a national editor (the default), a six-digit division code for a local editor.
        #[arg(long)]
        jurisdiction: Option<String>,
        /// The principal recorded as the actor of what the token publishes; default: ROLE:JURISDICTION.
        #[arg(long)]
        name: Option<String>,
        /// The tokens file (created if missing); give the same file to `stdreg serve --tokens`.
        #[arg(long, env = "STDREG_TOKENS")]
        tokens: PathBuf,
    },
}

pub fn run(args: &TokenArgs, json: bool) -> Result<(), Failure> {
    match &args.command {
        TokenCommand::Add {
            role,
            jurisdiction,
            name,
            tokens,
        } => {
            let user = |e: &dyn std::fmt::Display| Failure::User(e.to_string());
            let role: Role = role.parse().map_err(|e| user(&e))?;
            let jurisdiction = jurisdiction
                .as_deref()
                .map(Jurisdiction::parse)
                .transpose()
                .map_err(|e| user(&e))?;
            let mut file = TokenFile::load(tokens).map_err(|e| user(&e))?;
            let (token, principal) = file
                .add(role, jurisdiction, name.clone(), chrono::Utc::now())
                .map_err(|e| user(&e))?;
            file.save(tokens).map_err(|e| user(&e))?;
            if json {
                let value = serde_json::json!({ "token": token, "principal": principal });
                crate::commands::print(&format!("{value}\n"))?;
            } else {
                crate::commands::print(&format!("{token}\n"))?;
                eprintln!(
                    "token for {} ({}) recorded in {}; it is shown only now",
                    principal.name,
                    principal.role,
                    tokens.display()
                );
            }
            Ok(())
        }
    }
}
