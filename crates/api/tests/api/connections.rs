//! The limits on connections of `api::serve`, over real sockets on loopback:
//! slow headers, slow or silent bodies, idle connections, WebSockets that
//! never initialise, and the caps on connections and subscriptions per
//! process and per client address. Each test lowers one limit.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use api::limits::Limits;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::Harness;

/// Longest any test waits for the server to act on a limit.
const BOUND: Duration = Duration::from_secs(10);

const HOME: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
const NEIGHBOUR: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// Limits no test reaches, for each test to lower one of.
fn roomy() -> Limits {
    Limits {
        header_read_timeout: Duration::from_secs(60),
        body_read_timeout: Duration::from_secs(60),
        idle_timeout: Duration::from_secs(60),
        connection_init_timeout: Duration::from_secs(60),
        ..Limits::default()
    }
}

/// `api::serve` on 127.0.0.1 with `limits`, stopped when the returned sender drops.
async fn serve(limits: Limits) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let harness = Harness::with_limits(limits).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        api::serve(
            listener,
            harness.router.clone(),
            &harness.state,
            async move {
                let _ = stopped.await;
            },
        )
        .await
    });
    (address, stop)
}

/// A connection to `server` from the loopback address `from`.
async fn connect(server: SocketAddr, from: IpAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.bind(SocketAddr::new(from, 0)).expect("bind client");
    socket.connect(server).await.expect("connect")
}

/// Reads until the server closes the connection; returns what it sent and how long it took.
async fn until_closed(stream: &mut TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0; 4096];
    loop {
        match tokio::time::timeout(BOUND, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
            Err(_) => panic!("the server kept the connection open for {BOUND:?}"),
        }
    }
    (
        String::from_utf8_lossy(&received).into_owned(),
        started.elapsed(),
    )
}

/// Whether the server answers a health check on this connection.
async fn answers(stream: &mut TcpStream) -> bool {
    let request = "GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n";
    if stream.write_all(request.as_bytes()).await.is_err() {
        return false;
    }
    let mut buffer = [0; 1024];
    match tokio::time::timeout(BOUND, stream.read(&mut buffer)).await {
        Ok(Ok(n)) if n > 0 => String::from_utf8_lossy(&buffer[..n]).starts_with("HTTP/1.1 200"),
        _ => false,
    }
}

/// Sends `bytes` one at a time, `gap` apart, until the server closes the connection.
async fn trickle(stream: &mut TcpStream, bytes: &[u8], gap: Duration) -> Duration {
    let started = Instant::now();
    for byte in bytes {
        if stream.write_all(&[*byte]).await.is_err() {
            return started.elapsed();
        }
        let mut probe = [0; 1024];
        match tokio::time::timeout(gap, stream.read(&mut probe)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return started.elapsed(),
            Ok(Ok(_)) => {
                let (_, _) = until_closed(stream).await;
                return started.elapsed();
            }
            Err(_) => {}
        }
    }
    panic!(
        "the server read {} trickled bytes without closing",
        bytes.len()
    );
}

#[tokio::test]
async fn headers_trickled_past_the_header_read_timeout_close_the_connection() {
    let (server, _stop) = serve(Limits {
        header_read_timeout: Duration::from_millis(600),
        idle_timeout: Duration::from_millis(400),
        ..roomy()
    })
    .await;
    let mut stream = connect(server, HOME).await;
    // One byte every 100 ms keeps the connection from idling; only the
    // header timeout can end it.
    let headers = "GET /healthz HTTP/1.1\r\nHost: test\r\nX-Slow: ".to_owned() + &"a".repeat(500);
    let took = trickle(&mut stream, headers.as_bytes(), Duration::from_millis(100)).await;
    assert!(took >= Duration::from_millis(500), "closed after {took:?}");
}

#[tokio::test]
async fn bodies_slower_than_the_body_read_timeout_get_408() {
    let (server, _stop) = serve(Limits {
        body_read_timeout: Duration::from_millis(500),
        idle_timeout: Duration::from_millis(200),
        ..roomy()
    })
    .await;
    for trickled in [false, true] {
        let mut stream = connect(server, HOME).await;
        let head = "POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"query\":";
        stream.write_all(head.as_bytes()).await.expect("send head");
        let (answer, _) = if trickled {
            let mut answer = String::new();
            let mut buffer = [0; 4096];
            for _ in 0..100 {
                let _ = stream.write_all(b" ").await;
                match tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buffer))
                    .await
                {
                    Ok(Ok(0)) | Ok(Err(_)) => break,
                    Ok(Ok(n)) => answer.push_str(&String::from_utf8_lossy(&buffer[..n])),
                    Err(_) => {}
                }
            }
            (answer, Duration::ZERO)
        } else {
            until_closed(&mut stream).await
        };
        assert!(
            answer.starts_with("HTTP/1.1 408"),
            "trickled: {trickled}: {answer}"
        );
        assert!(answer.contains("\"TIMEOUT\""), "{answer}");
    }
}

#[tokio::test]
async fn idle_connections_are_closed() {
    let idle = Duration::from_millis(400);
    let (server, _stop) = serve(Limits {
        idle_timeout: idle,
        ..roomy()
    })
    .await;
    // Never a byte.
    let mut silent = connect(server, HOME).await;
    let (_, took) = until_closed(&mut silent).await;
    assert!(took >= idle / 2, "closed after {took:?}");
    // One request, then silence on the kept-alive connection.
    let mut kept = connect(server, HOME).await;
    assert!(answers(&mut kept).await);
    let (_, took) = until_closed(&mut kept).await;
    assert!(took >= idle / 2, "closed after {took:?}");
}

