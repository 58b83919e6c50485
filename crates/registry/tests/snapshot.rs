//! The index snapshot: a registry restores its search index from the data
//! directory's snapshot only when the snapshot is sound and of this log, and
//! answers exactly as a registry that indexed the whole log.

use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use event_store::{EventStore, MemoryStore};
use registry::Registry;
use registry::search::SearchRequest;
use registry::snapshot::{IndexStart, SNAPSHOT_FILE};
use registry::verifiable::open_verified;
use search::When;

const ACTOR: &str = "import";

async fn publish_national(registry: &Registry) {
    let revisions = registry::bundled::national_revisions().expect("bundled national data");
    registry
        .publish_all(&revisions, ACTOR, None)
        .await
        .expect("national standard recorded");
}

async fn publish_local(registry: &Registry) {
    for revision in registry::bundled_local::local_revisions().expect("bundled local examples") {
        registry
            .publish(&revision, ACTOR, None)
            .await
            .expect("local standard recorded");
    }
}

/// A registry of the national standard and the local examples, with a data
/// directory; `snapshot_after_national` saves the snapshot before the local ones.
async fn recorded(dir: &Path, snapshot_after_national: bool) -> Arc<MemoryStore> {
    let store = Arc::new(MemoryStore::new());
    let (registry, _) = open_verified(store.clone(), dir, None)
        .await
        .expect("registry opens");
    publish_national(&registry).await;
    if snapshot_after_national {
        registry.save_index_snapshot(dir).await.expect("snapshot");
    }
    publish_local(&registry).await;
    if !snapshot_after_national {
        registry.save_index_snapshot(dir).await.expect("snapshot");
    }
    store
}

/// Every answer to these searches, as JSON, for comparing two registries.
fn answers(registry: &Registry) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for query in [
        "儿童",
        "养老服务",
        "就业 OR 创业",
        "残疾人 -儿童",
        "教育",
        "卫生",
    ] {
        for when in [
            When::At {
                valid_at: NaiveDate::from_ymd_opt(2024, 6, 1).expect("date"),
                known_at: None,
            },
            When::History { known_at: None },
        ] {
            let request = SearchRequest {
                query: query.to_owned(),
                jurisdiction: None,
                aspect: None,
                category: None,
                fields: Vec::new(),
                when,
                first: 100,
                after: None,
            };
            let results = registry.search(&request).expect("search answers");
            out.push(serde_json::to_value(&results).expect("results serialise"));
        }
    }
    let stats = registry.search_stats();
    out.push(serde_json::json!([
        stats.standards,
        stats.items,
        stats.terms,
        stats.postings
    ]));
    out
}

fn snapshot_bytes(dir: &Path) -> Vec<u8> {
    std::fs::read(dir.join(SNAPSHOT_FILE)).expect("snapshot file")
}

/// Rewrites the snapshot, then sets its checksum right, so that only the change is wrong.
fn rewrite(dir: &Path, change: impl FnOnce(&mut Vec<u8>)) {
    use sha2::Digest;
    let mut bytes = snapshot_bytes(dir);
    bytes.truncate(bytes.len() - 32);
    change(&mut bytes);
    let sum = sha2::Sha256::digest(&bytes);
    bytes.extend_from_slice(&sum);
    std::fs::write(dir.join(SNAPSHOT_FILE), bytes).expect("snapshot rewritten");
}

const MAGIC_LEN: usize = b"stdreg index snapshot\n".len();

#[derive(Clone, Copy, Debug)]
enum Spoil {
    /// Left as saved, at the head of the log.
    Nothing,
    /// Saved before the local standards were recorded: behind the log.
    Behind,
    /// One byte of the image flipped.
    FlippedByte,
    /// The file cut in half.
    CutShort,
    /// A format this version does not read (checksum set right).
    OtherFormat,
    /// The image of another analyser version (checksum set right).
    OtherImageVersion,
    /// The snapshot of another registry's log, copied in.
    Foreign,
    /// The log restored to a prefix older than the snapshot.
    LogOlder,
    /// The snapshot claims a position inside an append (checksum set right).
    InsideAnAppend,
}

struct Case {
    spoil: Spoil,
    /// `None`: restored; `Some(words)`: rebuilt, the reason saying these words.
    refused_for: Option<&'static str>,
}

const CASES: &[Case] = &[
    Case {
        spoil: Spoil::Nothing,
        refused_for: None,
    },
    Case {
        spoil: Spoil::Behind,
        refused_for: None,
    },
    Case {
        spoil: Spoil::FlippedByte,
        refused_for: Some("checksum"),
    },
    Case {
        spoil: Spoil::CutShort,
        refused_for: Some("checksum"),
    },
    Case {
        spoil: Spoil::OtherFormat,
        refused_for: Some("format 99"),
    },
    Case {
        spoil: Spoil::OtherImageVersion,
        refused_for: Some("version"),
    },
    Case {
        spoil: Spoil::Foreign,
        refused_for: Some("another log"),
    },
    Case {
        spoil: Spoil::LogOlder,
        refused_for: Some("the log holds"),
    },
    Case {
        spoil: Spoil::InsideAnAppend,
        refused_for: Some("another log"),
    },
];

