//! What an operator of `stdreg serve` relies on: `/metrics` in the
//! Prometheus text format, a request id on every answer and log line, JSON
//! logs, and cross-origin reads of `/graphql`.

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use support::{Scratch, Server, header, http_get, http_request};

/// An OPTIONS request as a browser sends it before a cross-origin POST.
fn preflight(address: &str, origin: &str) -> (u16, Vec<(String, String)>) {
    let (status, headers, _) = http_request(
        address,
        "OPTIONS",
        "/graphql",
        &[
            ("Origin", origin),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type"),
        ],
    );
    (status, headers)
}

/// One sample line: metric name, labels, value.
#[derive(Debug)]
struct Sample {
    metric: String,
    labels: Vec<(String, String)>,
    value: f64,
}

/// Reads the text format strictly (OpenMetrics 1.0 / Prometheus 0.0.4):
/// every line is `# HELP`, `# TYPE`, `# UNIT`, the final `# EOF`, or a
/// sample `name{label="value",…} value` with `\\`, `\"` and `\n` escaped in
/// label values. Anything else fails the test.
fn parse_metrics(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(comment) = line.strip_prefix("# ") {
            let kind = comment.split(' ').next().unwrap_or_default();
            assert!(["HELP", "TYPE", "UNIT", "EOF"].contains(&kind), "{line}");
            if kind == "EOF" {
                assert!(lines.peek().is_none(), "lines after # EOF");
            }
            continue;
        }
        let name_end = line
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(line.len());
        let (metric, rest) = line.split_at(name_end);
        assert!(
            metric.starts_with("stdreg_") && !metric.is_empty(),
            "{line}"
        );
        let (labels, rest) = match rest.strip_prefix('{') {
            Some(inner) => parse_labels(line, inner),
            None => (Vec::new(), rest),
        };
        let value = rest.strip_prefix(' ').expect("a space before the value");
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            "NaN" => f64::NAN,
            v => v.parse().unwrap_or_else(|_| panic!("not a number: {line}")),
        };
        samples.push(Sample {
            metric: metric.to_owned(),
            labels,
            value,
        });
    }
    assert_eq!(text.lines().last(), Some("# EOF"));
    samples
}

