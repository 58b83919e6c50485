//! The log's side: sending `add-checkpoint` to a witness.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use transparency::{AddCheckpoint, CosignerKey};

use crate::REQUEST_TIMEOUT;

/// Largest answer read from a witness (a few signature lines).
const ANSWER_BYTES_MAX: usize = 16 * 1024;

/// Why a witness did not answer with cosignatures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The witness last cosigned another size (409 with `text/x.tlog.size`).
    #[error("the witness last cosigned a checkpoint of size {size}")]
    Conflict { size: u64 },
    /// The witness refused the checkpoint.
    #[error("the witness refused the checkpoint ({status}): {message}")]
    Refused { status: u16, message: String },
    /// The witness could not be reached or answered nonsense.
    #[error("{0}")]
    Failed(String),
}

/// A witness at an `http://HOST:PORT[/prefix]` URL, known by its key.
#[derive(Debug, Clone)]
pub struct WitnessClient {
    authority: String,
    path: String,
    key: CosignerKey,
}

impl WitnessClient {
    /// Only plain `http://` URLs: a witness reached over the internet sits
    /// behind a TLS-terminating proxy of its operator's.
    pub fn new(url: &str, key: CosignerKey) -> Result<Self, ClientError> {
        let rest = url
            .trim_end_matches('/')
            .strip_prefix("http://")
            .ok_or_else(|| {
                ClientError::Failed(format!(
                    "witness url {url} is not http://HOST:PORT[/PREFIX]"
                ))
            })?;
        let (authority, prefix) = match rest.find('/') {
            Some(slash) => rest.split_at(slash),
            None => (rest, ""),
        };
        if authority.is_empty() {
            return Err(ClientError::Failed(format!(
                "witness url {url} names no host"
            )));
        }
        Ok(Self {
            authority: authority.to_owned(),
            path: format!("{prefix}/add-checkpoint"),
            key,
        })
    }

    pub fn key(&self) -> &CosignerKey {
        &self.key
    }

    /// Sends the request; answers the witness's signature lines.
    pub async fn add_checkpoint(&self, request: &AddCheckpoint) -> Result<String, ClientError> {
        tokio::time::timeout(REQUEST_TIMEOUT, self.send(request.to_body()))
            .await
            .map_err(|_| {
                ClientError::Failed(format!(
                    "witness {} did not answer within {REQUEST_TIMEOUT:?}",
                    self.authority
                ))
            })?
    }

    async fn send(&self, body: String) -> Result<String, ClientError> {
        let failed = |what: &str, e: &dyn std::fmt::Display| {
            ClientError::Failed(format!("witness {}: {what}: {e}", self.authority))
        };
        let stream = tokio::net::TcpStream::connect(&self.authority)
            .await
            .map_err(|e| failed("cannot connect", &e))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| failed("HTTP handshake failed", &e))?;
        let driver = tokio::spawn(connection);
        let request = Request::builder()
            .method(Method::POST)
            .uri(&self.path)
            .header(HOST, &self.authority)
            .header(CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| failed("cannot build the request", &e))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| failed("the request failed", &e))?;
        let status = response.status();
        let bytes = Limited::new(response.into_body(), ANSWER_BYTES_MAX)
            .collect()
            .await
            .map_err(|e| failed("cannot read the answer", &e))?
            .to_bytes();
        driver.abort();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        match status {
            StatusCode::OK => Ok(text),
            StatusCode::CONFLICT => match text.trim_end_matches('\n').parse() {
                Ok(size) => Err(ClientError::Conflict { size }),
                Err(_) => Err(ClientError::Refused {
                    status: status.as_u16(),
                    message: text.trim().to_owned(),
                }),
            },
            other => Err(ClientError::Refused {
                status: other.as_u16(),
                message: text.trim().to_owned(),
            }),
        }
    }
}