#[tokio::test]
async fn a_snapshot_is_restored_only_when_sound_and_of_this_log() {
    for case in CASES {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut store = recorded(dir.path(), matches!(case.spoil, Spoil::Behind)).await;
        let head = store.head_position().await.expect("head");
        match case.spoil {
            Spoil::Nothing | Spoil::Behind => {}
            Spoil::FlippedByte => {
                let mut bytes = snapshot_bytes(dir.path());
                let middle = bytes.len() / 2;
                bytes[middle] ^= 0x40;
                std::fs::write(dir.path().join(SNAPSHOT_FILE), bytes).expect("written");
            }
            Spoil::CutShort => {
                let bytes = snapshot_bytes(dir.path());
                std::fs::write(dir.path().join(SNAPSHOT_FILE), &bytes[..bytes.len() / 2])
                    .expect("written");
            }
            Spoil::OtherFormat => rewrite(dir.path(), |bytes| {
                bytes[MAGIC_LEN..MAGIC_LEN + 4].copy_from_slice(&99u32.to_le_bytes());
            }),
            Spoil::OtherImageVersion => rewrite(dir.path(), |bytes| {
                // The image starts after the header: format, size, root, length.
                let image = MAGIC_LEN + 4 + 8 + 32 + 8;
                let version = search::IMAGE_VERSION + 1;
                bytes[image..image + 4].copy_from_slice(&version.to_le_bytes());
            }),
            Spoil::Foreign => {
                let other = tempfile::tempdir().expect("temporary directory");
                recorded(other.path(), false).await;
                std::fs::copy(
                    other.path().join(SNAPSHOT_FILE),
                    dir.path().join(SNAPSHOT_FILE),
                )
                .expect("copied");
            }
            Spoil::LogOlder => {
                // A store restored from before the local standards, with a data
                // directory of its own (its leaf record and checkpoint as old as
                // the store), beside the newer snapshot.
                let older = Arc::new(MemoryStore::new());
                let national = registry::bundled::national_revisions()
                    .map(|r| r.len())
                    .unwrap_or(0);
                let prefix = store.read_all(1, 10_000).await.expect("log read");
                let cut = prefix
                    .iter()
                    .position(|e| !e.stream.as_str().ends_with("-CN"))
                    .unwrap_or(prefix.len());
                assert!(national > 0 && cut > 0 && (cut as u64) < head);
                older
                    .import_stored(prefix[..cut].to_vec())
                    .await
                    .expect("prefix imported");
                let restored = tempfile::tempdir().expect("temporary directory");
                std::fs::copy(
                    dir.path().join(SNAPSHOT_FILE),
                    restored.path().join(SNAPSHOT_FILE),
                )
                .expect("copied");
                for name in ["log-key", "log-key.pub"] {
                    std::fs::copy(dir.path().join(name), restored.path().join(name))
                        .expect("key copied");
                }
                std::fs::remove_dir_all(dir.path()).expect("old data directory removed");
                std::fs::rename(restored.path(), dir.path()).expect("restored data directory");
                store = older;
            }
            Spoil::InsideAnAppend => rewrite(dir.path(), |bytes| {
                let size = head - 1;
                bytes[MAGIC_LEN + 4..MAGIC_LEN + 12].copy_from_slice(&size.to_le_bytes());
            }),
        }

        let (restored, _) = open_verified(store.clone(), dir.path(), None)
            .await
            .unwrap_or_else(|e| panic!("{:?}: the registry opens: {e}", case.spoil));
        match (case.refused_for, restored.index_start()) {
            (None, IndexStart::Snapshot { position }) => {
                assert!(position > 0 && position <= head, "{:?}", case.spoil);
            }
            (
                Some(words),
                IndexStart::Rebuilt {
                    reason: Some(reason),
                },
            ) => {
                assert!(
                    reason.contains(words),
                    "{:?}: the reason {reason:?} does not say {words:?}",
                    case.spoil
                );
            }
            (_, start) => panic!("{:?}: started as {start:?}", case.spoil),
        }
        let rebuilt = Registry::open(store.clone())
            .await
            .expect("rebuilt registry");
        assert_eq!(
            answers(&restored),
            answers(&rebuilt),
            "{:?}: the restored index answers otherwise than a rebuilt one",
            case.spoil
        );
    }
}

#[tokio::test]
async fn a_restored_index_follows_later_appends_like_a_rebuilt_one() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = Arc::new(MemoryStore::new());
    {
        let (registry, _) = open_verified(store.clone(), dir.path(), None)
            .await
            .expect("registry opens");
        publish_national(&registry).await;
        registry
            .save_index_snapshot(dir.path())
            .await
            .expect("snapshot");
    }
    let (restored, _) = open_verified(store.clone(), dir.path(), None)
        .await
        .expect("registry reopens");
    assert!(matches!(
        restored.index_start(),
        IndexStart::Snapshot { .. }
    ));
    // Appended after the restore: indexed text by text as it arrives.
    publish_local(&restored).await;
    let rebuilt = Registry::open(store.clone())
        .await
        .expect("rebuilt registry");
    assert_eq!(answers(&restored), answers(&rebuilt));
}

#[tokio::test]
async fn a_registry_without_a_data_directory_rebuilds_and_says_nothing_was_refused() {
    let store = Arc::new(MemoryStore::new());
    let registry = Registry::open(store).await.expect("registry opens");
    assert_eq!(registry.index_start(), IndexStart::Rebuilt { reason: None });
}
