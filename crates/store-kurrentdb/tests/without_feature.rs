//! The default build: the crate compiles to its documentation and constants.

#![cfg(not(feature = "kurrentdb"))]

#[test]
fn the_suite_needs_the_kurrentdb_feature() {
    println!(
        "skipped: the KurrentDB conformance suite needs `--features kurrentdb` and {} pointing at a server",
        store_kurrentdb::TEST_URL_VAR
    );
    assert!(store_kurrentdb::DEFAULT_PREFIX.ends_with(':'));
}
