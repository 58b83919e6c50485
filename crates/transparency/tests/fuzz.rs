//! Fuzzing on stable Rust of the export reader: an export's lines, arbitrary
//! or mutated from a real export (events, then a signed trailer), never
//! panic it, and an untouched export reads back. Proptest's budget (256
//! cases) runs in CI; `PROPTEST_CASES=100000` runs the longer campaign.

use chrono::{TimeZone, Utc};
use event_store::{StoredEvent, StreamId};
use proptest::prelude::*;
use transparency::{
    ExportReader, MerkleTree, NoteSigner, event_leaf_hash, event_line, trailer_line,
};
use uuid::Uuid;

/// A small real export: three events and the trailer signed over them.
fn export() -> Vec<Vec<u8>> {
    let signer = NoteSigner::from_seed("stdreg/fuzz", [7; 32]).expect("signer");
    let mut tree = MerkleTree::default();
    let mut lines = Vec::new();
    for n in 1..=3u64 {
        let event = StoredEvent {
            event_id: Uuid::from_u128(u128::from(n)),
            stream: StreamId::new("standard-CN"),
            stream_position: n - 1,
            global_position: n,
            event_type: "item_amended".into(),
            schema_version: 2,
            data: format!(r#"{{"type":"item_amended","n":{n},"reason":"更正"}}"#).into_bytes(),
            recorded_at: Utc
                .timestamp_opt(1_700_000_000 + n as i64, 0)
                .single()
                .expect("time"),
            sealed: None,
        };
        tree.push(event_leaf_hash(&event));
        lines.push(event_line(&event));
    }
    let signed = signer.sign(tree.size(), tree.root());
    lines.push(trailer_line(&signed, &signer.verifier()).into_bytes());
    lines
}

fn read(lines: &[Vec<u8>]) -> Result<u64, String> {
    let mut reader = ExportReader::new();
    let mut events = 0;
    for line in lines {
        if reader.line(line).map_err(|e| e.to_string())?.is_some() {
            events += 1;
        }
    }
    reader.finish(None).map_err(|e| e.to_string())?;
    Ok(events)
}

#[test]
fn an_untouched_export_reads_back() {
    assert_eq!(read(&export()), Ok(3));
}

proptest! {
    #[test]
    fn mutated_exports_never_panic(
        line in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in prop::option::of(any::<prop::sample::Index>()),
        drop_line in prop::option::of(any::<prop::sample::Index>()),
    ) {
        let mut lines = export();
        let at = line.index(lines.len());
        for (index, byte) in &edits {
            let target = &mut lines[at];
            let i = index.index(target.len());
            target[i] = *byte;
        }
        if let Some(cut) = cut {
            let target = &mut lines[at];
            target.truncate(cut.index(target.len() + 1));
        }
        if let Some(gone) = drop_line {
            lines.remove(gone.index(lines.len()));
        }
        if let Err(error) = read(&lines) {
            prop_assert!(!error.is_empty());
        }
    }

    #[test]
    fn arbitrary_lines_never_panic(lines in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 0..6)) {
        let _ = read(&lines);
    }

    #[test]
    fn json_shaped_lines_never_panic(lines in prop::collection::vec("\\{\"(checkpoint|public_key|event_id|data|stream|recorded_at)\": ?(\"[ -~]{0,40}\"|[0-9]{1,30}|null|\\[\\]|\\{\\})(, ?\"[a-z_]{1,12}\": ?\"[ -~]{0,20}\")?\\}", 0..5)) {
        let lines: Vec<Vec<u8>> = lines.into_iter().map(String::into_bytes).collect();
        let _ = read(&lines);
    }
}
