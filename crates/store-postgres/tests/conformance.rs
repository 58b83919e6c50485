//! The shared conformance suite, each case on a fresh schema of the test database.

mod common;

use common::TestSchema;
use event_store::conformance::StoreFactory;
use store_postgres::PostgresStore;

/// Every `open` reaches the same schema, as a restarted process would; the
/// schema is dropped with the factory.
async fn fresh_log() -> Option<impl StoreFactory> {
    let schema = TestSchema::create().await?;
    Some(move || {
        let url = schema.url.clone();
        async move {
            PostgresStore::connect(&url)
                .await
                .expect("open the log on the test schema")
        }
    })
}

event_store::conformance_tests!(persistent: match fresh_log().await {
    Some(factory) => factory,
    None => return,
});
