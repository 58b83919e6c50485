//! Serving connections: admission against the caps on connections and
//! subscriptions (per process and per client address), and each HTTP/1.1
//! connection with its header read and idle timeouts (`limits`).

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tower::ServiceExt;

use crate::http::AppState;
use crate::limits::Limits;

/// Pause after a failed accept (out of file descriptors, say) before the next.
const ACCEPT_RETRY: Duration = Duration::from_millis(50);

/// The address a request came from; unknown (0.0.0.0) when the router runs
/// outside [`serve`], as in tests driving it in process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl ClientAddress {
    pub const UNKNOWN: Self = Self(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
}

/// What is counted against the caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Connection,
    Subscription,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_address: HashMap<IpAddr, usize>,
}

/// The open connections and running subscriptions of one server.
#[derive(Debug, Default)]
pub(crate) struct Admission {
    connections: Mutex<Counts>,
    subscriptions: Mutex<Counts>,
}

/// One admitted connection or subscription; released when dropped.
#[derive(Debug)]
pub(crate) struct Permit {
    admission: Arc<Admission>,
    kind: Kind,
    address: IpAddr,
}

/// Keeps a connection counted for as long as a request (or the WebSocket it upgraded to) holds it.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionPermit(#[allow(dead_code)] pub(crate) Arc<Permit>);

impl Admission {
    fn counts(&self, kind: Kind) -> std::sync::MutexGuard<'_, Counts> {
        let counts = match kind {
            Kind::Connection => &self.connections,
            Kind::Subscription => &self.subscriptions,
        };
        counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many connections and subscriptions are open now.
    pub(crate) fn open(&self) -> (usize, usize) {
        (
            self.counts(Kind::Connection).total,
            self.counts(Kind::Subscription).total,
        )
    }

    /// Counts one more of `kind` from `address`, or says which cap of `limits` it would pass.
    pub(crate) fn admit(
        self: &Arc<Self>,
        kind: Kind,
        address: IpAddr,
        limits: &Limits,
    ) -> Result<Permit, &'static str> {
        let (max, per_address_max) = match kind {
            Kind::Connection => (limits.connections_max, limits.connections_per_address_max),
            Kind::Subscription => (
                limits.subscriptions_max,
                limits.subscriptions_per_address_max,
            ),
        };
        let mut counts = self.counts(kind);
        if counts.total >= max {
            return Err("the server");
        }
        let held = counts.per_address.entry(address).or_default();
        if *held >= per_address_max {
            return Err("this client address");
        }
        *held += 1;
        counts.total += 1;
        Ok(Permit {
            admission: Arc::clone(self),
            kind,
            address,
        })
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut counts = self.admission.counts(self.kind);
        counts.total = counts.total.saturating_sub(1);
        if let Some(held) = counts.per_address.get_mut(&self.address) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                counts.per_address.remove(&self.address);
            }
        }
    }
}

/// Serves `app` (the [`crate::router`] of `state`, with whatever is merged
/// beside it) on `listener` until `shutdown` resolves, then lets every
/// connection finish the request it is answering.
///
/// Unlike `axum::serve`, every connection is admitted against the caps of
/// `state.limits`, counted with the subscriptions of `state`, and closed when
/// its headers are too slow or it idles.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    state: &AppState,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let limits = state.limits.clone();
    let admission = Arc::clone(&state.admission);
    let (stop, stopped) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_RETRY).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        match admission.admit(Kind::Connection, peer.ip(), &limits) {
            Ok(permit) => {
                connections.spawn(connection(
                    stream,
                    peer,
                    permit,
                    app.clone(),
                    limits.clone(),
                    stopped.clone(),
                ));
            }
            Err(whose) => {
                tracing::warn!(%peer, "refused a connection: {whose} holds too many");
                refuse(&stream, whose);
            }
        }
    }
    let _ = stop.send(true);
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// Answers 503 on a connection over a cap, without waiting for its request,
/// and closes it (by dropping it). A fresh socket's send buffer is empty, so
/// the write does not block.
fn refuse(stream: &TcpStream, whose: &str) {
    let body = serde_json::json!({ "errors": [{
        "message": format!("{whose} already holds as many connections as allowed; close some, or try again later"),
        "extensions": { "code": crate::Code::TooManyConnections.as_str() }
    }]})
    .to_string();
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.try_write(response.as_bytes());
}

/// The last moment a connection moved a byte either way.
#[derive(Debug)]
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let ms = self.start.elapsed().as_millis() as u64;
        self.last_ms.fetch_max(ms, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }
}

/// A stream that records when bytes last moved.
#[derive(Debug)]
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Counts a request in progress on a connection; marks activity on both ends.
struct InFlight {
    count: Arc<AtomicUsize>,
    activity: Arc<Activity>,
}

impl InFlight {
    fn enter(count: &Arc<AtomicUsize>, activity: &Arc<Activity>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        activity.touch();
        Self {
            count: Arc::clone(count),
            activity: Arc::clone(activity),
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.activity.touch();
        self.count.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One HTTP/1.1 connection (and the WebSocket it may upgrade to).
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    permit: Permit,
    app: Router,
    limits: Limits,
    mut stopped: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity::new());
    let in_flight = Arc::new(AtomicUsize::new(0));
    let permit = ConnectionPermit(Arc::new(permit));
    let service = {
        let (activity, in_flight) = (Arc::clone(&activity), Arc::clone(&in_flight));
        hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ClientAddress(peer.ip()));
            request.extensions_mut().insert(permit.clone());
            let guard = InFlight::enter(&in_flight, &activity);
            let app = app.clone();
            async move {
                let response = app.oneshot(request.map(Body::new)).await;
                drop(guard);
                response
            }
        })
    };
    let io = TokioIo::new(Watched {
        inner: stream,
        activity: Arc::clone(&activity),
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let conn = builder.serve_connection(io, service).with_upgrades();
    tokio::pin!(conn);
    let mut stopping = false;
    loop {
        let idle_at = if in_flight.load(Ordering::SeqCst) > 0 {
            Instant::now() + limits.idle_timeout
        } else {
            activity.last() + limits.idle_timeout
        };
        tokio::select! {
            served = conn.as_mut() => {
                if let Err(error) = served {
                    tracing::debug!(%peer, %error, "connection ended");
                }
                return;
            }
            () = tokio::time::sleep_until(idle_at) => {
                if in_flight.load(Ordering::SeqCst) == 0
                    && activity.last() + limits.idle_timeout <= Instant::now()
                {
                    tracing::debug!(%peer, "closed an idle connection");
                    return;
                }
            }
            changed = stopped.changed(), if !stopping => {
                stopping = true;
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}
