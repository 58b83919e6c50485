//! The attack campaign of issue 15 against `stdreg serve`, kept as tests of
//! the real binary on loopback: abusive requests answered with clear codes
//! while the server keeps answering, the matrix of tokens and jurisdictions,
//! and connections that idle, trickle or never initialise closed by the
//! server's own timeouts. Every loop is bounded.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod support;

use support::{Server, scratch_dir};

/// Longest the server may take to close what its timeouts cover (the
/// defaults: 5 s idle, 10 s for headers and for `connection_init`).
const CLOSED_WITHIN: Duration = Duration::from_secs(20);

/// Largest answer to any abusive request: errors quote bounded input.
const ANSWER_BYTES_MAX: usize = 8 * 1024;

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

/// How a publish in the matrix ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Recorded,
    /// The token may write there; the domain refuses the content.
    Allowed,
    Unauthenticated,
    Forbidden,
}

/// Sends raw bytes as one request and returns the status line and the body.
fn raw(address: &str, request: &[u8]) -> (String, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    // A server refusing early may close before taking everything.
    let _ = stream.write_all(request);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (
        head.lines().next().unwrap_or("").to_owned(),
        body.to_owned(),
    )
}

/// POSTs `body`, declaring `declared` bytes (the body's length when `None`).
fn post_bytes(
    address: &str,
    content_type: &str,
    body: &[u8],
    declared: Option<usize>,
) -> (String, String) {
    let mut request = format!(
        "POST /graphql HTTP/1.0\r\nHost: {address}\r\nContent-Type: {content_type}\r\nAccept: application/json\r\nContent-Length: {}\r\n\r\n",
        declared.unwrap_or(body.len())
    )
    .into_bytes();
    request.extend_from_slice(body);
    raw(address, &request)
}

fn healthy(server: &Server) {
    let (status, _) = raw(
        &server.address,
        format!("GET /healthz HTTP/1.0\r\nHost: {}\r\n\r\n", server.address).as_bytes(),
    );
    assert!(
        status.contains(" 200 "),
        "the server stopped answering: {status}"
    );
}

/// One abusive request: case, content type, body, declared length (the
/// body's when `None`), status, and text the answer holds.
type Abuse = (
    &'static str,
    String,
    Vec<u8>,
    Option<usize>,
    &'static str,
    &'static str,
);

#[test]
fn abusive_requests_get_clear_codes_and_the_server_keeps_answering() {
    let server = Server::start(&scratch_dir(), &[]);
    let huge = "9".repeat(1024 * 1024);
    let edition = "query($j: String!, $v: Date) { standard(jurisdiction: $j) { edition(validAt: $v) { itemCount } } }";
    let deep = (0..40).fold("id".to_owned(), |inner, _| {
        format!("category {{ items {{ {inner} }} }}")
    });
    let aliases: String = (0..5_000)
        .map(|i| format!("a{i}: indexedPosition "))
        .collect();
    let batch = serde_json::to_vec(&vec![json!({"query": "{ indexedPosition }"}); 1_000]).unwrap();
    let cases: Vec<Abuse> = vec![
        (
            "a 1 MB jurisdiction",
            "application/json".into(),
            serde_json::to_vec(&json!({"query": edition, "variables": {"j": huge}})).unwrap(),
            None,
            "200",
            "BAD_USER_INPUT",
        ),
        (
            "a signed year",
            "application/json".into(),
            serde_json::to_vec(&json!({"query": edition, "variables": {"j": "CN", "v": "+262142-12-31"}})).unwrap(),
            None,
            "",
            "YYYY-MM-DD",
        ),
        (
            "an unpadded date",
            "application/json".into(),
            serde_json::to_vec(&json!({"query": edition, "variables": {"j": "CN", "v": "2023-2-3"}})).unwrap(),
            None,
            "",
            "YYYY-MM-DD",
        ),
        (
            "a 10 MB body",
            "application/json".into(),
            vec![b' '; 1024],
            Some(10 * 1024 * 1024),
            "413",
            "PAYLOAD_TOO_LARGE",
        ),
        (
            "a depth bomb",
            "application/json".into(),
            serde_json::to_vec(&json!({"query": format!("{{ standard(jurisdiction: \"CN\") {{ edition {{ items {{ {deep} }} }} }} }}")})).unwrap(),
            None,
            // A document that cannot run: 200 with errors in application/json.
            "200",
            "GRAPHQL_PARSE_FAILED",
        ),
        (
            "an alias bomb",
            "application/json".into(),
            serde_json::to_vec(&json!({"query": format!("{{ {aliases} }}")})).unwrap(),
            None,
            // A document that cannot run: 200 with errors in application/json.
            "200",
            "QUERY_TOO_COMPLEX",
        ),
        (
            "a batch of 1,000 queries",
            "application/json".into(),
            batch,
            None,
            "400",
            "BAD_REQUEST",
        ),
        (
            "malformed UTF-8",
            "application/json".into(),
            b"{\"query\": \"{ indexedPosition \xff\xfe }\"}".to_vec(),
            None,
            "400",
            "BAD_REQUEST",
        ),
        (
            "a wrong media type",
            "text/plain".into(),
            b"{\"query\": \"{ indexedPosition }\"}".to_vec(),
            None,
            "415",
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "a 100 KB media type",
            "x".repeat(100 * 1024),
            b"{}".to_vec(),
            None,
            "415",
            "UNSUPPORTED_MEDIA_TYPE",
        ),
    ];
    for (name, content_type, body, declared, status, needle) in cases {
        let (status_line, answer) = post_bytes(&server.address, &content_type, &body, declared);
        assert!(status_line.contains(status), "{name}: {status_line}");
        assert!(
            answer.len() <= ANSWER_BYTES_MAX,
            "{name}: an answer of {} bytes",
            answer.len()
        );
        assert!(answer.contains(needle), "{name}: {answer}");
        healthy(&server);
    }
}

