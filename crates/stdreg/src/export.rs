//! `stdreg export [--to FILE] [--actors-to FILE]`: the whole log in the
//! export format of `transparency::export` (docs/verification.md), which
//! carries no sealed bytes; with `--actors-to`, the auditor file beside it
//! (who recorded each event, and the salt of its actor commitment).

use std::io::{BufWriter, Write};
use std::path::Path;

use registry::codec::ActorEntry;
use registry::{CATCH_UP_PAGE, Registry};
use transparency::{NoteVerifier, SignedCheckpoint};

use crate::commands::Failure;

fn create(path: &Path) -> Result<BufWriter<std::fs::File>, Failure> {
    std::fs::File::create(path)
        .map(BufWriter::new)
        .map_err(|e| Failure::User(format!("cannot create {}: {e}", path.display())))
}

/// Writes the events `signed` covers, then `signed` and `key` (the key it
/// verifies with); and, to `actors_to`, an auditor entry for each of those
/// events whose sealed bytes this store holds.
pub async fn run(
    registry: &Registry,
    signed: &SignedCheckpoint,
    key: &NoteVerifier,
    to: Option<&Path>,
    actors_to: Option<&Path>,
) -> Result<(), Failure> {
    let size = signed.checkpoint.size;
    let mut out: Box<dyn Write> = match to {
        Some(path) => Box::new(create(path)?),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let mut actors = actors_to.map(create).transpose()?;
    let mut listed = 0_u64;
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
            if let Some(actors) = &mut actors
                && let Some(entry) = ActorEntry::of(event).map_err(registry::RegistryError::from)?
            {
                serde_json::to_writer(&mut *actors, &entry)
                    .map_err(std::io::Error::from)
                    .and_then(|()| actors.write_all(b"\n"))
                    .map_err(write_failed)?;
                listed += 1;
            }
        }
    }
    if let Some(mut actors) = actors {
        actors.flush().map_err(write_failed)?;
    }
    out.write_all(transparency::trailer_line(signed, key).as_bytes())
        .and_then(|()| out.flush())
        .map_err(write_failed)?;
    if to.is_some() {
        eprintln!("exported {size} events with the checkpoint signed by {key}");
    }
    if let Some(path) = actors_to {
        eprintln!(
            "wrote the actors of {listed} events to {}: keep it from the public",
            path.display()
        );
    }
    Ok(())
}
