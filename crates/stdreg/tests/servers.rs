//! `stdreg serve` on PostgreSQL, as real processes: two servers on one
//! database converge, and a server on a log migrated from SQLite answers
//! the GraphQL queries exactly as a server on the SQLite original does.

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

    // The first server imports the bundled data into the empty log; the
    // second starts on the filled one.
    let a = Server::start(&schema.url, &["--tokens", &tokens]);
    let b = Server::start(&schema.url, &["--tokens", &tokens]);

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
