//! The export format (docs/verification.md, "Export"): JSON Lines, one
//! canonical event envelope per line (exactly the bytes its leaf hashes), in
//! global order, then one trailer line `{"checkpoint": NOTE, "public_key":
//! KEY}` with the checkpoint signed over every event line and the key that
//! signed it. Writing and reading without I/O: the caller moves the lines.

use event_store::StoredEvent;
use serde::{Deserialize, Serialize};

use crate::{NoteVerifier, SignedCheckpoint, TransparencyError, leaf_bytes, parse_leaf};

/// Longest line read from an export (an event envelope with its base64 data).
pub const EXPORT_LINE_BYTES_MAX: usize = 16 * 1024 * 1024;

/// The last line of an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trailer {
    /// Signed checkpoint (signed-note text) over every event line of the export.
    pub checkpoint: String,
    /// The verifier key of the log, `<name>+<key id>+<base64 key>`.
    pub public_key: String,
}

/// The line of one event, newline included.
pub fn event_line(event: &StoredEvent) -> Vec<u8> {
    let mut line = leaf_bytes(event);
    line.push(b'\n');
    line
}

/// The trailer line, newline included.
pub fn trailer_line(signed: &SignedCheckpoint, key: &NoteVerifier) -> String {
    let trailer = Trailer {
        checkpoint: signed.note().to_owned(),
        public_key: key.to_string(),
    };
    // A struct of two strings always serialises.
    let json = serde_json::to_string(&trailer).unwrap_or_default();
    format!("{json}\n")
}

/// Why an export cannot be read; each names the line, and the log position
/// where it has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    #[error(
        "position {position} (line {line}): the line is longer than {EXPORT_LINE_BYTES_MAX} bytes"
    )]
    LineTooLong { position: u64, line: u64 },
    #[error("line {line}: events after the checkpoint line; the export was altered")]
    AfterTrailer { line: u64 },
    #[error("line {line}: unreadable checkpoint line: {problem}")]
    BadTrailer { line: u64, problem: String },
    #[error("the export fails verification at position {position} (line {line}): {error}")]
    BadEvent {
        position: u64,
        line: u64,
        error: TransparencyError,
    },
    #[error("the export has no checkpoint line: it is incomplete or was altered")]
    NoTrailer,
    #[error("the export's public key: {0}")]
    BadKey(TransparencyError),
    #[error("the export's checkpoint: {0}")]
    BadCheckpoint(TransparencyError),
    #[error(
        "the export fails verification at position {}: the checkpoint signs {signed} events, the export holds {held}",
        signed + 1
    )]
    UnsignedEvents { signed: u64, held: u64 },
}

/// Reads an export line by line.
#[derive(Debug, Default)]
pub struct ExportReader {
    lines: u64,
    events: u64,
    trailer: Option<Trailer>,
}

/// What an export's trailer establishes.
#[derive(Debug)]
pub struct ExportEnd {
    /// Its checkpoint, opened with the key used.
    pub checkpoint: SignedCheckpoint,
    /// The key used: the one pinned by the caller, else the one shipped.
    pub key: NoteVerifier,
    /// Whether the key is the one the export ships (nobody pinned one).
    pub key_shipped: bool,
}

