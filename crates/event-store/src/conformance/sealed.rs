//! Sealed bytes: stored with their event, atomically, and returned as given.

use super::*;

/// The sealed bytes of each case, as appended: absent, empty, text, binary.
fn sealed_cases() -> Vec<Option<Vec<u8>>> {
    vec![
        None,
        Some(Vec::new()),
        Some(
            r#"{"actor":"editor:张伟","salt":"AAAAAAAAAAAAAAAAAAAAAA=="}"#
                .as_bytes()
                .to_vec(),
        ),
        Some(vec![0, 0xff, b'\n', 0xe4]),
    ]
}

fn sealed_events(tag: &str) -> Vec<NewEvent> {
    sealed_cases()
        .into_iter()
        .zip(events(4, tag))
        .map(|(sealed, event)| NewEvent { sealed, ..event })
        .collect()
}

/// Sealed bytes come back exactly as appended, absent ones stay absent (not
/// empty), in stream and global reads, and they do not disturb the data.
pub async fn sealed_bytes_round_trip(store: &dyn EventStore) {
    let s = stream("standard-sealed");
    let written = sealed_events("sealed");
    store
        .append(&s, ExpectedVersion::Exact(0), written.clone())
        .await
        .expect("append with sealed bytes");
    let by_stream = store.read_stream(&s, 0, 10).await.expect("read_stream");
    let by_global = store.read_all(1, 10).await.expect("read_all");
    assert_eq!(by_stream, by_global, "both reads give the same events");
    let got: Vec<(&[u8], Option<&[u8]>)> = by_stream
        .iter()
        .map(|e| (e.data.as_slice(), e.sealed.as_deref()))
        .collect();
    let want: Vec<(&[u8], Option<&[u8]>)> = written
        .iter()
        .map(|e| (e.data.as_slice(), e.sealed.as_deref()))
        .collect();
    assert_eq!(got, want, "data and sealed bytes come back as written");
}

/// An imported event keeps the sealed bytes it was imported with, and one
/// imported without any has none.
pub async fn sealed_bytes_survive_import(store: &dyn EventStore) {
    let s = stream("standard-sealed");
    let source = MemoryStore::new();
    source
        .append(&s, ExpectedVersion::Exact(0), sealed_events("source"))
        .await
        .expect("source append");
    let copied = read_everything(&source).await;
    assert_eq!(copied.len(), 4);
    store
        .import_stored(copied.clone())
        .await
        .expect("import with sealed bytes");
    assert_eq!(
        read_everything(store).await,
        copied,
        "imported events keep their sealed bytes, absent or not"
    );
}

/// A refused append stores none of its sealed bytes: the next accepted
/// append at the same positions carries only its own.
pub async fn failed_append_stores_no_sealed_bytes(store: &dyn EventStore) {
    let s = stream("standard-sealed");
    store
        .append(&s, ExpectedVersion::Exact(0), events(1, "setup"))
        .await
        .expect("setup");
    let before = snapshot(store, &[&s]).await;
    let taken = before.events[0].event_id;
    let mut clash = sealed_events("clash");
    clash[3].event_id = taken;
    let failing: [(ExpectedVersion, Vec<NewEvent>); 2] = [
        (ExpectedVersion::Exact(0), sealed_events("conflict")),
        (ExpectedVersion::Exact(1), clash),
    ];
    for (expected, batch) in failing {
        assert!(
            store.append(&s, expected, batch).await.is_err(),
            "append with {expected:?} must fail"
        );
        assert_eq!(snapshot(store, &[&s]).await, before, "nothing was stored");
    }
    store
        .append(&s, ExpectedVersion::Exact(1), events(2, "after"))
        .await
        .expect("append after the failures");
    let stored = store.read_stream(&s, 0, 10).await.expect("read_stream");
    assert!(
        stored.iter().all(|e| e.sealed.is_none()),
        "no sealed bytes of a failed append were kept: {stored:?}"
    );
}

/// Sealed bytes are as durable as the events they belong to.
pub async fn sealed_bytes_durable_across_reopen(factory: &dyn StoreFactory) {
    let s = stream("standard-sealed");
    let store = factory.open().await;
    store
        .append(&s, ExpectedVersion::Exact(0), sealed_events("durable"))
        .await
        .expect("append");
    let before = snapshot(&*store, &[&s]).await;
    drop(store);
    let store = factory.open().await;
    assert_eq!(
        snapshot(&*store, &[&s]).await,
        before,
        "the reopened log keeps its sealed bytes"
    );
}
