//! GraphQL over HTTP (with content negotiation), subscriptions over
//! WebSocket, liveness and readiness, request logs.

use std::sync::Arc;

use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType,
};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Extension, RawQuery, State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use registry::Registry;
use registry::verifiable::Checkpoints;
use serde_json::{Value, json};

use crate::answers::{AnswerKey, Answers};
use crate::auth::{Caller, Tokens};
use crate::connections::{Admission, ClientAddress, ConnectionPermit};
use crate::error::Code;
use crate::limits::{self, Limits};
use crate::observe::{Metrics, Outcome, RootFields};
use crate::schema::{ApiSchema, build_schema};
use crate::shared::Shared;

/// What the server needs: the registry, the tokens it accepts, its limits,
/// and the signed checkpoints of its log when it has a data directory.
#[derive(Debug, Clone)]
pub struct AppState {
    pub registry: Arc<Registry>,
    pub tokens: Arc<Tokens>,
    pub limits: Limits,
    /// `None`: no checkpoints are signed (`Query.checkpoint` is `null`); proofs are still served.
    pub checkpoints: Option<Arc<Checkpoints>>,
    /// The connections and subscriptions open on this state's server.
    pub(crate) admission: Arc<Admission>,
    /// What `/metrics` serves; [`crate::log_request`] counts requests into it.
    pub metrics: Arc<Metrics>,
    /// Which other origins' pages may query `/graphql` from a browser.
    pub cors: Cors,
}

/// Cross-origin reads of `/graphql` (CORS). Mutations still need a bearer
/// token, which a page of another origin has only when its user gave it one;
/// no cookie ever authorises anything, so no credentials are allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Cors {
    /// Any origin.
    #[default]
    Any,
    /// Only these origins (`https://example.org`).
    Origins(Vec<HeaderValue>),
    /// No cross-origin requests.
    Off,
}

impl Cors {
    fn layer(&self) -> Option<tower_http::cors::CorsLayer> {
        use tower_http::cors::{AllowOrigin, CorsLayer};
        let origin = match self {
            Cors::Any => AllowOrigin::any(),
            Cors::Origins(origins) => AllowOrigin::list(origins.iter().cloned()),
            Cors::Off => return None,
        };
        Some(
            CorsLayer::new()
                .allow_origin(origin)
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::CONTENT_TYPE, header::ACCEPT, header::AUTHORIZATION])
                .expose_headers([axum::http::HeaderName::from_static(
                    crate::observe::REQUEST_ID,
                )])
                .max_age(std::time::Duration::from_secs(3600)),
        )
    }
}

impl AppState {
    pub fn new(registry: Arc<Registry>, tokens: Tokens) -> Self {
        Self {
            registry,
            tokens: Arc::new(tokens),
            limits: Limits::default(),
            checkpoints: None,
            admission: Arc::new(Admission::default()),
            metrics: Arc::new(Metrics::default()),
            cors: Cors::default(),
        }
    }

    /// Serves the latest checkpoint signed by `checkpoints`.
    pub fn with_checkpoints(mut self, checkpoints: Arc<Checkpoints>) -> Self {
        self.checkpoints = Some(checkpoints);
        self
    }
}

#[derive(Clone)]
struct App {
    schema: ApiSchema,
    state: AppState,
    answers: Arc<Answers>,
}

impl App {
    fn caller(&self, headers: &HeaderMap) -> Caller {
        self.state.tokens.caller(
            headers
                .get(header::AUTHORIZATION)
                .map(|v| v.to_str().unwrap_or("")),
        )
    }
}

/// The schema over a registry, for running operations without HTTP (tests, benchmarks).
/// Requests should carry a [`Caller`] as data; without one they run as the public.
pub fn schema(state: &AppState) -> ApiSchema {
    build_schema(Arc::new(Shared::new(
        Arc::clone(&state.registry),
        state.checkpoints.clone(),
    )))
}