impl ExportReader {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next line (with or without its newline, and possibly longer
    /// than [`EXPORT_LINE_BYTES_MAX`] to be refused); an event line gives the
    /// event, the trailer nothing.
    pub fn line(&mut self, bytes: &[u8]) -> Result<Option<StoredEvent>, ExportError> {
        self.lines += 1;
        let (line, position) = (self.lines, self.events + 1);
        if bytes.len() > EXPORT_LINE_BYTES_MAX {
            return Err(ExportError::LineTooLong { position, line });
        }
        if self.trailer.is_some() {
            return Err(ExportError::AfterTrailer { line });
        }
        let text = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        if text.starts_with(br#"{"checkpoint""#) {
            let trailer = serde_json::from_slice(text).map_err(|e| ExportError::BadTrailer {
                line,
                problem: e.to_string(),
            })?;
            self.trailer = Some(trailer);
            return Ok(None);
        }
        let event = parse_leaf(text).map_err(|error| ExportError::BadEvent {
            position,
            line,
            error,
        })?;
        self.events += 1;
        Ok(Some(event))
    }

    /// Ends the export: it must have a trailer whose checkpoint verifies with
    /// `pinned` (else the key shipped) and signs every event line.
    pub fn finish(self, pinned: Option<NoteVerifier>) -> Result<ExportEnd, ExportError> {
        let trailer = self.trailer.ok_or(ExportError::NoTrailer)?;
        let shipped = NoteVerifier::parse(&trailer.public_key).map_err(ExportError::BadKey)?;
        let key_shipped = pinned.is_none();
        let key = pinned.unwrap_or(shipped);
        let checkpoint = key
            .open(&trailer.checkpoint)
            .map_err(ExportError::BadCheckpoint)?;
        let signed = checkpoint.checkpoint.size;
        if self.events > signed {
            return Err(ExportError::UnsignedEvents {
                signed,
                held: self.events,
            });
        }
        Ok(ExportEnd {
            checkpoint,
            key,
            key_shipped,
        })
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::testing::event;
    use crate::{MerkleTree, NoteSigner, event_leaf_hash};

    type Lines = Vec<Vec<u8>>;

    fn signer(seed: u8) -> NoteSigner {
        NoteSigner::from_seed("example.org/log", [seed; 32]).expect("a key")
    }

    /// An export of `events` signed over the first `signed` of them.
    fn export(events: &[StoredEvent], signed: usize) -> Vec<Vec<u8>> {
        let tree = MerkleTree::from_leaf_hashes(events[..signed].iter().map(event_leaf_hash));
        let signer = signer(1);
        let mut lines: Vec<Vec<u8>> = events.iter().map(event_line).collect();
        let trailer = trailer_line(&signer.sign(tree.size(), tree.root()), &signer.verifier());
        lines.push(trailer.into_bytes());
        lines
    }

    fn read(
        lines: &[Vec<u8>],
        pinned: Option<NoteVerifier>,
    ) -> Result<(Vec<StoredEvent>, ExportEnd), ExportError> {
        let mut reader = ExportReader::new();
        let mut events = Vec::new();
        for line in lines {
            events.extend(reader.line(line)?);
        }
        Ok((events, reader.finish(pinned)?))
    }

    #[test]
    fn what_is_written_reads_back() {
        let events: Vec<StoredEvent> = (1..=3).map(event).collect();
        let (read_back, end) = read(&export(&events, 3), None).expect("reads");
        assert_eq!(read_back, events);
        assert_eq!(end.checkpoint.checkpoint.size, 3);
        assert!(end.key_shipped);
        let (_, pinned) = read(&export(&events, 3), Some(signer(1).verifier())).expect("reads");
        assert!(!pinned.key_shipped);
    }

    #[test]
    fn a_changed_export_is_refused_naming_the_line() {
        let events: Vec<StoredEvent> = (1..=3).map(event).collect();
        let good = export(&events, 3);
        let mut garbled = good.clone();
        garbled[1] = b"{\"not\":\"an event\"}\n".to_vec();
        let mut after = good.clone();
        after.push(event_line(&event(4)));
        let mut bad_trailer = good.clone();
        bad_trailer[3] = b"{\"checkpoint\":1}\n".to_vec();
        let mut long = good.clone();
        long[0] = vec![b' '; EXPORT_LINE_BYTES_MAX + 1];
        let cases: Vec<(&str, Lines, Option<NoteVerifier>, ExportError)> = vec![
            (
                "no trailer",
                good[..3].to_vec(),
                None,
                ExportError::NoTrailer,
            ),
            (
                "events after the trailer",
                after,
                None,
                ExportError::AfterTrailer { line: 5 },
            ),
            (
                "a line too long",
                long,
                None,
                ExportError::LineTooLong {
                    position: 1,
                    line: 1,
                },
            ),
            (
                "more events than signed",
                export(&events, 2),
                None,
                ExportError::UnsignedEvents { signed: 2, held: 3 },
            ),
        ];
        for (what, lines, pinned, want) in cases {
            assert_eq!(read(&lines, pinned).expect_err(what), want, "{what}");
        }
        let refused: Vec<(&str, Lines, Option<NoteVerifier>, &str)> = vec![
            ("a garbled event", garbled, None, "position 2 (line 2)"),
            (
                "an unreadable trailer",
                bad_trailer,
                None,
                "line 4: unreadable checkpoint line",
            ),
            (
                "another key pinned",
                good,
                Some(signer(2).verifier()),
                "the export's checkpoint",
            ),
        ];
        for (what, lines, pinned, needle) in refused {
            let error = read(&lines, pinned).expect_err(what).to_string();
            assert!(error.contains(needle), "{what}: {error}");
        }
    }
}
