//! End to end: the real `stdreg serve` binary on a free port, spoken to over
//! HTTP and WebSocket, and its answers compared with the command line's.
//!
//! It lives in the stdreg package because only here does Cargo provide the
//! binary's path (`CARGO_BIN_EXE_stdreg`).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const BIN: &str = env!("CARGO_BIN_EXE_stdreg");
/// Bounds every wait on the server, so that a broken server fails the test instead of hanging it.
const WAIT: Duration = Duration::from_secs(30);

fn cli(data_dir: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .expect("run stdreg");
    assert!(
        output.status.success(),
        "stdreg {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

/// Starts `stdreg serve --listen 127.0.0.1:0` and reads the bound address from its output.
async fn start(data_dir: &Path, tokens: &Path) -> (Child, String, tokio::task::JoinHandle<()>) {
    let mut command = Command::new(BIN);
    command
        .arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--tokens")
        .arg(tokens);
    start_command(command).await
}

/// Starts a `stdreg serve` command and reads the bound address from its output.
async fn start_command(mut command: Command) -> (Child, String, tokio::task::JoinHandle<()>) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start stdreg serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let address = tokio::time::timeout(WAIT, async {
        while let Some(line) = lines.next_line().await.expect("read stdout") {
            if let Some(url) = line.strip_prefix("GraphQL endpoint: http://") {
                return url.trim_end_matches("/graphql").to_owned();
            }
        }
        panic!("stdreg serve ended without printing its address");
    })
    .await
    .expect("the address in time");
    // Keep reading, so that the server never writes into a closed pipe.
    let drain = tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, address, drain)
}

/// One HTTP/1.1 request on its own connection; returns status and JSON body.
async fn http(
    address: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
    token: Option<&str>,
) -> (u16, Value) {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nAccept: application/graphql-response+json\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(token) = token {
        request.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(&body);
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut answer))
        .await
        .expect("an answer in time")
        .unwrap_or_else(|e| panic!("{method} {path} {body}: {e}"));
    let text = String::from_utf8(answer).expect("utf-8");
    let (head, body) = text.split_once("\r\n\r\n").expect("a response");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

