//! A database that requires TLS: the store connects with `sslmode=verify-full`
//! against the server's CA, and refuses a server it cannot verify.
//!
//! `.ci/postgres.sh` gives the local server a certificate for `localhost`
//! and `127.0.0.1` signed by a test CA and exports its file as
//! `STDREG_TEST_POSTGRES_TLS_CA`; without it these tests skip.

mod common;

use common::{TestSchema, event, read_everything};
use event_store::{EventStore, ExpectedVersion, StreamId};
use sqlx::Connection;
use store_postgres::{OpenError, PostgresStore};

const CA_VAR: &str = "STDREG_TEST_POSTGRES_TLS_CA";

fn test_ca() -> Option<String> {
    match std::env::var(CA_VAR) {
        Ok(path) if !path.trim().is_empty() => Some(path),
        _ => {
            println!("skipped: {CA_VAR} is not set (run .ci/run or `source .ci/postgres.sh`)");
            None
        }
    }
}

/// `url` with `params` added to its query string, and `localhost` as host
/// (the name the certificate is for; `127.0.0.1` is in it too).
fn with_params(url: &str, params: &str) -> String {
    let url = url.replacen("@127.0.0.1:", "@localhost:", 1);
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{params}")
}

#[tokio::test]
async fn the_store_connects_with_verify_full() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let Some(ca) = test_ca() else {
        return;
    };
    let url = with_params(
        &schema.url,
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    );
    let store = PostgresStore::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("verify-full against the test CA: {e}"));
    let stream = StreamId::new("tls");
    store
        .append(
            &stream,
            ExpectedVersion::Exact(0),
            vec![event("Tick", b"over tls")],
        )
        .await
        .expect("append over TLS");
    let events = read_everything(&store).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data, b"over tls");

    // The session really is encrypted (not a plain connection that happened to work).
    let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
    let encrypted: bool =
        sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(&mut conn)
            .await
            .expect("pg_stat_ssl");
    assert!(encrypted);
}

#[tokio::test]
async fn a_server_that_cannot_be_verified_is_refused() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    if test_ca().is_none() {
        return;
    }
    // The test CA is no root the system trusts, so without sslrootcert the
    // server's certificate cannot be verified.
    for params in ["sslmode=verify-full", "sslmode=verify-ca"] {
        let url = with_params(&schema.url, params);
        match PostgresStore::connect(&url).await {
            Err(e @ OpenError::Tls { .. }) => {
                let message = e.to_string();
                assert!(
                    message.contains("localhost")
                        && message.contains("certificate")
                        && message.contains("sslrootcert"),
                    "{params}: {message}"
                );
            }
            Err(other) => panic!("{params}: expected a TLS error, got {other}"),
            Ok(_) => panic!("{params}: connected to a server it cannot verify"),
        }
    }
}
