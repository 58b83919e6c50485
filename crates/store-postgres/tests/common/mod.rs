//! A fresh schema per test, so tests run in parallel and repeatedly against
//! one database.

#![allow(dead_code)]

use event_store::{EventStore, NewEvent, StoredEvent};
use uuid::Uuid;

pub use store_postgres::testing::TestSchema;

pub fn event(event_type: &str, data: &[u8]) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: event_type.to_owned(),
        schema_version: 1,
        data: data.to_vec(),
        sealed: None,
    }
}

/// The whole log, page by page.
pub async fn read_everything(store: &dyn EventStore) -> Vec<StoredEvent> {
    let mut all = Vec::new();
    for _ in 0..1_000_000 {
        let page = store
            .read_all(all.len() as u64 + 1, 100)
            .await
            .expect("read_all");
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
    panic!("the log did not end within a million pages");
}
