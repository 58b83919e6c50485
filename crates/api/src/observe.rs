//! What an operator watches: one log line per request carrying a request
//! id, and the metrics served at `GET /metrics` in the Prometheus text
//! format (OpenMetrics).
//!
//! Every label takes values from a closed set (the routes of the router,
//! HTTP methods and statuses, the root fields of the schema), so a client
//! cannot grow the series without bound.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use async_graphql::parser::types::{OperationDefinition, Selection};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tracing::Instrument;

/// The header a request id travels in, both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// The longest request id taken from a client; longer ones are replaced.
const REQUEST_ID_MAX: usize = 64;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    /// `query`, `mutation`.
    r#type: &'static str,
    /// A root field of the schema (`standard`, `publishRevision`, …).
    field: String,
    outcome: Outcome,
}

/// How a GraphQL operation ended.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Answered without errors (also from the kept answers).
    Ok,
    /// Executed, with errors in `errors` (not found, refused, conflicts, …).
    Errors,
    /// Stopped at the request time limit.
    Timeout,
}

impl prometheus_client::encoding::EncodeLabelValue for Outcome {
    fn encode(
        &self,
        encoder: &mut prometheus_client::encoding::LabelValueEncoder,
    ) -> Result<(), std::fmt::Error> {
        use std::fmt::Write;
        encoder.write_str(match self {
            Outcome::Ok => "ok",
            Outcome::Errors => "errors",
            Outcome::Timeout => "timeout",
        })
    }
}

/// The metrics of one server. Gauges of the registry's state are read when
/// scraped ([`crate::http`]'s `/metrics` handler sets them first).
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    operations: Family<OperationLabels, Counter>,
    pub(crate) indexed_position: Gauge,
    pub(crate) head_position: Gauge,
    pub(crate) lag: Gauge,
    pub(crate) checkpoint_size: Gauge,
    pub(crate) open_connections: Gauge,
    pub(crate) open_subscriptions: Gauge,
}

fn latency_histogram() -> Histogram {
    // 100 µs to ~6.5 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 17))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("stdreg");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route, method and status",
            requests.clone(),
        );
        let latency: Family<RouteLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route",
            latency.clone(),
        );
        let operations = Family::<OperationLabels, Counter>::default();
        registry.register(
            "graphql_operations",
            "GraphQL operations executed, by type, root field and outcome",
            operations.clone(),
        );
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let gauge = Gauge::default();
            registry.register(name, help, gauge.clone());
            gauge
        };
        Self {
            indexed_position: gauge(
                &mut registry,
                "indexed_position",
                "Global log position the projections have indexed",
            ),
            head_position: gauge(
                &mut registry,
                "log_head_position",
                "Global position of the last event in the store (grows with every append)",
            ),
            lag: gauge(
                &mut registry,
                "index_lag_events",
                "Events in the store not yet indexed",
            ),
            checkpoint_size: gauge(
                &mut registry,
                "checkpoint_size",
                "Size of the latest signed checkpoint of the log (0: none)",
            ),
            open_connections: gauge(&mut registry, "open_connections", "HTTP connections open"),
            open_subscriptions: gauge(
                &mut registry,
                "open_subscriptions",
                "GraphQL subscriptions running",
            ),
            registry,
            requests,
            latency,
            operations,
        }
    }
}

impl Metrics {
    /// Counts one operation once per root field it selected.
    pub(crate) fn operation(&self, operation: &RootFields, outcome: Outcome) {
        for field in &operation.fields {
            self.operations
                .get_or_create(&OperationLabels {
                    r#type: operation.kind,
                    field: field.clone(),
                    outcome,
                })
                .inc();
        }
    }

    /// The metrics in the text format.
    pub(crate) fn render(&self) -> Response {
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                ),
            )],
            text,
        )
            .into_response()
    }
}

/// The root fields an operation selected, for its metrics.
#[derive(Debug, Default)]
pub(crate) struct RootFields {
    kind: &'static str,
    fields: Vec<String>,
}

impl RootFields {
    /// The fields of the operation a request runs; only counted once the
    /// document validated, so every name is the schema's.
    pub(crate) fn of(operation: Option<&OperationDefinition>) -> Self {
        use async_graphql::parser::types::OperationType;
        let Some(operation) = operation else {
            return Self::default();
        };
        let kind = match operation.ty {
            OperationType::Query => "query",
            OperationType::Mutation => "mutation",
            OperationType::Subscription => "subscription",
        };
        let mut fields: Vec<String> = operation
            .selection_set
            .node
            .items
            .iter()
            .filter_map(|item| match &item.node {
                Selection::Field(field) => Some(field.node.name.node.to_string()),
                Selection::FragmentSpread(_) | Selection::InlineFragment(_) => None,
            })
            .collect();
        fields.sort();
        fields.dedup();
        Self { kind, fields }
    }
}

/// A method as a label: the standard ones by name, any other as `other`.
fn method_label(method: &axum::http::Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "PATCH" => "PATCH",
        _ => "other",
    }
}

/// The request's id: the client's `X-Request-Id` when it is short and
/// plain, else a new random one.
fn request_id(headers: &HeaderMap) -> String {
    let given = headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= REQUEST_ID_MAX
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        });
    match given {
        Some(id) => id.to_owned(),
        None => {
            static SEQUENCE: AtomicU64 = AtomicU64::new(0);
            let mut bytes = [0u8; 8];
            // Without randomness, a sequence number still tells requests apart in one log.
            if getrandom::fill(&mut bytes).is_err() {
                bytes = SEQUENCE.fetch_add(1, Ordering::Relaxed).to_be_bytes();
            }
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        }
    }
}

/// Wraps every request the server answers (the API and the site alike): a
/// span with its id, so every log line of the request carries it; one log
/// line when it ends; its count and duration in the metrics; the id in the
/// response's `X-Request-Id`.
pub async fn log_request(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let id = request_id(request.headers());
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    let span = tracing::info_span!("request", id = %id);
    let mut response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    span.in_scope(|| {
        tracing::info!(
            %method,
            path,
            status,
            duration_us = elapsed.as_micros() as u64,
            "request"
        );
    });
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route: route.clone(),
            method: method_label(&method).to_owned(),
            status,
        })
        .inc();
    metrics
        .latency
        .get_or_create(&RouteLabels { route })
        .observe(elapsed.as_secs_f64());
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}
