//! `stdreg serve` on PostgreSQL, as real processes: two servers on one
//! database converge and serve one log under one identity (a mirror may
//! switch between them), a server with a foreign key signs nothing, and a
//! server on a log migrated from SQLite answers the GraphQL queries exactly
//! as a server on the SQLite original does.

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Server, ok, ok_on, write_correction};

/// What the issue promises for two servers on one database.
const CONVERGENCE: Duration = Duration::from_secs(1);

/// Pause between two looks at the other server; the deadline is the assertion.
const POLL_PAUSE: Duration = Duration::from_millis(5);

const PUBLISH: &str = "mutation($revision: JSON!) {
  publishRevisionDocument(document: $revision) { lastGlobalPosition streamVersion }
}";

const SEEN: &str = "query($id: ID!) { indexedPosition revision(id: $id) { id } }";

/// Questions of the GraphQL API whose answers must not depend on the backend
/// or on which server is asked.
fn queries(known_between: &str) -> Vec<(&'static str, Value)> {
    vec![
        (
            "query($validAt: Date, $knownAt: DateTime) {
              standards { jurisdiction isNational streamVersion }
              standard(jurisdiction: \"CN\") {
                edition(validAt: $validAt, knownAt: $knownAt) {
                  validAt knownAt inForce versionValidFrom declaredItemCount itemCount
                  versionRevisions { id }
                  items {
                    id number categoryId name serviceTarget serviceContent
                    serviceStandard { text levels { measure comparator quantity unit per period condition } }
                    expenditureResponsibility leadUnits active
                    lastChangedBy { id } introducedBy { id }
                  }
                }
              }
            }",
            json!({ "validAt": "2022-06-01", "knownAt": null }),
        ),
        (
            "query($validAt: Date, $knownAt: DateTime) {
              standard(jurisdiction: \"CN\") {
                edition(validAt: $validAt, knownAt: $knownAt) {
                  inForce itemCount items { id serviceStandard { text } lastChangedBy { id } }
                }
              }
            }",
            json!({ "validAt": "2022-06-01", "knownAt": known_between }),
        ),
        (
            "query($knownAt: DateTime) {
              standard(jurisdiction: \"CN\") {
                versions(knownAt: $knownAt) { validFrom itemCount revisions { id } }
              }
            }",
            json!({ "knownAt": null }),
        ),
        (
            "query($knownAt: DateTime) {
              standard(jurisdiction: \"CN\") {
                revisions(knownAt: $knownAt) {
                  id jurisdiction kind title documentNo issuers issuedOn effectiveFrom
                  declaredItemCount target sources recordedAt withdrawnBy
                  status(validAt: \"2024-01-01\")
                }
              }
            }",
            json!({ "knownAt": known_between }),
        ),
        (
            "{
              standard(jurisdiction: \"CN\") {
                diff(from: { validAt: \"2022-01-01\" }, to: { validAt: \"2024-01-01\" }) {
                  isEmpty
                  items { item name change related fields { field before after } }
                  added { item } retired { item } changed { item }
                }
              }
            }",
            json!({}),
        ),
        (
            "query($knownAt: DateTime) {
              standard(jurisdiction: \"CN\") {
                item(id: \"veteran-resettlement\") {
                  id
                  history(knownAt: $knownAt) {
                    type revision { id } effectiveFrom recordedAt reason
                    changes { field before after } retired
                  }
                }
              }
            }",
            json!({ "knownAt": null }),
        ),
        (
            "{ events(first: 100) { edges { cursor node { id globalPosition type jurisdiction revisionId effectiveFrom recordedAt reason items } } pageInfo { hasNextPage endCursor } } }",
            json!({}),
        ),
    ]
}

fn revision_document(path: &str) -> Value {
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read revision file"))
            .expect("revision json");
    file["revisions"][0].clone()
}

fn answer(server: &Server, query: &str, variables: Value) -> Value {
    let answer = server.graphql(query, variables, None);
    assert!(
        answer.get("errors").is_none(),
        "{query} failed on {}: {answer}",
        server.address
    );
    answer
}

