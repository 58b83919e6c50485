//! `stdreg export [--to FILE]`: the whole log in the export format of
//! `transparency::export` (docs/verification.md).

use std::io::{BufWriter, Write};
use std::path::Path;

use registry::{CATCH_UP_PAGE, Registry};
use transparency::{NoteVerifier, SignedCheckpoint};

use crate::commands::Failure;

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
            out.write_all(&transparency::event_line(event))
                .map_err(write_failed)?;
        }
    }
    out.write_all(transparency::trailer_line(signed, key).as_bytes())
        .and_then(|()| out.flush())
        .map_err(write_failed)?;
    if to.is_some() {
        eprintln!("exported {size} events with the checkpoint signed by {key}");
    }
    Ok(())
}
