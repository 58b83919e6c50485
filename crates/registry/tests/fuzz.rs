//! Fuzzing on stable Rust of what the registry reads from outside: import
//! files, and stored events through the codec and its upcaster. Inputs are
//! arbitrary text and mutations of real documents (the bundled data, the
//! golden stored events); nothing may panic. Proptest's budget (256 cases
//! each) runs in CI; `PROPTEST_CASES=100000` runs the longer campaign.

use chrono::Utc;
use event_store::{StoredEvent, StreamId};
use proptest::prelude::*;
use registry::codec;
use registry::import::{ImportFile, parse_import};
use uuid::Uuid;

/// Byte edits, an optional cut and an optional splice, applied to a seed.
#[derive(Debug, Clone)]
struct Mutation {
    edits: Vec<(prop::sample::Index, u8)>,
    cut: Option<prop::sample::Index>,
    splice: Option<(prop::sample::Index, Vec<u8>)>,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let interesting = prop_oneof![
        Just(b"null".to_vec()),
        Just(b"\"+262142-12-31\"".to_vec()),
        Just(b"\"2023-2-3\"".to_vec()),
        Just(b"[[[[[[[[".to_vec()),
        Just(b"{\"".to_vec()),
        Just(b"1e999".to_vec()),
        Just(vec![0xff, 0xfe]),
        prop::collection::vec(any::<u8>(), 0..16),
    ];
    (
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        prop::option::of(any::<prop::sample::Index>()),
        prop::option::of((any::<prop::sample::Index>(), interesting)),
    )
        .prop_map(|(edits, cut, splice)| Mutation { edits, cut, splice })
}

fn mutate(seed: &[u8], mutation: &Mutation) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    if bytes.is_empty() {
        return bytes;
    }
    for (at, byte) in &mutation.edits {
        let at = at.index(bytes.len());
        bytes[at] = *byte;
    }
    if let Some((at, piece)) = &mutation.splice {
        let at = at.index(bytes.len());
        bytes.splice(at..at, piece.iter().copied());
    }
    if let Some(cut) = &mutation.cut {
        bytes.truncate(cut.index(bytes.len() + 1));
    }
    bytes
}

fn bundled_file() -> Vec<u8> {
    let revisions = registry::bundled::national_revisions().expect("bundled data");
    // The smallest revision keeps each case fast.
    let smallest = revisions
        .into_iter()
        .min_by_key(|r| serde_json::to_vec(r).map(|v| v.len()).unwrap_or(usize::MAX))
        .expect("a revision");
    serde_json::to_vec(&ImportFile::new(vec![smallest])).expect("json")
}

fn goldens() -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("golden files")
        .filter_map(Result::ok)
        .map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(entry.path()).expect("golden file"))
        })
        .collect();
    files.sort();
    files
}

fn stored(event_type: &str, schema_version: u32, data: Vec<u8>, stream: &str) -> StoredEvent {
    StoredEvent {
        sealed: None,
        event_id: Uuid::nil(),
        stream: StreamId::new(stream),
        stream_position: 0,
        global_position: 1,
        event_type: event_type.to_owned(),
        schema_version,
        data,
        recorded_at: Utc::now(),
    }
}

proptest! {
    #[test]
    fn import_files_never_panic(mutation in mutation()) {
        let seed = bundled_file();
        let bytes = mutate(&seed, &mutation);
        let text = String::from_utf8_lossy(&bytes);
        if let Err(error) = parse_import("fuzz.json", &text) {
            prop_assert!(error.to_string().len() < 2_000, "{error}");
        }
    }

    #[test]
    fn arbitrary_text_is_no_import_file(text in any::<String>()) {
        prop_assert!(parse_import("fuzz.json", &text).is_err());
    }

    #[test]
    fn stored_events_never_panic_the_codec_or_upcaster(
        pick in any::<prop::sample::Index>(),
        mutation in mutation(),
        version in prop_oneof![Just(None), (0u32..5).prop_map(Some)],
        sealed in prop::option::of(mutation()),
        stream in prop_oneof![Just("standard-CN"), Just("standard-510000"), Just("standard-"), Just("other")],
    ) {
        let goldens = goldens();
        let (name, seed) = &goldens[pick.index(goldens.len())];
        let mut parts = name.split('.');
        let event_type = parts.next().unwrap_or_default();
        let golden_version = parts
            .next()
            .and_then(|v| v.trim_start_matches('v').parse().ok())
            .unwrap_or(2);
        let event = StoredEvent {
            // The sealed bytes the golden files of version 3 match, mutated.
            sealed: sealed.map(|m| mutate(&codec::sealed_bytes("import", &[7; codec::SALT_BYTES]), &m)),
            ..stored(
                event_type,
                version.unwrap_or(golden_version),
                mutate(seed, &mutation),
                stream,
            )
        };
        let _ = codec::decode(&event);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_codec(
        data in prop::collection::vec(any::<u8>(), 0..256),
        event_type in "[a-z_]{0,20}",
        version in 0u32..5,
        sealed in prop::option::of(prop::collection::vec(any::<u8>(), 0..64)),
    ) {
        let _ = codec::decode(&StoredEvent { sealed, ..stored(&event_type, version, data, "standard-CN") });
    }
}

/// The golden files decode unmutated: the seeds are real stored events.
#[test]
fn the_seeds_decode() {
    for (name, data) in goldens() {
        let mut parts = name.split('.');
        let event_type = parts.next().unwrap_or_default().to_owned();
        let version = parts
            .next()
            .and_then(|v| v.trim_start_matches('v').parse().ok())
            .unwrap_or(2);
        let event = stored(&event_type, version, data, "standard-CN");
        assert!(codec::decode(&event).is_ok(), "{name}");
    }
    assert!(
        parse_import(
            "bundled",
            &String::from_utf8(bundled_file()).unwrap_or_default()
        )
        .is_ok()
    );
}