/// Publishes through `from` and measures until `to` serves the revision.
fn publish_and_wait(from: &Server, to: &Server, token: &str, revision: Value) -> Duration {
    let id = revision["revision"]["id"]
        .as_str()
        .expect("revision id")
        .to_owned();
    let published = from.graphql(PUBLISH, json!({ "revision": revision }), Some(token));
    assert!(
        published.get("errors").is_none(),
        "publish failed: {published}"
    );
    let position = published["data"]["publishRevisionDocument"]["lastGlobalPosition"]
        .as_u64()
        .expect("lastGlobalPosition");
    let start = Instant::now();
    loop {
        let seen = to.graphql(SEEN, json!({ "id": id }), None);
        let indexed = seen["data"]["indexedPosition"].as_u64().unwrap_or(0);
        if indexed >= position && seen["data"]["revision"]["id"] == id.as_str() {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < CONVERGENCE,
            "{} did not serve revision {id} (position {position}) within {CONVERGENCE:?}: {seen}",
            to.address
        );
        std::thread::sleep(POLL_PAUSE);
    }
}

fn second_correction(dir: &std::path::Path) -> Value {
    let mut revision = revision_document(&write_correction(dir));
    revision["revision"]["id"] = json!("cn-2021-corr-2");
    revision["content"]["changes"][0]["item"] = json!("radio-listening");
    revision["content"]["changes"][0]["fields"]["service_standard"]["text"] =
        json!("为农村群众提供无线广播节目");
    revision
}

#[test]
fn two_servers_on_one_database_converge_within_a_second() {
    let Some(schema) = support::test_schema() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let tokens = dir.path().join("tokens.json").display().to_string();
    let made: Value = serde_json::from_str(&ok(&[
        "--data-dir",
        &dir.path().join("unused").display().to_string(),
        "token",
        "add",
        "--role",
        "national-editor",
        "--tokens",
        &tokens,
        "--json",
    ]))
    .expect("token json");
    let token = made["token"].as_str().expect("token").to_owned();
    let key = dir.path().join("log.key").display().to_string();
    ok(&["keygen", "--to", &key]);

    // The first server imports the bundled data into the empty log; the
    // second starts on the filled one.
    let a = Server::start(&schema.url, &["--tokens", &tokens, "--signing-key", &key]);
    let b = Server::start(&schema.url, &["--tokens", &tokens, "--signing-key", &key]);

    let first = revision_document(&write_correction(dir.path()));
    let a_to_b = publish_and_wait(&a, &b, &token, first);
    let b_to_a = publish_and_wait(&b, &a, &token, second_correction(dir.path()));
    println!("published on a, served by b after {a_to_b:?}; on b, by a after {b_to_a:?}");

    let known_between = support::instant_between_appends(&schema.url);
    for (query, variables) in queries(&known_between) {
        assert_eq!(
            answer(&a, query, variables.clone()),
            answer(&b, query, variables),
            "both servers answer {query} alike"
        );
    }
}

#[test]
fn a_server_on_a_migrated_log_answers_as_on_sqlite() {
    let Some(schema) = support::test_schema() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data").display().to_string();
    ok_on(&data, &["import"]);
    let correction = write_correction(dir.path());
    ok_on(&data, &["publish", &correction]);
    ok(&["migrate", "--from", &data, "--to", &schema.url]);
    let known_between = support::instant_between_appends(&data);

    let on_sqlite = Server::start(&data, &[]);
    let on_postgres = Server::start(&schema.url, &[]);
    for (query, variables) in queries(&known_between) {
        let expected = answer(&on_sqlite, query, variables.clone());
        assert_eq!(
            answer(&on_postgres, query, variables),
            expected,
            "the migrated log answers {query} as the original"
        );
    }
}

const CHECKPOINT: &str = "{ checkpoint { origin publicKey treeSize note } }";

/// How long a server may take to serve a checkpoint another one signed.
const CHECKPOINT_WAIT: Duration = Duration::from_secs(10);