async fn graphql(address: &str, query: &str, variables: Value, token: Option<&str>) -> Value {
    let (status, body) = http(
        address,
        "POST",
        "/graphql",
        Some(&json!({ "query": query, "variables": variables })),
        token,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    body["data"].clone()
}

fn item_names(edition: &Value) -> Vec<String> {
    edition["aspects"]
        .as_array()
        .expect("aspects")
        .iter()
        .flat_map(|a| a["categories"].as_array().expect("categories").clone())
        .flat_map(|c| c["items"].as_array().expect("items").clone())
        .filter_map(|i| i["name"].as_str().map(str::to_owned))
        .collect()
}

const TREE: &str = r#"query($at: Date) { standard(jurisdiction: "CN") { edition(validAt: $at) { aspects { categories { items { name } } } } } }"#;
const ITEM_AT: &str = r#"query($v: Date, $k: DateTime) { standard(jurisdiction: "CN") { edition(validAt: $v, knownAt: $k) { item(id: "veteran-resettlement") { serviceStandard { text } } } } }"#;
const NEW_TEXT: &str = "按规定落实退役军人安置政策";

#[tokio::test]
async fn serve_answers_over_http_and_websocket_like_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("data");
    let tokens = dir.path().join("tokens.json");
    let token = cli(
        &data_dir,
        &[
            "token",
            "add",
            "--role",
            "national-editor",
            "--name",
            "editor:e2e",
            "--tokens",
            tokens.to_str().expect("path"),
        ],
    )
    .trim()
    .to_owned();
    let (mut server, address, drain) = start(&data_dir, &tokens).await;

    let (status, health) = http(&address, "GET", "/healthz", None, None).await;
    assert_eq!((status, health["status"].as_str()), (200, Some("alive")));
    let (status, _) = http(&address, "GET", "/readyz", None, None).await;
    assert_eq!(status, 200);

    // The bundled national data was imported into the empty store.
    let before = graphql(&address, TREE, json!({ "at": "2022-01-01" }), None).await;
    let aspects = before["standard"]["edition"]["aspects"]
        .as_array()
        .expect("aspects");
    assert_eq!(aspects.len(), 9);
    let categories: usize = aspects
        .iter()
        .map(|a| a["categories"].as_array().expect("c").len())
        .sum();
    assert_eq!(categories, 22);
    assert!(
        !item_names(&before["standard"]["edition"])
            .iter()
            .any(|n| n == "增补叶酸预防神经管缺陷服务")
    );
    let after = graphql(&address, TREE, json!({ "at": "2023-08-09" }), None).await;
    assert!(
        item_names(&after["standard"]["edition"])
            .iter()
            .any(|n| n == "增补叶酸预防神经管缺陷服务")
    );

    // Subscribe over WebSocket (graphql-transport-ws) before publishing.
    let indexed = graphql(
        &address,
        "{ indexedPosition revision(id: \"cn-2023\") { recordedAt } }",
        json!({}),
        None,
    )
    .await;
    let known_before = indexed["revision"]["recordedAt"].clone();
    let mut request = format!("ws://{address}/graphql/ws")
        .into_client_request()
        .expect("ws request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (mut socket, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request))
        .await
        .expect("connect in time")
        .expect("websocket");
    socket
        .send(Message::Text(
            json!({ "type": "connection_init", "payload": {} })
                .to_string()
                .into(),
        ))
        .await
        .expect("init");
    let ack = next_json(&mut socket).await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    let subscription = format!(
        r#"subscription {{ events(after: "{}") {{ type revisionId globalPosition }} }}"#,
        indexed["indexedPosition"]
    );
    socket
        .send(Message::Text(
            json!({ "id": "1", "type": "subscribe", "payload": { "query": subscription } })
                .to_string()
                .into(),
        ))
        .await
        .expect("subscribe");

    // Publish the retroactive correction through the API.
    let published = graphql(
        &address,
        "mutation($r: JSON!) { publishRevisionDocument(document: $r) { eventCount revision { id actor } } }",
        json!({ "r": correction() }),
        Some(&token),
    )
    .await;
    assert_eq!(
        published["publishRevisionDocument"]["revision"]["actor"],
        "editor:e2e"
    );
    let count = published["publishRevisionDocument"]["eventCount"]
        .as_u64()
        .expect("count");

    for i in 0..count {
        let message = next_json(&mut socket).await;
        assert_eq!(message["type"], "next", "{message}");
        let event = &message["payload"]["data"]["events"];
        assert_eq!(event["revisionId"], "cn-2021-corr-1");
        if i == 0 {
            assert_eq!(event["type"], "revision_published");
        }
    }

    let now = graphql(&address, ITEM_AT, json!({ "v": "2022-06-01" }), None).await;
    assert_eq!(
        now["standard"]["edition"]["item"]["serviceStandard"]["text"],
        NEW_TEXT
    );
    let then = graphql(
        &address,
        ITEM_AT,
        json!({ "v": "2022-06-01", "k": known_before }),
        None,
    )
    .await;
    assert_ne!(
        then["standard"]["edition"]["item"]["serviceStandard"]["text"],
        NEW_TEXT
    );

    let versions = graphql(
        &address,
        r#"{ standard(jurisdiction: "CN") { versions { validFrom itemCount } item(id: "veteran-resettlement") { history { type effectiveFrom } } } }"#,
        json!({}),
        None,
    )
    .await;

    // SIGTERM: the server finishes and exits cleanly.
    let pid = server.id().expect("pid").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = tokio::time::timeout(WAIT, server.wait())
        .await
        .expect("stopped in time")
        .expect("exit status");
    assert!(status.success(), "{status:?}");
    drain.await.expect("standard output read to its end");

    // The command line reads the same store and agrees.
    let cli_versions: Value =
        serde_json::from_str(&cli(&data_dir, &["versions", "CN", "--json"])).expect("json");
    let served = versions["standard"]["versions"]
        .as_array()
        .expect("versions");
    let printed = cli_versions.as_array().expect("versions");
    assert_eq!(served.len(), printed.len());
    for (s, p) in served.iter().zip(printed) {
        assert_eq!(s["validFrom"], p["valid_from"]);
        assert_eq!(s["itemCount"], p["item_count"]);
    }
    let cli_history: Value = serde_json::from_str(&cli(
        &data_dir,
        &["history", "veteran-resettlement", "--json"],
    ))
    .expect("json");
    let served = versions["standard"]["item"]["history"]
        .as_array()
        .expect("history");
    let printed = cli_history["entries"].as_array().expect("entries");
    assert_eq!(served.len(), printed.len());
    for (s, p) in served.iter().zip(printed) {
        assert_eq!(s["type"], p["event_type"]);
        assert_eq!(s["effectiveFrom"], p["effective_from"]);
    }
}

async fn next_json<S>(socket: &mut S) -> Value
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let message = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a message in time")
            .expect("socket open")
            .expect("message");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).expect("json");
        }
    }
}

