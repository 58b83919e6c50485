//! The shared conformance suite against a KurrentDB server named by
//! `KURRENTDB_URL`; each case writes under a stream prefix of its own, so
//! cases run in parallel and repeatedly against one server.

#![cfg(feature = "kurrentdb")]

use event_store::conformance::StoreFactory;
use store_kurrentdb::{ConnectOptions, KurrentStore, TEST_URL_VAR};

fn server_url() -> Option<String> {
    match std::env::var(TEST_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            println!(
                "skipped: {TEST_URL_VAR} is not set (point it at a KurrentDB server, e.g. esdb://localhost:2113?tls=false)"
            );
            None
        }
    }
}

fn options() -> ConnectOptions {
    ConnectOptions::default().with_prefix(format!("t{}:", uuid::Uuid::now_v7().simple()))
}

/// Every `open` reaches the same prefix, as a restarted process would.
fn fresh_log() -> Option<impl StoreFactory> {
    let url = server_url()?;
    let options = options();
    Some(move || {
        let url = url.clone();
        let options = options.clone();
        async move {
            KurrentStore::connect_with(&url, options)
                .await
                .expect("connect to the KurrentDB test server")
        }
    })
}

event_store::conformance_tests!(persistent: match fresh_log() {
    Some(factory) => factory,
    None => return,
});