/// Waits until `server` serves a checkpoint of at least `size` events.
fn checkpoint_of(server: &Server, size: u64) -> Value {
    let start = Instant::now();
    loop {
        let checkpoint = answer(server, CHECKPOINT, json!({}))["data"]["checkpoint"].clone();
        if checkpoint["treeSize"].as_u64().is_some_and(|n| n >= size) {
            return checkpoint;
        }
        assert!(
            start.elapsed() < CHECKPOINT_WAIT,
            "{} served no checkpoint of size {size} within {CHECKPOINT_WAIT:?}: {checkpoint}",
            server.address
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn mirror_once(mirror: &str, from: &Server) -> String {
    let url = from.grpc_url.as_deref().expect("grpc url");
    ok(&["--data-dir", mirror, "mirror", "--from", url, "--once"])
}

#[test]
fn two_servers_serve_one_log_under_one_key_and_a_foreign_key_signs_nothing() {
    let Some(schema) = support::test_schema() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let tokens = dir.path().join("tokens.json").display().to_string();
    let made: Value = serde_json::from_str(&ok(&[
        "token",
        "add",
        "--role",
        "national-editor",
        "--tokens",
        &tokens,
        "--json",
    ]))
    .expect("token json");
    let token = made["token"].as_str().expect("token").to_owned();
    let key = dir.path().join("log.key").display().to_string();
    let public = ok(&["keygen", "--to", &key]).trim().to_owned();
    let foreign = dir.path().join("foreign.key").display().to_string();
    ok(&["keygen", "--to", &foreign]);

    let grpc = ["--grpc-listen", "127.0.0.1:0"];
    let a = Server::start(
        &schema.url,
        &[&["--tokens", &tokens, "--signing-key", &key][..], &grpc].concat(),
    );
    // The key can be given as its text, as an environment variable holds it.
    let b = Server::start(
        &schema.url,
        &[
            &[
                "--tokens",
                &tokens,
                "--signing-key",
                std::fs::read_to_string(&key).expect("key").trim(),
            ][..],
            &grpc,
        ]
        .concat(),
    );
    let on_a = checkpoint_of(&a, 81);
    let on_b = checkpoint_of(&b, 81);
    assert_eq!(
        on_a["publicKey"],
        public.as_str(),
        "the log's key is the one given"
    );
    assert_eq!(on_a, on_b, "one origin, one key, one latest checkpoint");

    let mirror = dir.path().join("mirror").display().to_string();
    assert!(mirror_once(&mirror, &a).contains("verified checkpoint of size 81"));

    // A revision published on b is signed once for both; the mirror that
    // switches to b goes on from where a left it.
    let published = b.graphql(
        PUBLISH,
        json!({ "revision": revision_document(&write_correction(dir.path())) }),
        Some(&token),
    );
    assert!(published.get("errors").is_none(), "{published}");
    let size = published["data"]["publishRevisionDocument"]["lastGlobalPosition"]
        .as_u64()
        .expect("position");
    let (on_a, on_b) = (checkpoint_of(&a, size), checkpoint_of(&b, size));
    assert_eq!(on_a, on_b, "both serve the checkpoint one of them signed");
    let switched = mirror_once(&mirror, &b);
    assert!(
        switched.contains(&format!("verified checkpoint of size {size}")),
        "{switched}"
    );

    // A server with another key (and a data directory that does not exist
    // yet) serves the log read-only: it signs nothing, refuses writes, and
    // serves the log's checkpoint under the log's key.
    let new_dir = dir.path().join("new").join("data").display().to_string();
    let c = Server::start(
        &schema.url,
        &[
            "--tokens",
            &tokens,
            "--signing-key",
            &foreign,
            "--data-dir",
            &new_dir,
        ],
    );
    assert_eq!(
        checkpoint_of(&c, size),
        on_a,
        "the foreign server serves the log's checkpoint"
    );
    let refused = c.graphql(
        PUBLISH,
        json!({ "revision": second_correction(dir.path()) }),
        Some(&token),
    );
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "a read-only server refuses to publish: {refused}"
    );
    let message = refused["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("read-only") && message.contains("is not the log's key"),
        "the refusal says why: {message}"
    );
    support::refused(
        &[
            "--store",
            &schema.url,
            "--data-dir",
            &new_dir,
            "--signing-key",
            &foreign,
            "publish",
            &write_correction(dir.path()),
        ],
        "is not the log's key",
    );
    assert_eq!(
        checkpoint_of(&a, size),
        on_a,
        "nothing was signed with the foreign key"
    );
}
