//! The in-memory store against the conformance suite.

use event_store::MemoryStore;

event_store::conformance_tests!(|| async { MemoryStore::new() });
