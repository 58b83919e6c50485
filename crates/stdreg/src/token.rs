//! `stdreg token`: makes, lists and revokes the bearer tokens of `stdreg
//! serve`. A token is shown once, when it is made; the file keeps its hash.

use std::path::PathBuf;

use api::auth::{Role, TokenFile};
use chrono::{DateTime, Utc};
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
        /// When the token stops working: an instant (RFC 3339, e.g. 2027-01-01T00:00:00Z) or a number of days (90d); default: never.
        #[arg(long)]
        expires: Option<String>,
        /// The tokens file (created if missing); give the same file to `stdreg serve --tokens`.
        #[arg(long, env = "STDREG_TOKENS")]
        tokens: PathBuf,
    },
    /// List the tokens of the file: name, role, jurisdiction, when made, when they expire (never the tokens).
    List {
        #[arg(long, env = "STDREG_TOKENS")]
        tokens: PathBuf,
    },
    /// Revoke every token of a principal; a server reading the file refuses them from its next request on.
    Revoke {
        /// The principal's name, as `stdreg token list` shows it.
        name: String,
        #[arg(long, env = "STDREG_TOKENS")]
        tokens: PathBuf,
    },
}

pub fn run(args: &TokenArgs, json: bool) -> Result<(), Failure> {
    let user = |e: &dyn std::fmt::Display| Failure::User(e.to_string());
    let now = Utc::now();
    match &args.command {
        TokenCommand::Add {
            role,
            jurisdiction,
            name,
            expires,
            tokens,
        } => {
            let role: Role = role.parse().map_err(|e| user(&e))?;
            let jurisdiction = jurisdiction
                .as_deref()
                .map(Jurisdiction::parse)
                .transpose()
                .map_err(|e| user(&e))?;
            let expires_at = expires
                .as_deref()
                .map(|text| parse_expiry(text, now))
                .transpose()?;
            let mut file = TokenFile::load(tokens).map_err(|e| user(&e))?;
            let (token, principal) = file
                .add_expiring(role, jurisdiction, name.clone(), now, expires_at)
                .map_err(|e| user(&e))?;
            file.save(tokens).map_err(|e| user(&e))?;
            if json {
                let value = serde_json::json!({
                    "token": token, "principal": principal, "expires_at": expires_at,
                });
                crate::commands::print(&format!("{value}\n"))?;
            } else {
                crate::commands::print(&format!("{token}\n"))?;
                eprintln!(
                    "token for {} ({}) recorded in {}{}; it is shown only now",
                    principal.name,
                    principal.role,
                    tokens.display(),
                    expires_at
                        .map(|at| format!(", expires {}", at.to_rfc3339()))
                        .unwrap_or_default()
                );
            }
            Ok(())
        }
        TokenCommand::List { tokens } => {
            let file = TokenFile::load(tokens).map_err(|e| user(&e))?;
            let expired = |at: Option<DateTime<Utc>>| at.is_some_and(|at| at <= now);
            if json {
                let rows: Vec<_> = file
                    .tokens
                    .iter()
                    .map(|t| {
                        serde_json::json!({
                            "name": t.principal.name,
                            "role": t.principal.role,
                            "jurisdiction": t.principal.jurisdiction,
                            "created_at": t.created_at,
                            "expires_at": t.expires_at,
                            "expired": expired(t.expires_at),
                        })
                    })
                    .collect();
                return crate::commands::print(&format!("{}\n", serde_json::Value::from(rows)));
            }
            let mut out = String::from("NAME\tROLE\tJURISDICTION\tCREATED\tEXPIRES\n");
            for t in &file.tokens {
                let expires = match t.expires_at {
                    None => "never".to_owned(),
                    Some(at) if expired(Some(at)) => format!("{} (expired)", at.to_rfc3339()),
                    Some(at) => at.to_rfc3339(),
                };
                out.push_str(&format!(
                    "{}\t{}\t{}\t{}\t{expires}\n",
                    t.principal.name,
                    t.principal.role,
                    t.principal
                        .jurisdiction
                        .as_ref()
                        .map_or("-".to_owned(), ToString::to_string),
                    t.created_at.to_rfc3339(),
                ));
            }
            crate::commands::print(&out)
        }
        TokenCommand::Revoke { name, tokens } => {
            let mut file = TokenFile::load(tokens).map_err(|e| user(&e))?;
            let revoked = file.revoke(name);
            if revoked == 0 {
                return Err(Failure::User(format!(
                    "{} holds no token of '{}'; `stdreg token list` shows the names",
                    tokens.display(),
                    domain::input::quote(name)
                )));
            }
            file.save(tokens).map_err(|e| user(&e))?;
            if json {
                let value = serde_json::json!({ "name": name, "revoked": revoked });
                crate::commands::print(&format!("{value}\n"))?;
            } else {
                eprintln!(
                    "revoked {revoked} token(s) of {name} in {}; a server reading it refuses them from its next request on",
                    tokens.display()
                );
            }
            Ok(())
        }
    }
}

/// `--expires`: an RFC 3339 instant, or `N` days from now (`90d`).
fn parse_expiry(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, Failure> {
    let text = text.trim();
    if let Some(days) = text.strip_suffix('d')
        && let Ok(days) = days.parse::<u32>()
    {
        return Ok(now + chrono::Duration::days(i64::from(days)));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| {
            Failure::User(format!(
                "--expires '{}' is neither an instant (RFC 3339, e.g. 2027-01-01T00:00:00Z) nor a number of days (90d)",
                domain::input::quote(text)
            ))
        })
}
