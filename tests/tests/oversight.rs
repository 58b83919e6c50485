//! An oversight body's story, across every layer: real national and local
//! data in the embedded store, a national adjustment published through
//! GraphQL, compliance that changes from its effective date and only as
//! known after it, scopes of write access, and a proof that the new event
//! is in the signed log.
//!
//! (Tests that start the real `stdreg` binary live in `crates/stdreg/tests`,
//! where Cargo gives them the binary's path.)
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use api::auth::{Role, TokenFile, Tokens};
use api::{AppState, router};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use domain::ids::Jurisdiction;
use event_store::EventStore;
use registry::Registry;
use registry::import::ImportFile;
use serde_json::{Value, json};
use tower::ServiceExt;

struct World {
    _dir: tempfile::TempDir,
    registry: Arc<Registry>,
    app: axum::Router,
    national_editor: String,
    chongqing_editor: String,
    auditor: String,
}

impl World {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = store_sqlite::SqliteStore::open(dir.path().join("events.db"))
            .await
            .unwrap();
        let registry = Arc::new(
            Registry::open(Arc::new(store) as Arc<dyn EventStore>)
                .await
                .unwrap(),
        );
        let national = registry::bundled::national_revisions().unwrap();
        registry
            .import(&ImportFile::new(national), "import")
            .await
            .unwrap();
        let local = registry::bundled_local::local_revisions().unwrap();
        registry
            .import(&ImportFile::new(local), "import")
            .await
            .unwrap();

        let mut tokens = TokenFile::default();
        let now = chrono::Utc::now();
        let (national_editor, _) = tokens
            .add(Role::NationalEditor, None, Some("editor:ndrc".into()), now)
            .unwrap();
        let (chongqing_editor, _) = tokens
            .add(
                Role::LocalEditor,
                Some(Jurisdiction::parse("500000").unwrap()),
                Some("editor:chongqing".into()),
                now,
            )
            .unwrap();
        let (auditor, _) = tokens
            .add(Role::Auditor, None, Some("auditor:nao".into()), now)
            .unwrap();
        let app = router(AppState::new(
            Arc::clone(&registry),
            Tokens::from_file(&tokens),
        ));
        Self {
            _dir: dir,
            registry,
            app,
            national_editor,
            chongqing_editor,
            auditor,
        }
    }

    async fn graphql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let mut request = Request::post("/graphql")
            .header("content-type", "application/json")
            .header("accept", "application/graphql-response+json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let body = json!({ "query": query, "variables": variables }).to_string();
        let response = self
            .app
            .clone()
            .oneshot(request.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables, None).await;
        assert!(body.get("errors").is_none(), "{body}");
        body["data"].clone()
    }

    /// Finding kinds about the TV item, for Chongqing at a point.
    async fn tv_findings(&self, valid_at: &str, known_at: Option<&str>) -> Vec<String> {
        let data = self
            .data(
                "query($v: Date, $k: DateTime) { standard(jurisdiction: \"500000\") {
                    compliance(validAt: $v, knownAt: $k) { findings { kind nationalItem } } } }",
                json!({ "v": valid_at, "k": known_at }),
            )
            .await;
        data["standard"]["compliance"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["nationalItem"] == "tv-watching")
            .map(|f| f["kind"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// A future national adjustment raising the TV level from 15 to 20 channels.
fn raise_tv_level() -> Value {
    json!({
        "revision": {
            "id": "cn-2030-tv", "jurisdiction": "CN", "kind": "adjustment",
            "title": "国家基本公共服务标准 动态调整(情景测试)",
            "document_no": null, "issuers": null, "issued_on": null,
            "effective_from": "2030-01-01"
        },
        "content": {"changes": [{
            "op": "amend_item", "item": "tv-watching",
            "fields": {"service_standard": {
                "text": "提供不少于20套电视节目。",
                "levels": [{"measure": "电视节目", "comparator": "at_least", "quantity": 20, "unit": "套"}]
            }},
            "reason": "raises the number of channels"
        }]}
    })
}

const PUBLISH: &str = "mutation($r: JSON!) { publishRevisionDocument(document: $r) {
    eventCount streamVersion lastGlobalPosition recordedAt } }";

#[tokio::test]
async fn a_national_rise_makes_a_locality_fall_below_from_its_date_and_only_as_known_after() {
    let world = World::new().await;
    // Chongqing states the national 15 channels: it meets the level today.
    assert_eq!(
        world.tv_findings("2029-12-31", None).await,
        Vec::<String>::new()
    );

    // A local editor may not publish the national standard; nothing is appended.
    let head = world.registry.store().head_position().await.unwrap();
    let refused = world
        .graphql(
            PUBLISH,
            json!({ "r": raise_tv_level() }),
            Some(&world.chongqing_editor),
        )
        .await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );
    assert_eq!(world.registry.store().head_position().await.unwrap(), head);

    let before_publish = world
        .registry
        .revisions(
            &Jurisdiction::national(),
            None,
            registry::today(chrono::Utc::now()),
        )
        .unwrap()
        .last()
        .unwrap()
        .recorded_at;
    let published = world
        .graphql(
            PUBLISH,
            json!({ "r": raise_tv_level() }),
            Some(&world.national_editor),
        )
        .await;
    assert!(published.get("errors").is_none(), "{published}");
    let last_position = published["data"]["publishRevisionDocument"]["lastGlobalPosition"]
        .as_u64()
        .unwrap();

    // Pending before its date, below the national level from it.
    assert_eq!(
        world.tv_findings("2029-12-31", None).await,
        Vec::<String>::new()
    );
    assert_eq!(
        world.tv_findings("2030-01-01", None).await,
        vec!["LEVEL_BELOW"]
    );
    // As the registry stood before the adjustment was recorded, 2030 was compliant.
    let then = before_publish.to_rfc3339();
    assert_eq!(
        world.tv_findings("2030-01-01", Some(&then)).await,
        Vec::<String>::new()
    );

    // The public sees the pending revision but not who recorded it; an auditor does.
    let pending =
        "{ standard(jurisdiction: \"CN\") { pending(validAt: \"2029-12-31\") { id actor } } }";
    let public = world.data(pending, json!({})).await;
    assert_eq!(
        public["standard"]["pending"],
        json!([{"id": "cn-2030-tv", "actor": null}])
    );
    let audited = world
        .graphql(pending, json!({}), Some(&world.auditor))
        .await;
    assert_eq!(
        audited["data"]["standard"]["pending"][0]["actor"],
        "editor:ndrc"
    );

    // The new event is in the log that the Merkle tree commits to.
    let proof = world
        .data(
            "query($p: Int!) { inclusionProof(position: $p) { leafHash treeSize rootHash hashes } }",
            json!({ "p": last_position }),
        )
        .await["inclusionProof"]
        .clone();
    let tree_size = proof["treeSize"].as_u64().unwrap();
    assert_eq!(
        tree_size,
        world.registry.store().head_position().await.unwrap()
    );
    let stored = world
        .registry
        .store()
        .read_all(last_position, 1)
        .await
        .unwrap();
    let leaf = transparency::event_leaf_hash(&stored[0]);
    assert_eq!(hash(&proof["leafHash"]), leaf);
    let path: Vec<transparency::Hash> = proof["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(hash)
        .collect();
    transparency::verify_inclusion(
        &leaf,
        last_position - 1,
        tree_size,
        &path,
        &hash(&proof["rootHash"]),
    )
    .expect("the new event is included under the served root");
}

fn hash(value: &Value) -> transparency::Hash {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value.as_str().unwrap())
        .unwrap();
    bytes.try_into().unwrap()
}
