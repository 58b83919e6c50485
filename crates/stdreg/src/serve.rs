//! `stdreg serve`: the public site and the GraphQL API on one port, kept
//! current by following the log, and with `--grpc-listen` the `Log` gRPC
//! service beside it.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use api::auth::Tokens;
use api::jwt::{JwtConfig, JwtVerifier};
use clap::Args;
use registry::import::ImportFile;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::cli::Global;
use crate::commands::Failure;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the bound address is printed).
    #[arg(long, env = "STDREG_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Tokens file made by `stdreg token add`, read again whenever it changes; without it (or JWTs) every mutation is refused.
    #[arg(long, env = "STDREG_TOKENS")]
    pub tokens: Option<PathBuf>,
    #[command(flatten)]
    pub jwt: JwtArgs,
    /// Also serve the log over gRPC (proto/stdreg/v1/log.proto) on this address; port 0 picks a free port.
    #[arg(long, env = "STDREG_GRPC_LISTEN")]
    pub grpc_listen: Option<String>,
    /// Origins whose pages may query /graphql from a browser (comma-separated,
    /// e.g. https://example.org); `*` any origin, `none` no other origin.
    #[arg(
        long,
        env = "STDREG_CORS_ORIGINS",
        default_value = "*",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,
    /// Log lines as text or as one JSON object per line (for log collectors).
    #[arg(long, env = "STDREG_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// A witness to ask to cosign each checkpoint: its public key and address, KEY@http://HOST:PORT (repeatable).
    #[arg(long = "witness")]
    pub witnesses: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Listens on `address` (given with `flag`) and says where, or why it cannot.
pub(crate) async fn bind(
    address: &str,
    flag: &str,
) -> Result<(TcpListener, std::net::SocketAddr), Failure> {
    let listener = TcpListener::bind(address).await.map_err(|e| {
        Failure::User(format!(
            "cannot listen on {address}: {e}; choose another address with {flag}"
        ))
    })?;
    let local = listener
        .local_addr()
        .map_err(|e| Failure::Internal(e.into()))?;
    Ok((listener, local))
}

/// Who receives events' sealed bytes over gRPC: the callers GraphQL shows
/// actors to (a token's principal), by the same tokens; the public does not,
/// and a token the API would not accept is refused, not served as public.
fn sealed_access(tokens: Arc<api::auth::Tokens>) -> grpc::SealedAccess {
    Arc::new(move |authorization: Option<&str>| {
        match tokens.caller(authorization) {
            api::auth::Caller::Anonymous => Ok(false),
            caller if caller.sees_actors() => Ok(true),
            api::auth::Caller::Refused(why) => Err(why),
            _ => Err("it is not a token of this server: send `Bearer TOKEN` with a token of `stdreg token add`".to_owned()),
        }
    })
}

/// The `--cors-origins` list as the API takes it.
fn cors(origins: &[String]) -> Result<api::Cors, Failure> {
    let origins: Vec<&str> = origins
        .iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
        .collect();
    match origins.as_slice() {
        ["*"] => Ok(api::Cors::Any),
        ["none"] | [] => Ok(api::Cors::Off),
        list => list
            .iter()
            .map(|origin| {
                let host = origin
                    .strip_prefix("https://")
                    .or_else(|| origin.strip_prefix("http://"));
                let plain = host.is_some_and(|h| !h.is_empty() && !h.contains(['/', '*', ' ']));
                axum::http::HeaderValue::from_str(origin)
                    .ok()
                    .filter(|_| plain)
                    .ok_or_else(|| {
                        Failure::User(format!(
                            "--cors-origins: '{}' is not an origin: write scheme://host[:port] (e.g. https://example.org), `*` for any or `none`",
                            domain::input::quote(origin)
                        ))
                    })
            })
            .collect::<Result<_, _>>()
            .map(api::Cors::Origins),
    }
}

/// Bearer JWTs of an OpenID Connect issuer (docs/operations.md, "Identity").
#[derive(Debug, Args)]
pub struct JwtArgs {
    /// Also accept JWTs issued by this issuer (`iss`); needs --jwt-audience and --jwks-file.
    #[arg(long, env = "STDREG_JWT_ISSUER", requires_all = ["jwt_audience", "jwks_file"])]
    pub jwt_issuer: Option<String>,
    /// The audience (`aud`) a JWT must be for: this server's client id at the issuer.
    #[arg(long, env = "STDREG_JWT_AUDIENCE", requires = "jwt_issuer")]
    pub jwt_audience: Option<String>,
    /// The issuer's public keys (a JWKS, as its `jwks_uri` serves it), read again whenever the file changes.
    #[arg(long, env = "STDREG_JWKS_FILE", requires = "jwt_issuer")]
    pub jwks_file: Option<PathBuf>,
    /// The claim naming the role (national-editor, local-editor, auditor); a dotted name reaches into objects.
    #[arg(long, env = "STDREG_JWT_ROLE_CLAIM", default_value = "stdreg_role")]
    pub jwt_role_claim: String,
    /// The claim naming a local editor's jurisdiction (a six-digit division code).
    #[arg(
        long,
        env = "STDREG_JWT_JURISDICTION_CLAIM",
        default_value = "stdreg_jurisdiction"
    )]
    pub jwt_jurisdiction_claim: String,
    /// The claim recorded as the actor of what a JWT's holder publishes.
    #[arg(long, env = "STDREG_JWT_NAME_CLAIM", default_value = "sub")]
    pub jwt_name_claim: String,
}

impl JwtArgs {
    fn config(&self) -> Option<JwtConfig> {
        Some(JwtConfig {
            issuer: self.jwt_issuer.clone()?,
            audience: self.jwt_audience.clone()?,
            jwks_file: self.jwks_file.clone()?,
            role_claim: self.jwt_role_claim.clone(),
            jurisdiction_claim: self.jwt_jurisdiction_claim.clone(),
            name_claim: self.jwt_name_claim.clone(),
        })
    }
}

