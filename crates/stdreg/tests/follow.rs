//! Two registries on one PostgreSQL log, as two servers hold them: what one
//! publishes, the other's follower indexes promptly, woken by the store's
//! `LISTEN/NOTIFY` (polling is only the fallback).

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use registry::Registry;
use registry::import::ImportFile;
use store_postgres::{ConnectOptions, PostgresStore};
use support::TestSchema;
use tokio::sync::watch;

/// What the issue promises for two servers on one database.
const CONVERGENCE: Duration = Duration::from_secs(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_sees_another_process_publish_within_a_second() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    // Polling slower than the promise: only a notification can make it in time.
    let options = || ConnectOptions::default().with_poll_interval(Duration::from_secs(30));
    let writer_store = PostgresStore::connect_with(&schema.url, options())
        .await
        .expect("writer store");
    let reader_store = PostgresStore::connect_with(&schema.url, options())
        .await
        .expect("reader store");
    let writer = Registry::open(Arc::new(writer_store))
        .await
        .expect("writer registry");
    let reader = Arc::new(
        Registry::open(Arc::new(reader_store))
            .await
            .expect("reader registry"),
    );

    let (stop, stopped) = watch::channel(false);
    let follower = tokio::spawn({
        let reader = Arc::clone(&reader);
        async move { reader.follow(stopped).await }
    });
    let mut indexed = reader.indexed();

    let revisions = registry::bundled::national_revisions().expect("bundled data");
    let mut delays = Vec::new();
    // One revision per append round, so the follower is woken more than once.
    for revision in revisions {
        let published = writer
            .publish(&revision, "test", None)
            .await
            .expect("publish");
        let start = Instant::now();
        tokio::time::timeout(
            CONVERGENCE,
            indexed.wait_for(|at| *at >= published.last_global_position),
        )
        .await
        .unwrap_or_else(|_| {
            panic!(
                "the follower did not index position {} within {CONVERGENCE:?}",
                published.last_global_position
            )
        })
        .expect("the registry keeps its watch open");
        delays.push(start.elapsed());
    }
    println!("follower delays after each publish: {delays:?}");

    // Nothing is left to import: the follower's index equals the writer's.
    let again = reader
        .import(
            &ImportFile::new(registry::bundled::national_revisions().expect("bundled")),
            "test",
        )
        .await
        .expect("import through the reader");
    assert!(
        again
            .iter()
            .all(|o| matches!(o, registry::ImportOutcome::AlreadyRecorded(_))),
        "the reader knows every revision the writer published: {again:?}"
    );

    stop.send(true).expect("follower listens");
    tokio::time::timeout(Duration::from_secs(10), follower)
        .await
        .expect("the follower stops")
        .expect("follower task")
        .expect("the follower ends without error");
    drop(schema);
}