/// Opens a WebSocket speaking graphql-transport-ws from `from`.
async fn websocket(
    server: SocketAddr,
    from: IpAddr,
) -> tokio_tungstenite::WebSocketStream<TcpStream> {
    let stream = connect(server, from).await;
    let mut request = format!("ws://{server}/graphql/ws")
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (socket, _) = tokio_tungstenite::client_async(request, stream)
        .await
        .expect("websocket handshake");
    socket
}

/// The next text message, as JSON; `None` when the socket closes.
async fn next(socket: &mut tokio_tungstenite::WebSocketStream<TcpStream>) -> Option<Value> {
    loop {
        match tokio::time::timeout(BOUND, socket.next()).await {
            Err(_) => panic!("no message within {BOUND:?}"),
            Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => return None,
            Ok(Some(Ok(Message::Text(text)))) => {
                return Some(serde_json::from_str(&text).expect("json message"));
            }
            Ok(Some(Ok(_))) => {}
        }
    }
}

async fn send(socket: &mut tokio_tungstenite::WebSocketStream<TcpStream>, message: Value) {
    socket
        .send(Message::text(message.to_string()))
        .await
        .expect("send");
}

/// Initialises a socket and starts subscription `id`; returns the first
/// message about it within a short wait, `None` if the subscription runs quietly.
async fn subscribe(
    socket: &mut tokio_tungstenite::WebSocketStream<TcpStream>,
    id: &str,
) -> Option<Value> {
    send(
        socket,
        json!({"id": id, "type": "subscribe", "payload": {"query": "subscription { events { cursor } }"}}),
    )
    .await;
    let quiet_until = Instant::now() + Duration::from_millis(500);
    loop {
        match tokio::time::timeout_at(quiet_until, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                let message: Value = serde_json::from_str(&text).expect("json");
                // Earlier subscriptions' last words (a `complete`) are not about this one.
                if message["id"] == id && message["type"] != "complete" {
                    return Some(message);
                }
            }
            Ok(Some(Ok(_))) => {}
            _ => return None,
        }
    }
}

async fn initialised(
    server: SocketAddr,
    from: IpAddr,
) -> tokio_tungstenite::WebSocketStream<TcpStream> {
    let mut socket = websocket(server, from).await;
    send(
        &mut socket,
        json!({"type": "connection_init", "payload": {}}),
    )
    .await;
    let ack = next(&mut socket).await.expect("connection_ack");
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    socket
}

#[tokio::test]
async fn websockets_without_connection_init_are_closed() {
    let (server, _stop) = serve(Limits {
        connection_init_timeout: Duration::from_millis(400),
        idle_timeout: Duration::from_millis(200),
        ..roomy()
    })
    .await;
    let mut silent = websocket(server, HOME).await;
    let started = Instant::now();
    assert!(next(&mut silent).await.is_none(), "the socket stayed open");
    assert!(started.elapsed() >= Duration::from_millis(200));
    // An initialised socket with a quiet subscription outlives both timeouts.
    let mut working = initialised(server, HOME).await;
    assert!(subscribe(&mut working, "1").await.is_none());
    tokio::time::sleep(Duration::from_millis(800)).await;
    send(&mut working, json!({"type": "ping"})).await;
    assert_eq!(next(&mut working).await.expect("pong")["type"], "pong");
}

#[tokio::test]
async fn connections_past_a_cap_are_refused_with_503() {
    for (per_process, per_address) in [(2, 100), (100, 2)] {
        let (server, _stop) = serve(Limits {
            connections_max: per_process,
            connections_per_address_max: per_address,
            ..roomy()
        })
        .await;
        let mut first = connect(server, HOME).await;
        let mut second = connect(server, HOME).await;
        assert!(answers(&mut first).await && answers(&mut second).await);
        let mut third = connect(server, HOME).await;
        let (answer, _) = until_closed(&mut third).await;
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
        assert!(answer.contains("TOO_MANY_CONNECTIONS"), "{answer}");
        let mut neighbour = connect(server, NEIGHBOUR).await;
        assert_eq!(
            answers(&mut neighbour).await,
            per_process > 2,
            "cap per process {per_process}, per address {per_address}"
        );
        // A closed connection frees its place; the server sees the close at once.
        drop(first);
        let mut again = false;
        for _ in 0..100 {
            let mut next = connect(server, HOME).await;
            if answers(&mut next).await {
                again = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(again, "the place of a closed connection was not freed");
    }
}

#[tokio::test]
async fn subscriptions_past_a_cap_are_refused() {
    for (per_process, per_address) in [(1, 100), (100, 1)] {
        let (server, _stop) = serve(Limits {
            subscriptions_max: per_process,
            subscriptions_per_address_max: per_address,
            ..roomy()
        })
        .await;
        let mut home = initialised(server, HOME).await;
        assert!(subscribe(&mut home, "1").await.is_none(), "the first runs");
        let refused = subscribe(&mut home, "2").await.expect("an error");
        assert_eq!(
            refused["payload"]["errors"][0]["extensions"]["code"], "TOO_MANY_SUBSCRIPTIONS",
            "{refused}"
        );
        let mut neighbour = initialised(server, NEIGHBOUR).await;
        let answer = subscribe(&mut neighbour, "1").await;
        assert_eq!(
            answer.is_none(),
            per_process > 1,
            "cap per process {per_process}, per address {per_address}: {answer:?}"
        );
        // A completed subscription frees its place.
        send(&mut home, json!({"id": "1", "type": "complete"})).await;
        let mut freed = false;
        for n in 0..50 {
            if subscribe(&mut home, &format!("again-{n}")).await.is_none() {
                freed = true;
                break;
            }
        }
        assert!(freed, "a completed subscription kept its place");
    }
}