pub async fn run(args: &ServeArgs, global: &Global) -> Result<(), Failure> {
    // Logs go to standard error; standard output carries only the addresses.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    let _ = match args.log_format {
        LogFormat::Text => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
        // One object per line, with the request span (its id) in each line of a request.
        LogFormat::Json => logs.json().with_current_span(true).try_init(),
    };
    let cors = cors(&args.cors_origins)?;
    let mut tokens = match &args.tokens {
        Some(path) => Tokens::watch(path).map_err(|e| Failure::User(e.to_string()))?,
        None => Tokens::none(),
    };
    if let Some(config) = args.jwt.config() {
        let verifier =
            JwtVerifier::new(config.clone()).map_err(|e| Failure::User(e.to_string()))?;
        tracing::info!(
            issuer = config.issuer,
            audience = config.audience,
            keys = verifier.key_count(),
            "accepting JWTs"
        );
        tokens = tokens.with_jwt(verifier);
    }
    if args.tokens.is_none() && !tokens.accepts_jwt() {
        tracing::warn!(
            "no tokens configured: reads are served, every mutation is refused (see `stdreg token add`)"
        );
    }
    let cosigners = args
        .witnesses
        .iter()
        .map(|arg| crate::witness::cosigner(arg))
        .collect::<Result<Vec<_>, _>>()?;
    // Refuses a log changed after the fact, before anything is served.
    let (registry, checkpoints) = crate::commands::open_to_write(global).await?;
    let checkpoints = checkpoints.with_cosigners(cosigners);
    if let Some(reason) = checkpoints.read_only() {
        // Mutations are refused with this reason (api's one write path).
        tracing::warn!("read-only: every mutation is refused ({reason})");
    }
    let registry = Arc::new(registry);
    let checkpoints = Arc::new(checkpoints);
    let head = registry
        .store()
        .head_position()
        .await
        .map_err(|e| Failure::Internal(e.into()))?;
    if head == 0 {
        let revisions =
            registry::bundled::national_revisions().map_err(|e| Failure::Internal(e.into()))?;
        let outcomes = registry
            .import(&ImportFile::new(revisions), "import")
            .await?;
        tracing::info!(
            revisions = outcomes.len(),
            "empty store: imported the bundled national standard"
        );
    }
    // Sign what is indexed before announcing the address, so no client (a
    // mirror, a verifier) ever meets a server without a checkpoint of its log.
    checkpoints
        .sign(&registry)
        .await
        .map_err(|e| Failure::Internal(e.into()))?;
    let (listener, address) = bind(&args.listen, "--listen").await?;
    let grpc_listener = match &args.grpc_listen {
        Some(listen) => Some(bind(listen, "--grpc-listen").await?.0),
        None => None,
    };
    // A closed standard output (the reader went away) must not stop the server.
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "stdreg is serving on http://{address}");
    let _ = writeln!(stdout, "Site: http://{address}/");
    let _ = writeln!(stdout, "GraphiQL: http://{address}/graphiql");
    let _ = writeln!(stdout, "GraphQL endpoint: http://{address}/graphql");
    if let Some(listener) = &grpc_listener {
        let grpc_address = listener
            .local_addr()
            .map_err(|e| Failure::Internal(e.into()))?;
        let _ = writeln!(stdout, "gRPC log service: http://{grpc_address}");
    }
    let _ = stdout.flush();
    drop(stdout);

    let (stop, stopped) = watch::channel(false);
    let follower = tokio::spawn({
        let registry = Arc::clone(&registry);
        async move { registry.follow(stopped).await }
    });
    // A new signed checkpoint after each revision indexed.
    let notary = tokio::spawn({
        let (registry, checkpoints) = (Arc::clone(&registry), Arc::clone(&checkpoints));
        let stopped = stop.subscribe();
        async move { checkpoints.follow(&registry, stopped).await }
    });
    let mut state = api::AppState::new(Arc::clone(&registry), tokens)
        .with_checkpoints(Arc::clone(&checkpoints));
    let grpc = grpc_listener.map(|listener| {
        tokio::spawn(grpc::serve(
            listener,
            Arc::clone(&registry),
            Arc::clone(&checkpoints),
            sealed_access(Arc::clone(&state.tokens)),
            stop.subscribe(),
        ))
    });
    state.cors = cors;
    let app = site::router(
        site::SiteState::new(Arc::clone(&registry)).with_checkpoints(Arc::clone(&checkpoints)),
    )
    .merge(api::router(state.clone()))
    .layer(axum::middleware::from_fn_with_state(
        Arc::clone(&state.metrics),
        api::log_request,
    ));
    // One signal stops both servers: it turns `stop`, which both wait on.
    let mut stopping = stop.subscribe();
    let http = api::serve(listener, app, &state, async move {
        let _ = stopping.wait_for(|stop| *stop).await;
    });
    tokio::pin!(http);
    let served = tokio::select! {
        served = &mut http => served,
        () = shutdown_signal() => {
            let _ = stop.send(true);
            http.await
        }
    };
    let _ = stop.send(true);
    if let Some(grpc) = grpc {
        match grpc.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "the gRPC server failed"),
            Err(e) => tracing::error!(error = %e, "the gRPC server stopped abnormally"),
        }
    }
    match follower.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "following the log failed"),
        Err(e) => tracing::error!(error = %e, "the log follower stopped abnormally"),
    }
    match notary.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "signing checkpoints failed"),
        Err(e) => tracing::error!(error = %e, "the checkpoint signer stopped abnormally"),
    }
    served.map_err(|e| Failure::Internal(e.into()))?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