/// The whole GraphQL surface over HTTP. The schema is built here, once.
/// GraphiQL and the pages for people are the `site` crate's, merged beside
/// this router by the server. Served by [`crate::serve`], connections are
/// admitted and timed out as `state.limits` says; served otherwise, only the
/// limits on requests and subscriptions hold.
pub fn router(state: AppState) -> Router {
    let schema = schema(&state);
    let app = App {
        schema,
        state,
        answers: Arc::new(Answers::default()),
    };
    let graphql = get(graphql_get).post(graphql_post);
    let graphql = match app.state.cors.layer() {
        Some(cors) => graphql.layer(cors),
        None => graphql,
    };
    Router::new()
        .route("/graphql", graphql)
        .route("/graphql/ws", get(websocket))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(app)
}

/// The response media types of GraphQL over HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Media {
    GraphqlResponse,
    Json,
}

impl Media {
    fn content_type(self) -> &'static str {
        match self {
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Media::Json => "application/json; charset=utf-8",
        }
    }
}

/// Picks the response media type from `Accept`. No header or a wildcard
/// means `application/json`, which every client reads (as the GraphQL over
/// HTTP specification recommends while the newer type spreads).
fn negotiate(headers: &HeaderMap) -> Option<Media> {
    let Some(accept) = headers.get(header::ACCEPT) else {
        return Some(Media::Json);
    };
    let accept = accept.to_str().unwrap_or("");
    let mut best: Option<(f32, u8, Media)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        // Ties go to the more specific type, then to the newer media type.
        let candidate = match media.as_str() {
            "application/graphql-response+json" => (quality, 3, Media::GraphqlResponse),
            "application/json" => (quality, 2, Media::Json),
            "application/*" | "*/*" => (quality, 1, Media::Json),
            _ => continue,
        };
        if candidate.0 > 0.0 && best.is_none_or(|b| (candidate.0, candidate.1) > (b.0, b.1)) {
            best = Some(candidate);
        }
    }
    best.map(|b| b.2)
}

fn not_acceptable() -> Response {
    error_response(
        StatusCode::NOT_ACCEPTABLE,
        Media::Json,
        Code::NotAcceptable,
        "this server answers with application/graphql-response+json or application/json: put one of them in the Accept header",
    )
}

fn error_response(status: StatusCode, media: Media, code: Code, message: &str) -> Response {
    let body =
        json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] });
    json_response(status, media, &body)
}

fn json_response(status: StatusCode, media: Media, body: &Value) -> Response {
    bytes_response(
        status,
        media,
        Bytes::from(serde_json::to_vec(body).unwrap_or_default()),
    )
}

async fn graphql_get(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let request = match get_request(query.as_deref().unwrap_or("")) {
        Ok(request) => request,
        Err(e) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                media,
                Code::BadRequest,
                &format!(
                    "the query string is not a GraphQL request ({}): send query=…, and optionally operationName=… and variables=… as URL-encoded JSON",
                    domain::input::quote(&e)
                ),
            );
        }
    };
    let caller = app.caller(&headers);
    execute(&app, request, caller, media, Method::GET).await
}

/// A GraphQL request from a query string: `query`, and optionally
/// `operationName`, `variables` and `extensions` (JSON), as GraphQL over HTTP
/// names them. (async-graphql's own parser looks for `operation_name`.)
fn get_request(raw: &str) -> Result<async_graphql::Request, String> {
    let mut query = None;
    let mut operation_name = None;
    let mut variables = None;
    let mut extensions = None;
    for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
        let slot = match key.as_ref() {
            "query" => &mut query,
            "operationName" => &mut operation_name,
            "variables" => &mut variables,
            "extensions" => &mut extensions,
            _ => continue,
        };
        if slot.replace(value.into_owned()).is_some() {
            return Err(format!("`{key}` is given twice"));
        }
    }
    fn json<T: serde::de::DeserializeOwned>(
        name: &str,
        text: Option<String>,
    ) -> Result<Option<T>, String> {
        text.map(|text| serde_json::from_str(&text))
            .transpose()
            .map_err(|e| format!("`{name}` is not JSON: {e}"))
    }
    let mut request = async_graphql::Request::new(query.ok_or("`query` is missing")?);
    request.operation_name = operation_name;
    if let Some(variables) = json("variables", variables)? {
        request.variables = variables;
    }
    if let Some(extensions) = json("extensions", extensions)? {
        request.extensions = extensions;
    }
    Ok(request)
}

