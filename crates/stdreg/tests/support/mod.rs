//! Running the real binary against stores of every backend, and a fresh
//! PostgreSQL schema per test.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

/// Runs `stdreg` with `args` and nothing from the caller's environment that
/// would pick a store.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stdreg"))
        .args(args)
        .env_remove("STDREG_STORE")
        .env_remove("STDREG_DATA_DIR")
        .output()
        .expect("run stdreg")
}

/// Runs `stdreg` and returns its stdout, failing the test on a non-zero exit.
pub fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "stdreg {args:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// A temporary folder with the data directory of one registry in it, and
/// `stdreg` run on that data directory from that folder.
#[derive(Debug)]
pub struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// A registry with the bundled national data imported.
    pub fn imported() -> Self {
        let scratch = Self::new();
        scratch.ok(&["import"]);
        scratch
    }

    pub fn data(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    /// A file of the scratch folder (not of the data directory).
    pub fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_stdreg"))
            .args(args)
            .env_remove("STDREG_STORE")
            .env_remove("STDREG_SIGNING_KEY")
            .env("STDREG_DATA_DIR", self.data())
            .current_dir(self.dir.path())
            .output()
            .expect("run stdreg")
    }

    /// Stdout of a command that must succeed.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "stdreg {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    /// The `--json` output of a command that must succeed.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut args = args.to_vec();
        args.push("--json");
        serde_json::from_str(&self.ok(&args)).expect("json output")
    }

    /// The message of a command that must fail as a user error (exit 1, no panic).
    pub fn user_error(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(1),
            "stdreg {args:?} should fail with exit 1; stdout {} stderr {stderr}",
            String::from_utf8_lossy(&out.stdout),
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        stderr
    }
}

/// Runs `stdreg` expecting a user error (exit 1) whose message contains `needle`.
pub fn refused(args: &[&str], needle: &str) {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stdreg {args:?}: {stderr}");
    assert!(stderr.contains(needle), "stdreg {args:?}: {stderr}");
}

/// `--store …` or `--data-dir …` for one store. A shared store still gets a
/// data directory of its own for the process's local files, never the
/// default one in the working directory; it is removed when the returned
/// guard drops.
pub fn store_args(store: &str) -> (Vec<String>, Option<tempfile::TempDir>) {
    if store.contains("://") {
        let scratch = tempfile::tempdir().expect("create a scratch data directory");
        let args = vec![
            "--store".into(),
            store.into(),
            "--data-dir".into(),
            scratch.path().display().to_string(),
        ];
        (args, Some(scratch))
    } else {
        (vec!["--data-dir".into(), store.into()], None)
    }
}

/// A new, empty folder under the system's temporary directory, one per call.
pub fn scratch_dir() -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("stdreg-test-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    dir.display().to_string()
}

