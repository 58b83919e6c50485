//! The committed SDL (`docs/schema.graphql`) is the contract: it must match what is served.

use std::path::PathBuf;

fn committed() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema.graphql")
}

#[test]
fn served_schema_matches_docs_schema_graphql() {
    let served = api::sdl();
    let path = committed();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &served).expect("write docs/schema.graphql");
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == served,
        "docs/schema.graphql differs from the served schema; if the change is intended, regenerate it with\n    UPDATE_SCHEMA=1 cargo test -p api --test api schema_file\nand review the diff"
    );
}