async fn graphql_post(State(app): State<App>, headers: HeaderMap, body: Body) -> Response {
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            Code::UnsupportedMediaType,
            &format!(
                "the body must be application/json (a JSON object with `query`, and optionally `variables` and `operationName`), not '{}'",
                domain::input::quote(content_type)
            ),
        );
    }
    let limit = app.state.limits.body_bytes_max;
    let too_large = || {
        error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            media,
            Code::PayloadTooLarge,
            &format!("the request body is larger than {limit} bytes; send a smaller request"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large();
    }
    let read_timeout = app.state.limits.body_read_timeout;
    let bytes = match tokio::time::timeout(read_timeout, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => return too_large(),
        Err(_) => {
            let mut response = error_response(
                StatusCode::REQUEST_TIMEOUT,
                media,
                Code::Timeout,
                &format!(
                    "the request body did not arrive within {} ms; send it at once",
                    read_timeout.as_millis()
                ),
            );
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
    };
    let request: async_graphql::Request = match serde_json::from_slice(&bytes) {
        Ok(request) => request,
        Err(e) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                media,
                Code::BadRequest,
                &format!(
                    "the body is not a GraphQL request ({}): send a JSON object with `query`, and optionally `variables` and `operationName`",
                    domain::input::quote(&e.to_string())
                ),
            );
        }
    };
    let caller = app.caller(&headers);
    execute(&app, request, caller, media, Method::POST).await
}

/// The operation a request runs: the only one, or the one `name` names
/// (none when the document has several and no name picks one).
fn selected_operation<'a>(
    doc: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => ops
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, op)| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| &op.node)
        }
        _ => None,
    }
}

async fn execute(
    app: &App,
    mut request: async_graphql::Request,
    caller: Caller,
    media: Media,
    method: Method,
) -> Response {
    let name = request.operation_name.clone();
    let (operation, root_fields) = match request.parsed_query() {
        Ok(doc) => {
            let selected = selected_operation(doc, name.as_deref());
            (selected.map(|op| op.ty), RootFields::of(selected))
        }
        Err(e) => {
            return error_response(
                request_error_status(media),
                media,
                Code::GraphqlParseFailed,
                &format!(
                    "the query is not valid GraphQL: {}",
                    domain::input::quote(&e.message)
                ),
            );
        }
    };
    match operation {
        Some(OperationType::Mutation) if method == Method::GET => {
            let mut response = error_response(
                StatusCode::METHOD_NOT_ALLOWED,
                media,
                Code::MethodNotAllowed,
                "mutations are not allowed over GET: send them with POST",
            );
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            return response;
        }
        Some(OperationType::Subscription) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                media,
                Code::BadRequest,
                "subscriptions run over WebSocket (graphql-transport-ws) at /graphql/ws",
            );
        }
        _ => {}
    }
    let key = (operation == Some(OperationType::Query)).then(|| AnswerKey {
        indexed_position: *app.state.registry.indexed().borrow(),
        checkpoint_note: app
            .state
            .checkpoints
            .as_ref()
            .and_then(|c| c.latest())
            .map(|c| c.note().to_owned()),
        today: registry::today(chrono::Utc::now()),
        sees_actors: caller.sees_actors(),
        media: media.content_type(),
        operation_name: name,
        query: request.query.clone(),
        variables: serde_json::to_string(&request.variables).unwrap_or_default(),
    });
    if let Some(answer) = key.as_ref().and_then(|k| app.answers.get(k)) {
        app.state.metrics.operation(&root_fields, Outcome::Ok);
        return bytes_response(StatusCode::OK, media, answer);
    }
    let request = request.data(caller);
    let timeout = app.state.limits.request_timeout;
    let response = match tokio::time::timeout(timeout, app.schema.execute(request)).await {
        Ok(response) => response,
        Err(_) => {
            app.state.metrics.operation(&root_fields, Outcome::Timeout);
            return error_response(
                StatusCode::GATEWAY_TIMEOUT,
                media,
                Code::Timeout,
                &format!(
                    "the request took longer than {} ms and was stopped; a mutation may still have been recorded: read `streamVersion` and retry with expectedVersion",
                    timeout.as_millis()
                ),
            );
        }
    };
    if response.errors.is_empty() && response.extensions.is_empty() {
        // The common answer goes straight to bytes, not through a JSON tree.
        let bytes = Bytes::from(
            serde_json::to_vec(&DataOnly {
                data: &response.data,
            })
            .unwrap_or_default(),
        );
        if let Some(key) = key {
            app.answers.put(key, bytes.clone());
        }
        app.state.metrics.operation(&root_fields, Outcome::Ok);
        return bytes_response(StatusCode::OK, media, bytes);
    }
    // A document that did not validate names fields the schema may not have:
    // only executed operations are counted.
    if !is_request_error(&response) {
        app.state.metrics.operation(&root_fields, Outcome::Errors);
    }
    render(response, media)
}

