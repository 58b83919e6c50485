//! `stdreg witness`: runs a witness (C2SP tlog-witness) for the logs whose
//! keys it is given. An oversight body runs one with a key of its own; the
//! registry asks it to cosign each new checkpoint (`serve --witness`).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use tokio::sync::watch;
use transparency::{CosignerSigner, NoteVerifier};

use crate::commands::Failure;

#[derive(Debug, Args)]
pub struct WitnessArgs {
    /// Address to listen on; port 0 picks a free port (the bound address is printed).
    #[arg(long, env = "STDREG_WITNESS_LISTEN", default_value = "127.0.0.1:8090")]
    pub listen: String,
    /// The witness's signing key, as `stdreg keygen --witness` writes it: a file, or the key text.
    #[arg(long, env = "STDREG_WITNESS_KEY", hide_env_values = true)]
    pub key: String,
    /// The public key of a log to witness (NAME+ID+KEY, or a file holding it); repeat for each log.
    #[arg(long = "log", required = true)]
    pub logs: Vec<String>,
    /// File of the last checkpoint cosigned per log (created if missing); keep it: it is what refuses a rollback.
    #[arg(
        long,
        env = "STDREG_WITNESS_STATE",
        default_value = "witness-state.json"
    )]
    pub state: PathBuf,
}

/// A key given as its text or as a file holding it.
fn text_or_file(arg: &str) -> String {
    match std::fs::read_to_string(arg) {
        Ok(content) => content.trim().to_owned(),
        Err(_) => arg.trim().to_owned(),
    }
}

pub async fn run(args: &WitnessArgs) -> Result<(), Failure> {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .try_init();
    let signer = CosignerSigner::parse(&text_or_file(&args.key)).map_err(|e| {
        Failure::User(format!(
            "--key: {e}; make a witness key with `stdreg keygen --witness --name NAME --to FILE`"
        ))
    })?;
    let logs = args
        .logs
        .iter()
        .map(|arg| {
            NoteVerifier::parse(&text_or_file(arg)).map_err(|e| {
                Failure::User(format!(
                    "--log: {e}; give the log's public key NAME+ID+KEY (its log-key.pub) or a file holding it"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let public = signer.verifier();
    let state = witness::Witness::open(signer, logs, &args.state)
        .map_err(|e| Failure::User(e.to_string()))?;
    let (listener, address) = crate::serve::bind(&args.listen, "--listen").await?;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "witness key: {public}");
    let _ = writeln!(stdout, "witness listening on http://{address}");
    let _ = stdout.flush();
    drop(stdout);
    let (stop, stopped) = watch::channel(false);
    let server = tokio::spawn(witness::serve(listener, Arc::new(state), stopped));
    crate::serve::shutdown_signal().await;
    let _ = stop.send(true);
    match server.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(Failure::Internal(e.into())),
        Err(e) => Err(Failure::Internal(e.into())),
    }
}

/// A witness the registry asks for cosignatures, over HTTP.
#[derive(Debug)]
pub struct HttpCosigner(pub witness::WitnessClient);

#[async_trait::async_trait]
impl registry::verifiable::Cosigner for HttpCosigner {
    fn key(&self) -> &transparency::CosignerKey {
        self.0.key()
    }

    async fn add_checkpoint(
        &self,
        request: &transparency::AddCheckpoint,
    ) -> Result<String, registry::verifiable::CosignError> {
        use registry::verifiable::CosignError;
        self.0.add_checkpoint(request).await.map_err(|e| match e {
            witness::ClientError::Conflict { size } => CosignError::Conflict { size },
            other => CosignError::Failed(other.to_string()),
        })
    }
}

/// `serve --witness KEY@URL`: a witness's public key and its address.
pub fn cosigner(arg: &str) -> Result<Arc<dyn registry::verifiable::Cosigner>, Failure> {
    let usage = || {
        Failure::User(format!(
            "--witness {arg:?}: expected KEY@http://HOST:PORT, the witness's public key (as `stdreg witness` prints it) and its address"
        ))
    };
    let at = arg.rfind("@http").ok_or_else(usage)?;
    let (key, url) = (&arg[..at], &arg[at + 1..]);
    let key = transparency::CosignerKey::parse(&text_or_file(key))
        .map_err(|e| Failure::User(format!("--witness: {e}")))?;
    let client = witness::WitnessClient::new(url, key).map_err(|e| Failure::User(e.to_string()))?;
    Ok(Arc::new(HttpCosigner(client)))
}
