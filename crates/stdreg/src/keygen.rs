//! `stdreg keygen`: a new signing key, for a log (given to every server of
//! it as a secret) or for a witness; writes the private key to a file of
//! its own (mode 0600) and prints the public key.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use transparency::{CosignerSigner, NoteSigner};

use crate::commands::Failure;

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// File to write the private key to; it must not exist yet.
    #[arg(long)]
    pub to: PathBuf,
    /// A witness's key (cosignatures, C2SP tlog-cosignature) instead of a log's.
    #[arg(long)]
    pub witness: bool,
    /// The key's name: the log's origin (default: stdreg/log-RANDOM), or the witness's name (required), e.g. witness.example.org/audit-office.
    #[arg(long)]
    pub name: Option<String>,
}

fn random<const N: usize>() -> Result<[u8; N], Failure> {
    let mut bytes = [0; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| Failure::Internal(anyhow::anyhow!("no randomness for a new key: {e}")))?;
    Ok(bytes)
}

pub fn run(args: &KeygenArgs, json: bool) -> Result<(), Failure> {
    let invalid = |e: transparency::TransparencyError| Failure::User(e.to_string());
    let (private, public) = if args.witness {
        let Some(name) = &args.name else {
            return Err(Failure::User(
                "a witness key needs --name, e.g. --name witness.example.org/audit-office".into(),
            ));
        };
        let signer = CosignerSigner::from_seed(name, random()?).map_err(invalid)?;
        (signer.to_private_text(), signer.verifier().to_string())
    } else {
        let name = match &args.name {
            Some(name) => name.clone(),
            None => {
                let tag: String = random::<8>()?.iter().map(|b| format!("{b:02x}")).collect();
                format!("stdreg/log-{tag}")
            }
        };
        let signer = NoteSigner::from_seed(&name, random()?).map_err(invalid)?;
        (signer.to_private_text(), signer.verifier().to_string())
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(&args.to)
        .and_then(|mut file| {
            file.write_all(format!("{private}\n").as_bytes())?;
            file.sync_all()
        })
        .map_err(|e| {
            Failure::User(format!(
                "cannot write the key to {}: {e}; give a new file with --to",
                args.to.display()
            ))
        })?;
    let mut stdout = std::io::stdout().lock();
    let _ = if json {
        writeln!(
            stdout,
            "{}",
            serde_json::json!({ "public_key": public, "private_key_file": args.to })
        )
    } else {
        writeln!(stdout, "{public}")
    };
    Ok(())
}