#[derive(serde::Serialize)]
struct DataOnly<'a> {
    data: &'a async_graphql::Value,
}

fn bytes_response(status: StatusCode, media: Media, bytes: Bytes) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(media.content_type()),
        )],
        bytes,
    )
        .into_response()
}

/// Serialises a response, with a code on every error. A response that failed
/// before execution (parse, validation, limits) has no `data`, and status 400
/// in `application/graphql-response+json`.
fn render(mut response: async_graphql::Response, media: Media) -> Response {
    let request_error = is_request_error(&response);
    let mut errors: Vec<Value> = Vec::with_capacity(response.errors.len());
    for error in response.errors.drain(..) {
        let mut value = serde_json::to_value(&error).unwrap_or_else(|_| json!({}));
        let has_code = value
            .pointer("/extensions/code")
            .is_some_and(|c| c.is_string());
        if !has_code {
            let code = classify(&error, request_error);
            if let Some(object) = value.as_object_mut() {
                let extensions = object.entry("extensions").or_insert_with(|| json!({}));
                if let Some(extensions) = extensions.as_object_mut() {
                    extensions.insert("code".to_owned(), json!(code.as_str()));
                }
            }
        }
        errors.push(value);
    }
    let mut body = serde_json::Map::new();
    if !request_error {
        body.insert(
            "data".to_owned(),
            serde_json::to_value(&response.data).unwrap_or(Value::Null),
        );
    }
    if !errors.is_empty() {
        body.insert("errors".to_owned(), Value::Array(errors));
    }
    if !response.extensions.is_empty() {
        body.insert(
            "extensions".to_owned(),
            serde_json::to_value(&response.extensions).unwrap_or(Value::Null),
        );
    }
    let status = if request_error {
        request_error_status(media)
    } else {
        StatusCode::OK
    };
    json_response(status, media, &Value::Object(body))
}

/// The status of a well-formed request whose document cannot run (it does
/// not parse or validate): 400 in `application/graphql-response+json`; 200
/// in `application/json`, whose older clients read errors only from a 200
/// (GraphQL over HTTP, "application/json" responses).
fn request_error_status(media: Media) -> StatusCode {
    match media {
        Media::GraphqlResponse => StatusCode::BAD_REQUEST,
        Media::Json => StatusCode::OK,
    }
}