/// Publishing through every kind of token into every kind of jurisdiction:
/// only the scope a token names is writable, and a refused mutation appends nothing.
#[test]
fn only_a_token_scope_is_writable() {
    let dir = scratch_dir();
    let tokens = format!("{dir}/tokens.json");
    let token = |flags: &[&str]| -> String {
        let mut args = vec!["token", "add", "--tokens", &tokens, "--json"];
        args.extend(flags);
        let out = support::ok(&args);
        serde_json::from_str::<Value>(&out).unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let national = token(&["--role", "national-editor"]);
    let sichuan = token(&["--role", "local-editor", "--jurisdiction", "510000"]);
    let chengdu = token(&["--role", "local-editor", "--jurisdiction", "510100"]);
    let auditor = token(&["--role", "auditor"]);
    let server = Server::start(&format!("{dir}/data"), &["--tokens", &tokens]);
    let publish = "mutation($r: JSON!) { publishRevisionDocument(document: $r) { eventCount } }";
    let head = |server: &Server| -> u64 {
        server.graphql("{ indexedPosition }", json!({}), None)["data"]["indexedPosition"]
            .as_u64()
            .unwrap()
    };
    // A correction for each jurisdiction; the local ones target nothing
    // recorded, so where they are allowed the domain rejects them.
    let revision = |n: usize, jurisdiction: &str| {
        let target = if jurisdiction == "CN" {
            "cn-2021"
        } else {
            "none-yet"
        };
        json!({
            "revision": {
                "id": format!("matrix-{n}"), "jurisdiction": jurisdiction, "kind": "correction",
                "title": "更正", "document_no": null, "issuers": null, "issued_on": null,
                "effective_from": "2021-04-20", "target": target
            },
            "content": {"changes": [{
                "op": "amend_item", "item": "veteran-resettlement",
                "fields": {"service_standard": {"text": format!("第{n}次")}}
            }]}
        })
    };
    let none: Option<&str> = None;
    let bogus = "stdreg_0000000000000000000000000000000000000000000";
    use Outcome::*;
    let matrix: Vec<(Option<&str>, &str, Outcome)> = vec![
        (none, "CN", Unauthenticated),
        (Some(bogus), "CN", Unauthenticated),
        (Some(&auditor), "CN", Forbidden),
        (Some(&auditor), "510000", Forbidden),
        (Some(&sichuan), "CN", Forbidden),
        (Some(&sichuan), "110000", Forbidden),
        (Some(&sichuan), "510000", Allowed),
        (Some(&sichuan), "510104", Allowed),
        (Some(&chengdu), "510000", Forbidden),
        (Some(&chengdu), "510300", Forbidden),
        (Some(&chengdu), "510182", Allowed),
        (Some(&chengdu), "510104", Allowed),
        (Some(&national), "510000", Forbidden),
        (Some(&national), "CN", Recorded),
    ];
    for (n, (token, jurisdiction, expected)) in matrix.into_iter().enumerate() {
        let before = head(&server);
        let answer = server.graphql(publish, json!({"r": revision(n, jurisdiction)}), token);
        let outcome = match code(&answer) {
            "" => Recorded,
            "UNAUTHENTICATED" => Unauthenticated,
            "FORBIDDEN" => Forbidden,
            _ => Allowed,
        };
        assert_eq!(outcome, expected, "case {n} ({jurisdiction}): {answer}");
        if outcome == Recorded {
            assert!(head(&server) > before, "case {n}: nothing was recorded");
        } else {
            assert_eq!(
                head(&server),
                before,
                "case {n}: a refused publish appended"
            );
        }
    }
}

/// Connections that never send, trickle headers, stop mid-body or open a
/// WebSocket without `connection_init` are all closed by the server.
#[test]
fn idle_slow_and_silent_connections_are_closed() {
    let server = Server::start(&scratch_dir(), &[]);
    let started = Instant::now();
    let mut open = Vec::new();
    for n in 0..30 {
        let mut stream = TcpStream::connect(&server.address).unwrap();
        match n % 3 {
            0 => {}
            1 => stream.write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\nX-Slow: ").unwrap(),
            _ => stream
                .write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
                .unwrap(),
        }
        open.push(stream);
    }
    for _ in 0..20 {
        let mut stream = TcpStream::connect(&server.address).unwrap();
        let request = format!(
            "GET /graphql/ws HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n",
            server.address
        );
        stream.write_all(request.as_bytes()).unwrap();
        open.push(stream);
    }
    for (n, mut stream) in open.into_iter().enumerate() {
        let left = CLOSED_WITHIN
            .saturating_sub(started.elapsed())
            .max(Duration::from_millis(1));
        stream.set_read_timeout(Some(left)).unwrap();
        let mut sink = Vec::new();
        match stream.read_to_end(&mut sink) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            Err(e) => panic!(
                "connection {n} stayed open for {:?}: {e}",
                started.elapsed()
            ),
        }
    }
    healthy(&server);
}