pub fn ok_on(store: &str, args: &[&str]) -> String {
    let (mut all, _scratch) = store_args(store);
    all.extend(args.iter().map(|a| (*a).to_owned()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    ok(&all)
}

/// A correction of the bundled 2021 revision, so that the log holds more
/// than one append and record time matters.
pub fn write_correction(dir: &Path) -> String {
    let path = dir.join("correction.json");
    let text = serde_json::json!({
        "format": "stdreg.revisions/1",
        "revisions": [{
            "revision": {
                "id": "cn-2021-corr-1",
                "jurisdiction": "CN",
                "kind": "correction",
                "title": "关于更正《国家基本公共服务标准(2021年版)》的说明",
                "document_no": null,
                "issuers": null,
                "issued_on": null,
                "effective_from": "2021-03-30",
                "target": "cn-2021"
            },
            "content": {"changes": [{
                "op": "amend_item",
                "item": "veteran-resettlement",
                "fields": {"service_standard": {"text": "按规定落实退役军人安置政策"}},
                "reason": "corrects the printed text"
            }]}
        }]
    });
    std::fs::write(&path, text.to_string()).expect("write correction");
    path.display().to_string()
}

/// The questions whose answers must not depend on the backend.
pub fn queries(known_between: &str) -> Vec<Vec<String>> {
    let earlier_point = format!("2022-06-01@{known_between}");
    let table: Vec<Vec<&str>> = vec![
        vec!["edition", "CN", "--valid-at", "2021-12-31"],
        vec!["edition", "CN", "--valid-at", "2022-06-01"],
        vec!["edition", "CN", "--valid-at", "2024-01-01"],
        vec![
            "edition",
            "CN",
            "--valid-at",
            "2022-06-01",
            "--known-at",
            known_between,
        ],
        vec!["versions", "CN"],
        vec!["versions", "CN", "--known-at", known_between],
        vec!["revisions", "CN"],
        vec!["history", "veteran-resettlement"],
        vec!["history", "radio-listening"],
        vec![
            "history",
            "veteran-resettlement",
            "--known-at",
            known_between,
        ],
        vec!["diff", "CN", "--from", "2022-01-01", "--to", "2024-01-01"],
        vec!["diff", "CN", "--from", &earlier_point, "--to", "2022-06-01"],
        vec!["log", "--from", "1", "--limit", "1000"],
    ];
    table
        .into_iter()
        .map(|q| {
            let mut q: Vec<String> = q.into_iter().map(str::to_owned).collect();
            q.push("--json".into());
            q
        })
        .collect()
}

/// Record time after the import and before the correction, read from the log.
pub fn instant_between_appends(store: &str) -> String {
    let log: serde_json::Value =
        serde_json::from_str(&ok_on(store, &["log", "--limit", "1000", "--json"]))
            .expect("log json");
    let times: Vec<String> = log
        .as_array()
        .expect("log is a list")
        .iter()
        .map(|e| e["recorded_at"].as_str().expect("recorded_at").to_owned())
        .collect();
    let last = times.last().expect("log not empty");
    times
        .iter()
        .rev()
        .find(|t| *t != last)
        .expect("the log holds two appends")
        .clone()
}

/// Asks every query of `queries` on both stores and compares the answers.
pub fn assert_same_answers(left: &str, right: &str, queries: &[Vec<String>]) {
    for query in queries {
        let args: Vec<&str> = query.iter().map(String::as_str).collect();
        let a = ok_on(left, &args);
        let b = ok_on(right, &args);
        assert!(!a.trim().is_empty(), "{query:?} answered nothing");
        assert_eq!(a, b, "{query:?} answers differ");
    }
}

pub use store_postgres::testing::TestSchema;

/// A schema of its own in the test database, for tests that are not async;
/// `None` (after printing why) when no test database is configured.
pub fn test_schema() -> Option<TestSchema> {
    block_on(TestSchema::create())
}

pub fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

/// A running `stdreg serve`, killed (and reaped) when dropped, also when a
/// test fails.
#[derive(Debug)]
pub struct Server {
    child: std::process::Child,
    /// `host:port` it listens on.
    pub address: String,
    /// `http://host:port` of its gRPC log service, when started with `--grpc-listen`.
    pub grpc_url: Option<String>,
    /// The scratch data directory of a server on a shared store, removed
    /// after the server is killed.
    _scratch: Option<tempfile::TempDir>,
}

/// How long a server may take to open its store, catch up and bind.
const SERVER_START: Duration = Duration::from_secs(60);

impl Server {
    /// Starts `stdreg [store args] serve --listen 127.0.0.1:0 [extra]` and
    /// reads the bound address from the line it prints.
    pub fn start(store: &str, extra: &[&str]) -> Self {
        use std::io::BufRead;
        let (store_args, scratch) = store_args(store);
        let mut command = Command::new(env!("CARGO_BIN_EXE_stdreg"));
        command
            .args(store_args)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .env_remove("STDREG_STORE")
            .env_remove("STDREG_DATA_DIR")
            .env_remove("STDREG_TOKENS")
            .env("RUST_LOG", "error")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped());
        let mut child = command.spawn().expect("start stdreg serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut server = Self {
            child,
            address: String::new(),
            grpc_url: None,
            _scratch: scratch,
        };
        let grpc = extra.contains(&"--grpc-listen");
        // The reader thread keeps draining stdout after the address line, so
        // the server never blocks on a full pipe; it ends when the server does.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("http://").nth(1)
                    && line.contains("serving on")
                {
                    let _ = tx.send(rest.trim().trim_end_matches('/').to_owned());
                }
                if let Some(rest) = line.strip_prefix("gRPC log service: ") {
                    let _ = tx.send(rest.trim().to_owned());
                }
            }
        });
        // The gRPC address is printed after the HTTP one.
        if grpc {
            match (rx.recv_timeout(SERVER_START), rx.recv_timeout(SERVER_START)) {
                (Ok(address), Ok(url)) => {
                    server.address = address;
                    server.grpc_url = Some(url);
                    return server;
                }
                _ => panic!("stdreg serve printed no gRPC address within {SERVER_START:?}"),
            }
        }
        match rx.recv_timeout(SERVER_START) {
            Ok(address) => server.address = address,
            Err(_) => {
                let status = server.child.try_wait().ok().flatten();
                panic!(
                    "stdreg serve printed no address within {SERVER_START:?} (exit status: {status:?})"
                );
            }
        }
        server
    }

    /// POSTs a GraphQL request and returns the response's JSON body.
    pub fn graphql(
        &self,
        query: &str,
        variables: serde_json::Value,
        token: Option<&str>,
    ) -> serde_json::Value {
        let body = serde_json::json!({ "query": query, "variables": variables }).to_string();
        let (status, text) = http_post(&self.address, "/graphql", &body, token);
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("graphql answered {status} with non-json ({e}): {text}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.0 POST (the response ends when the server closes the
/// connection, so no chunked bodies); returns the status code and body.
pub fn http_post(address: &str, path: &str, body: &str, token: Option<&str>) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).expect("connect to stdreg serve");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("read timeout");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "POST {path} HTTP/1.0\r\nHost: {address}\r\nContent-Type: application/json\r\nAccept: application/json\r\n{auth}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send request");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read response");
    let response = String::from_utf8(response).expect("utf-8 response");
    let (head, body) = response
        .split_once("\r\n\r\n")
        .expect("http response with a body");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("http status");
    (status, body.to_owned())
}

/// A minimal HTTP/1.0 GET with extra headers; returns the status code, the
/// headers (names lowercased) and the body.
pub fn http_get(
    address: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    http_request(address, "GET", path, headers)
}

/// A minimal HTTP/1.0 request without a body, as [`http_get`].
pub fn http_request(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {address}\r\n{extra}\r\n"
    )
    .expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read");
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, response[split + 4..].to_vec())
}

/// The value of a header of an [`http_get`] answer (names are lowercased).
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}
