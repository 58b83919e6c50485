//! `stdreg export [--to FILE]`: the whole log as JSON Lines, one canonical
//! event envelope per line (the exact bytes each leaf of the tree hashes),
//! then one trailer line `{"checkpoint": NOTE, "public_key": KEY}` with the
//! signed checkpoint covering every line and the key that signed it.

use std::io::{BufWriter, Write};
use std::path::Path;

use registry::{CATCH_UP_PAGE, Registry};
use serde::{Deserialize, Serialize};
use transparency::{NoteVerifier, SignedCheckpoint};

use crate::commands::Failure;

/// The last line of an export.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trailer {
    /// Signed checkpoint (signed-note text) over every event line of the export.
    pub checkpoint: String,
    /// The verifier key of the log, `<name>+<key id>+<base64 key>`.
    pub public_key: String,
}

/// Writes the events `signed` covers, then `signed` and `key` (the key it verifies with).
pub async fn run(
    registry: &Registry,
    signed: &SignedCheckpoint,
    key: &NoteVerifier,
    to: Option<&Path>,
) -> Result<(), Failure> {
    let size = signed.checkpoint.size;
    let mut out: Box<dyn Write> = match to {
        Some(path) => Box::new(BufWriter::new(std::fs::File::create(path).map_err(
            |e| Failure::User(format!("cannot create {}: {e}", path.display())),
        )?)),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let write_failed =
        |e: std::io::Error| Failure::Internal(anyhow::Error::new(e).context("writing the export"));
    let mut next = 1;
    while next <= size {
        let limit = CATCH_UP_PAGE.min((size - next + 1) as usize);
        let page = registry
            .store()
            .read_all(next, limit)
            .await
            .map_err(|e| Failure::Internal(e.into()))?;
        let Some(last) = page.last() else {
            return Err(Failure::Internal(anyhow::anyhow!(
                "the log ended at position {} while exporting {size} events",
                next - 1
            )));
        };
        next = last.global_position + 1;
        for event in &page {
            out.write_all(&transparency::leaf_bytes(event))
                .and_then(|()| out.write_all(b"\n"))
                .map_err(write_failed)?;
        }
    }
    let trailer = Trailer {
        checkpoint: signed.note().to_owned(),
        public_key: key.to_string(),
    };
    let line = serde_json::to_string(&trailer).map_err(|e| Failure::Internal(e.into()))?;
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .map_err(write_failed)?;
    if to.is_some() {
        eprintln!("exported {size} events with the checkpoint signed by {key}");
    }
    Ok(())
}