/// The labels after a sample's `{`, and what follows their `}`.
fn parse_labels<'a>(line: &str, mut rest: &'a str) -> (Vec<(String, String)>, &'a str) {
    let mut labels = Vec::new();
    loop {
        if let Some(after) = rest.strip_prefix('}') {
            return (labels, after);
        }
        let (name, quoted) = rest
            .split_once("=\"")
            .unwrap_or_else(|| panic!("label=\"…\": {line}"));
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{line}"
        );
        let mut value = String::new();
        let mut chars = quoted.char_indices();
        let end = loop {
            match chars.next() {
                Some((i, '"')) => break i,
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c @ ('\\' | '"'))) => value.push(c),
                    other => panic!("bad escape {other:?}: {line}"),
                },
                Some((_, c)) => value.push(c),
                None => panic!("no closing quote: {line}"),
            }
        };
        labels.push((name.to_owned(), value));
        rest = &quoted[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

/// The value of the one sample of `metric` whose labels include `labels`.
fn sample(samples: &[Sample], metric: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<&Sample> = samples
        .iter()
        .filter(|s| {
            s.metric == metric
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.iter().any(|(n, w)| n == k && w == v))
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{metric} {labels:?}: {:?}",
        samples
            .iter()
            .filter(|s| s.metric == metric)
            .collect::<Vec<_>>()
    );
    found[0].value
}

#[test]
fn metrics_count_requests_operations_and_the_index() {
    let scratch = Scratch::imported();
    let data = scratch.data().display().to_string();
    let server = Server::start(&data, &[]);
    let answer = server.graphql("{ standards { jurisdiction } }", json!({}), None);
    assert!(answer["errors"].is_null(), "{answer}");
    let (status, _, _) = http_get(&server.address, "/CN/2022-06-01", &[]);
    assert_eq!(status, 200);
    let missing = server.graphql(
        r#"{ standard(jurisdiction: "110000") { jurisdiction } }"#,
        json!({}),
        None,
    );
    assert!(!missing["errors"].is_null(), "{missing}");

    let (status, headers, body) = http_get(&server.address, "/metrics", &[]);
    assert_eq!(status, 200);
    assert!(
        header(&headers, "content-type")
            .is_some_and(|t| t.starts_with("application/openmetrics-text")),
        "{headers:?}"
    );
    let text = String::from_utf8(body).expect("utf-8");
    let scrape = parse_metrics(&text);

    // Requests by route (the route's pattern, not the path asked for), method and status.
    let requests = "stdreg_http_requests_total";
    assert_eq!(
        sample(
            &scrape,
            requests,
            &[("route", "/graphql"), ("method", "POST"), ("status", "200")]
        ),
        2.0
    );
    assert_eq!(
        sample(
            &scrape,
            requests,
            &[
                ("route", "/{jurisdiction}/{date}"),
                ("method", "GET"),
                ("status", "200")
            ]
        ),
        1.0,
        "{text}"
    );
    // Operations by root field and outcome.
    let operations = "stdreg_graphql_operations_total";
    assert_eq!(
        sample(
            &scrape,
            operations,
            &[("type", "query"), ("field", "standards"), ("outcome", "ok")]
        ),
        1.0
    );
    assert_eq!(
        sample(
            &scrape,
            operations,
            &[
                ("type", "query"),
                ("field", "standard"),
                ("outcome", "errors")
            ]
        ),
        1.0
    );
    // A latency histogram per route.
    assert!(
        sample(
            &scrape,
            "stdreg_http_request_duration_seconds_count",
            &[("route", "/graphql")]
        ) >= 2.0,
        "{text}"
    );
    assert_eq!(
        sample(
            &scrape,
            "stdreg_http_request_duration_seconds_bucket",
            &[("route", "/graphql"), ("le", "+Inf")]
        ),
        sample(
            &scrape,
            "stdreg_http_request_duration_seconds_count",
            &[("route", "/graphql")]
        ),
    );
    // The index has caught up with the store; a checkpoint is signed over it.
    let head = sample(&scrape, "stdreg_log_head_position", &[]);
    assert!(head > 0.0);
    assert_eq!(sample(&scrape, "stdreg_indexed_position", &[]), head);
    assert_eq!(sample(&scrape, "stdreg_index_lag_events", &[]), 0.0);
    assert_eq!(sample(&scrape, "stdreg_open_subscriptions", &[]), 0.0);
    assert!(sample(&scrape, "stdreg_open_connections", &[]) >= 1.0);
}

#[test]
fn every_answer_carries_a_request_id() {
    let scratch = Scratch::imported();
    let data = scratch.data().display().to_string();
    let server = Server::start(&data, &[]);
    let mut seen = Vec::new();
    for path in [
        "/",
        "/CN/2022-06-01",
        "/graphql?query=%7BindexedPosition%7D",
        "/no-such-page",
    ] {
        let (_, headers, _) = http_get(&server.address, path, &[]);
        let id = header(&headers, "x-request-id")
            .expect("x-request-id")
            .to_owned();
        assert!(!id.is_empty() && !seen.contains(&id), "{path}: {id}");
        seen.push(id);
    }
    // A plain id from the client is kept (a proxy's id joins its logs with ours).
    let (_, headers, _) = http_get(&server.address, "/", &[("X-Request-Id", "lb-7f3a.12")]);
    assert_eq!(header(&headers, "x-request-id"), Some("lb-7f3a.12"));
    // Anything else is replaced.
    let long = "a".repeat(65);
    for given in ["two words", long.as_str()] {
        let (_, headers, _) = http_get(&server.address, "/", &[("X-Request-Id", given)]);
        let id = header(&headers, "x-request-id").expect("x-request-id");
        assert_ne!(id, given);
    }
}

#[test]
fn json_logs_carry_the_request_id() {
    let scratch = Scratch::imported();
    let mut child = Command::new(env!("CARGO_BIN_EXE_stdreg"))
        .args(["--data-dir"])
        .arg(scratch.data())
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .env_remove("STDREG_STORE")
        .env_remove("STDREG_DATA_DIR")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start stdreg serve");
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let address = stdout
        .lines()
        .map_while(Result::ok)
        .find_map(|l| l.split("serving on http://").nth(1).map(str::to_owned))
        .expect("the address line");
    let (_, _, _) = http_get(&address, "/CN", &[("X-Request-Id", "trace-42")]);
    let _ = child.kill();
    let stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let lines: Vec<Value> = stderr
        .lines()
        .map_while(Result::ok)
        .map(|l| serde_json::from_str(&l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let _ = child.wait();
    let request = lines
        .iter()
        .find(|l| l["fields"]["message"] == "request" && l["span"]["id"] == "trace-42")
        .unwrap_or_else(|| panic!("no request line with its id: {lines:?}"));
    assert_eq!(request["fields"]["path"], "/CN");
    assert!(request["fields"]["status"].is_u64(), "{request}");
}

#[test]
fn browsers_of_other_origins_may_query() {
    let scratch = Scratch::imported();
    let data = scratch.data().display().to_string();
    // By default any origin may read; no credentials (cookies) are ever allowed.
    let server = Server::start(&data, &[]);
    let (status, headers) = preflight(&server.address, "https://elsewhere.example");
    assert!(status == 200 || status == 204, "{status}");
    assert_eq!(header(&headers, "access-control-allow-origin"), Some("*"));
    assert!(header(&headers, "access-control-allow-methods").is_some_and(|m| m.contains("POST")));
    assert_eq!(header(&headers, "access-control-allow-credentials"), None);
    let (_, headers, _) = http_get(
        &server.address,
        "/graphql?query=%7BindexedPosition%7D",
        &[("Origin", "https://elsewhere.example")],
    );
    assert_eq!(header(&headers, "access-control-allow-origin"), Some("*"));
    // The site's pages are not an API: no CORS headers there.
    let (_, headers, _) = http_get(
        &server.address,
        "/CN",
        &[("Origin", "https://elsewhere.example")],
    );
    assert_eq!(header(&headers, "access-control-allow-origin"), None);
    drop(server);

    // A list of origins: those only.
    let server = Server::start(
        &data,
        &[
            "--cors-origins",
            "https://portal.example,http://localhost:3000",
        ],
    );
    let (_, headers) = preflight(&server.address, "https://portal.example");
    assert_eq!(
        header(&headers, "access-control-allow-origin"),
        Some("https://portal.example")
    );
    let (_, headers) = preflight(&server.address, "https://elsewhere.example");
    assert_eq!(header(&headers, "access-control-allow-origin"), None);
    drop(server);

    // A mistake in the list stops the server with a message naming it.
    let out = Command::new(env!("CARGO_BIN_EXE_stdreg"))
        .arg("--data-dir")
        .arg(scratch.data())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--cors-origins",
            "portal.example/*",
        ])
        .env_remove("STDREG_STORE")
        .env_remove("STDREG_DATA_DIR")
        .output()
        .expect("run stdreg serve");
    assert_eq!(out.status.code(), Some(1));
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(
        message.contains("'portal.example/*' is not an origin"),
        "{message}"
    );
}

/// The audit of the graphql-http package (the GraphQL over HTTP
/// specification's reference implementation), run with Node.js against the
/// real server: every MUST and SHOULD passes; only MAYs may be noted.
/// Needs `npm ci` in `.ci/browser` (as the browser tests do); without it the
/// test skips, unless `STDREG_REQUIRE_BROWSER=1`.
#[test]
fn the_graphql_over_http_audit_passes() {
    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci/browser");
    let node = Command::new("node").arg("--version").output();
    let missing = if node.is_err() {
        Some("node is not installed".to_owned())
    } else if !tools.join("node_modules/graphql-http").is_dir() {
        Some(format!(
            "graphql-http is not installed in {} (run `npm ci` there)",
            tools.display()
        ))
    } else {
        None
    };
    if let Some(reason) = missing {
        assert!(
            std::env::var("STDREG_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "STDREG_REQUIRE_BROWSER=1 but {reason}"
        );
        eprintln!("skipping the GraphQL over HTTP audit: {reason}");
        return;
    }
    let scratch = Scratch::imported();
    let data = scratch.data().display().to_string();
    let server = Server::start(&data, &[]);
    let script = r#"
import { serverAudits } from "graphql-http";
const results = [];
for (const audit of serverAudits({ url: process.env.AUDIT_URL })) {
  const result = await audit.fn();
  results.push({ id: audit.id, name: audit.name, status: result.status, reason: result.reason });
}
console.log(JSON.stringify(results));
"#;
    let out = Command::new("node")
        .args(["--input-type=module", "-e", script])
        .current_dir(&tools)
        .env("AUDIT_URL", format!("http://{}/graphql", server.address))
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).expect("the audit's JSON");
    assert!(results.len() >= 50, "only {} audits ran", results.len());
    let failed: Vec<&Value> = results
        .iter()
        .filter(|r| !matches!(r["status"].as_str(), Some("ok" | "notice")))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
}

/// A server started on an empty data directory imports the bundled data and
/// signs a checkpoint of it before it prints its address: the first client
/// (a mirror, say) never meets a log without one.
#[test]
fn a_new_server_has_signed_its_log_before_it_answers() {
    let server = Server::start(&support::scratch_dir(), &[]);
    let answer = server.graphql(
        "{ indexedPosition checkpoint { treeSize } }",
        json!({}),
        None,
    );
    let indexed = answer["data"]["indexedPosition"].as_u64().expect("indexed");
    assert!(indexed > 0, "{answer}");
    assert_eq!(
        answer["data"]["checkpoint"]["treeSize"].as_u64(),
        Some(indexed),
        "{answer}"
    );
}