/// Whether the response failed before execution: no data, and no error
/// raised at a path of the result.
fn is_request_error(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// A code for errors raised by the GraphQL engine itself rather than by a resolver.
fn classify(error: &async_graphql::ServerError, request_error: bool) -> Code {
    if request_error {
        match error.message.as_str() {
            "Query is nested too deep." => Code::QueryTooDeep,
            m if m.starts_with("The recursion depth of the query") => Code::QueryTooDeep,
            "Query is too complex." => Code::QueryTooComplex,
            _ => Code::GraphqlValidationFailed,
        }
    } else if error.message.starts_with("Failed to parse")
        || error.message.starts_with("Invalid value")
    {
        Code::BadUserInput
    } else {
        Code::Internal
    }
}

async fn websocket(
    State(app): State<App>,
    protocol: GraphQLProtocol,
    headers: HeaderMap,
    client: Option<Extension<ClientAddress>>,
    permit: Option<Extension<ConnectionPermit>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let mut data = Data::default();
    data.insert(app.caller(&headers));
    data.insert(client.map_or(ClientAddress::UNKNOWN, |c| c.0));
    data.insert(Arc::clone(&app.state.admission));
    data.insert(app.state.limits.clone());
    let tokens = Arc::clone(&app.state.tokens);
    let schema = app.schema.clone();
    let init_timeout = app.state.limits.connection_init_timeout;
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(limits::WS_MESSAGE_BYTES_MAX)
        .on_upgrade(move |stream| async move {
            // The socket counts as its connection until it closes.
            let _permit = permit;
            let (initialised, init) = tokio::sync::oneshot::channel::<()>();
            let serve = GraphQLWebSocket::new(stream, schema, protocol)
                .with_data(data)
                .on_connection_init(move |payload| async move {
                    let _ = initialised.send(());
                    // Browsers cannot set headers on a WebSocket: the token may come in `connection_init`.
                    let mut data = Data::default();
                    let authorization = payload
                        .get("Authorization")
                        .or_else(|| payload.get("authorization"))
                        .and_then(Value::as_str);
                    if let Some(authorization) = authorization {
                        data.insert(tokens.caller(Some(authorization)));
                    }
                    Ok(data)
                })
                .serve();
            tokio::pin!(serve);
            tokio::select! {
                () = &mut serve => return,
                init = tokio::time::timeout(init_timeout, init) => {
                    if !matches!(init, Ok(Ok(()))) {
                        tracing::info!("closed a WebSocket that sent no connection_init in time");
                        return;
                    }
                }
            }
            serve.await;
        })
}

/// The metrics, with the gauges of the registry's state read now.
async fn metrics(State(app): State<App>) -> Response {
    let metrics = &app.state.metrics;
    let indexed = *app.state.registry.indexed().borrow();
    metrics.indexed_position.set(gauge_value(indexed));
    // A store that does not answer leaves the head and the lag as last read.
    if let Ok(head) = app.state.registry.store().head_position().await {
        metrics.head_position.set(gauge_value(head));
        metrics.lag.set(gauge_value(head.saturating_sub(indexed)));
    }
    let size = app
        .state
        .checkpoints
        .as_ref()
        .and_then(|c| c.latest())
        .map_or(0, |c| c.checkpoint.size);
    metrics.checkpoint_size.set(gauge_value(size));
    let (connections, subscriptions) = app.state.admission.open();
    metrics
        .open_connections
        .set(gauge_value(connections as u64));
    metrics
        .open_subscriptions
        .set(gauge_value(subscriptions as u64));
    metrics.render()
}

fn gauge_value(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

async fn healthz() -> Response {
    json_response(StatusCode::OK, Media::Json, &json!({ "status": "alive" }))
}

/// Ready when the projections have indexed the whole log.
async fn readyz(State(app): State<App>) -> Response {
    let indexed = *app.state.registry.indexed().borrow();
    match app.state.registry.store().head_position().await {
        Ok(head) if indexed >= head => json_response(
            StatusCode::OK,
            Media::Json,
            &json!({ "status": "ready", "indexed": indexed, "head": head }),
        ),
        Ok(head) => json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            Media::Json,
            &json!({ "status": "catching up", "indexed": indexed, "head": head }),
        ),
        Err(e) => {
            tracing::error!(error = %e, "readiness: the store does not answer");
            json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                Media::Json,
                &json!({ "status": "store unavailable", "indexed": indexed }),
            )
        }
    }
}
