//! The API driven in-process through its router: every query, the mutation,
//! each error code and limit. The subscription runs on the schema itself.

mod answers;
mod compliance;
mod connections;
mod fuzz;
mod identity;
mod limits;
mod log_proofs;
mod mutations;
mod protocol;
mod queries;
mod schema_file;
mod subscriptions;
mod typed_writes;

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use api::auth::{Role, TokenFile, Tokens};
use api::limits::Limits;
use api::{AppState, router};
use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use domain::ids::Jurisdiction;
use event_store::{EventStore, Hooked, Hooks, StoreError, StreamId};
use registry::Registry;
use registry::import::ImportFile;
use registry::verifiable::Checkpoints;
use serde_json::{Value, json};
use tower::ServiceExt;

/// How the test store behaves on append: normally (0), or it
/// fails with a backend error that names internals (which must not leak).
const FAIL: u8 = 1;
/// Never finishes (for the request timeout).
const STALL: u8 = 2;

/// Appends run normally, or fail, or stall, as the test sets `mode`.
#[derive(Debug, Default)]
pub struct AppendMode(AtomicU8);

#[async_trait]
impl Hooks for AppendMode {
    async fn before_append(&self, _stream: &StreamId) -> Result<(), StoreError> {
        match self.0.load(Ordering::SeqCst) {
            // A backend error that names internals (which must not leak).
            FAIL => Err(StoreError::Backend {
                message: "INSERT INTO events failed: disk I/O error at /var/lib/stdreg/events.db"
                    .into(),
                source: None,
            }),
            STALL => std::future::pending().await,
            _ => Ok(()),
        }
    }
}

/// A memory store whose appends can be made to fail or stall.
pub type TestStore = Hooked<AppendMode>;

/// A registry holding the bundled national data, a router over it and one token per role.
#[allow(missing_debug_implementations)]
pub struct Harness {
    pub router: Router,
    pub state: AppState,
    pub store: Arc<TestStore>,
    pub national: String,
    pub sichuan: String,
    pub auditor: String,
}

impl Harness {
    pub async fn new() -> Self {
        Self::with_limits(Limits::default()).await
    }

    pub async fn with_limits(limits: Limits) -> Self {
        Self::build(limits, true).await
    }

    /// A harness over an empty log: nothing imported.
    pub async fn empty() -> Self {
        Self::build(Limits::default(), false).await
    }

    async fn build(limits: Limits, national: bool) -> Self {
        let store = Arc::new(TestStore::new(AppendMode::default()));
        let registry = Registry::open(store.clone() as Arc<dyn EventStore>)
            .await
            .expect("open");
        if national {
            let revisions = registry::bundled::national_revisions().expect("bundled data");
            registry
                .import(&ImportFile::new(revisions), "import")
                .await
                .expect("import");
        }
        let mut file = TokenFile::default();
        let now = chrono::Utc::now();
        let (national, _) = file
            .add(Role::NationalEditor, None, Some("editor:ndrc".into()), now)
            .expect("token");
        let (sichuan, _) = file
            .add(
                Role::LocalEditor,
                Some(Jurisdiction::parse("510000").expect("code")),
                Some("editor:sichuan".into()),
                now,
            )
            .expect("token");
        let (auditor, _) = file
            .add(Role::Auditor, None, Some("auditor:nao".into()), now)
            .expect("token");
        let mut state = AppState::new(Arc::new(registry), Tokens::from_file(&file));
        state.limits = limits;
        Self {
            router: router(state.clone()),
            state,
            store,
            national,
            sichuan,
            auditor,
        }
    }

    /// The same registry served with the checkpoints signed in a data directory.
    pub fn with_checkpoints(mut self, checkpoints: Arc<Checkpoints>) -> Self {
        self.state = self.state.with_checkpoints(checkpoints);
        self.router = router(self.state.clone());
        self
    }

    /// The same tokens over a copy of the log without its sealed bytes, as
    /// an anonymous mirror holds it: nobody's actors are known there.
    pub async fn anonymous_copy(mut self) -> Self {
        let mut events = Vec::new();
        loop {
            let page = self
                .store
                .read_all(events.len() as u64 + 1, event_store::READ_PAGE_MAX)
                .await
                .expect("read the log");
            if page.is_empty() {
                break;
            }
            events.extend(
                page.into_iter()
                    .map(|e| event_store::StoredEvent { sealed: None, ..e }),
            );
        }
        let store = Arc::new(TestStore::new(AppendMode::default()));
        store.import_stored(events).await.expect("import the copy");
        let registry = Registry::open(store.clone() as Arc<dyn EventStore>)
            .await
            .expect("open the copy");
        let mut state = AppState::new(Arc::new(registry), Tokens::none());
        state.tokens = Arc::clone(&self.state.tokens);
        self.state = state;
        self.store = store;
        self.router = router(self.state.clone());
        self
    }

    /// The same registry served with other tokens.
    pub fn serving(mut self, tokens: Tokens) -> Self {
        self.state.tokens = Arc::new(tokens);
        self.router = router(self.state.clone());
        self
    }

    pub fn fail_appends(&self) {
        self.store.hooks.0.store(FAIL, Ordering::SeqCst);
    }

    pub fn stall_appends(&self) {
        self.store.hooks.0.store(STALL, Ordering::SeqCst);
    }

    /// Sends a request; returns status, headers and the JSON body.
    pub async fn send(&self, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, headers, body)
    }

    /// POSTs a GraphQL request as JSON, with an optional bearer token.
    pub async fn post(
        &self,
        query: &str,
        variables: Value,
        token: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut request = Request::post("/graphql")
            .header("content-type", "application/json")
            .header("accept", "application/graphql-response+json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let body = json!({ "query": query, "variables": variables }).to_string();
        let (status, _, body) = self
            .send(request.body(Body::from(body)).expect("request"))
            .await;
        (status, body)
    }

    /// POSTs a query that must succeed without errors; returns `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let (status, body) = self.post(query, variables, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    pub async fn indexed(&self) -> u64 {
        let data = self.data("{ indexedPosition }", json!({})).await;
        data["indexedPosition"].as_u64().expect("position")
    }
}

/// The code of the first error of a response.
pub fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {body}"))
}

/// A correction of the 2021 edition, effective 2022-01-01, amending one item's service standard.
pub fn correction(id: &str, text: &str) -> Value {
    json!({
        "revision": {
            "id": id,
            "jurisdiction": "CN",
            "kind": "correction",
            "title": "关于更正《国家基本公共服务标准(2021年版)》的说明",
            "document_no": null,
            "issuers": null,
            "issued_on": null,
            "effective_from": "2022-01-01",
            "target": "cn-2021"
        },
        "content": { "changes": [{
            "op": "amend_item",
            "item": "veteran-resettlement",
            "fields": { "service_standard": { "text": text } },
            "reason": "corrects the printed text"
        }]}
    })
}

pub const PUBLISH: &str = "mutation($r: JSON!, $v: Int) { publishRevisionDocument(document: $r, expectedVersion: $v) { revision { id kind recordedAt actor } jurisdiction eventCount streamVersion lastGlobalPosition recordedAt events { type revisionId actor } } }";
