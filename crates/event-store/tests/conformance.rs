//! The in-memory store against the conformance suite.

use event_store::MemoryStore;
use event_store::conformance::import_continues_log_exactly;

event_store::conformance_tests!(|| async { MemoryStore::new() });

#[tokio::test]
async fn import_stored_continues_log_exactly() {
    let store = MemoryStore::new();
    import_continues_log_exactly(&store, async |events| store.import_stored(events).await).await;
}