fn correction() -> Value {
    json!({
        "revision": {
            "id": "cn-2021-corr-1",
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
            "fields": { "service_standard": { "text": NEW_TEXT } },
            "reason": "corrects the printed text"
        }]}
    })
}

/// Item ids of an edition as `stdreg edition --json` lists them: by aspect and category, then the unplaced.
fn cli_item_order(store: &[&str], jurisdiction: &str, valid_at: &str) -> Vec<String> {
    let mut args = store.to_vec();
    args.extend(["edition", jurisdiction, "--valid-at", valid_at, "--json"]);
    let output = std::process::Command::new(BIN)
        .args(&args)
        .output()
        .expect("run stdreg");
    assert!(
        output.status.success(),
        "stdreg {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let edition: Value = serde_json::from_slice(&output.stdout).expect("json");
    let placed = edition["aspects"]
        .as_array()
        .expect("aspects")
        .iter()
        .flat_map(|a| a["categories"].as_array().expect("categories").clone())
        .flat_map(|c| c["items"].as_array().expect("items").clone());
    placed
        .chain(
            edition["unplaced_items"]
                .as_array()
                .expect("unplaced")
                .clone(),
        )
        .map(|i| i["id"].as_str().expect("id").to_owned())
        .collect()
}

/// Most versions of one standard compared, to bound the test's time.
const VERSIONS_COMPARED_MAX: usize = 6;

#[tokio::test]
async fn the_command_line_and_graphql_list_every_edition_in_the_same_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The bundled data with the local examples, and a small synthetic store of the bench.
    let bundled = dir.path().join("bundled");
    cli(&bundled, &["import", "--local-examples"]);
    let synthetic_db = dir.path().join("synthetic.db");
    let workload = bench::synthetic::Workload {
        seed: 11,
        standards: 3,
        revisions_per_standard: 10,
    };
    let generated = bench::synthetic::generate(workload, 1).expect("workload");
    bench::load(&synthetic_db, &generated.standards)
        .await
        .expect("synthetic store");
    let synthetic_url = format!("sqlite://{}", synthetic_db.display());
    let synthetic_dir = dir.path().join("synthetic");
    std::fs::create_dir(&synthetic_dir).expect("data directory");
    let stores: [Vec<String>; 2] = [
        vec!["--data-dir".into(), bundled.display().to_string()],
        vec![
            "--store".into(),
            synthetic_url,
            "--data-dir".into(),
            synthetic_dir.display().to_string(),
        ],
    ];
    const EVERY_EDITION: &str = r#"{ standards { jurisdiction versions { validFrom } } }"#;
    const ITEMS: &str = r#"query($j: String!, $at: Date) { standard(jurisdiction: $j) { edition(validAt: $at) { items { id } } } }"#;
    let mut compared = 0;
    for store in &stores {
        let store: Vec<&str> = store.iter().map(String::as_str).collect();
        let mut command = Command::new(BIN);
        command
            .args(&store)
            .args(["serve", "--listen", "127.0.0.1:0"]);
        let (mut server, address, drain) = start_command(command).await;
        let standards = graphql(&address, EVERY_EDITION, json!({}), None).await;
        for standard in standards["standards"].as_array().expect("standards") {
            let jurisdiction = standard["jurisdiction"].as_str().expect("jurisdiction");
            let versions = standard["versions"].as_array().expect("versions");
            for version in versions.iter().take(VERSIONS_COMPARED_MAX) {
                let day = version["validFrom"].as_str().expect("date");
                let answer = graphql(
                    &address,
                    ITEMS,
                    json!({ "j": jurisdiction, "at": day }),
                    None,
                )
                .await;
                let served: Vec<String> = answer["standard"]["edition"]["items"]
                    .as_array()
                    .expect("items")
                    .iter()
                    .map(|i| i["id"].as_str().expect("id").to_owned())
                    .collect();
                assert!(!served.is_empty(), "{jurisdiction} on {day}");
                assert_eq!(
                    served,
                    cli_item_order(&store, jurisdiction, day),
                    "{jurisdiction} on {day}"
                );
                compared += 1;
            }
        }
        server.kill().await.expect("stop the server");
        drain.abort();
    }
    assert!(compared >= 10, "only {compared} editions compared");
}
