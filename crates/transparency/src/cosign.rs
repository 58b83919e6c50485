//! Cosignatures in the C2SP `tlog-cosignature` form (Ed25519, `cosignature/v1`):
//! a witness's statement that, at a time, the checkpoint was the largest
//! consistent tree it had seen of the log.
//!
//! ```text
//! — <witness name> <base64(key id ‖ u64 big-endian timestamp ‖ 64-byte Ed25519 signature)>
//! ```
//!
//! The signed message is `cosignature/v1\n`, `time <timestamp>\n`, then the
//! checkpoint's whole note body. The key id is the first 4 bytes of
//! `SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)`; keys are written as signed-note
//! keys with type byte 0x04: `<name>+<id>+<base64(0x04 ‖ public key)>`, and a
//! witness's signing key `PRIVATE+KEY+<name>+<id>+<base64(0x04 ‖ seed)>`.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer, VerifyingKey};

use crate::TransparencyError;
use crate::note::{
    NamedKey, SIGNATURE_PREFIX, key_id_of, key_text_of, note_parts, parse_key_fields_of,
};

/// Signature type byte of Ed25519 `cosignature/v1` in the signed-note format.
const ALGORITHM_COSIGNATURE_V1: u8 = 0x04;
const HEADER: &str = "cosignature/v1\n";
/// Bytes of a cosignature: key id, timestamp, signature.
const COSIGNATURE_BYTES: usize = 4 + 8 + 64;

fn message(body: &str, timestamp: u64) -> String {
    format!("{HEADER}time {timestamp}\n{body}")
}

/// A witness's signing key, with its name.
#[derive(Debug, Clone)]
pub struct CosignerSigner(NamedKey);

impl CosignerSigner {
    /// A key from 32 random bytes (the caller draws them: this crate does no I/O).
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, TransparencyError> {
        NamedKey::from_seed(name, seed, ALGORITHM_COSIGNATURE_V1).map(Self)
    }

    /// Reads `PRIVATE+KEY+<name>+<key id>+<base64(0x04 ‖ seed)>`.
    pub fn parse(text: &str) -> Result<Self, TransparencyError> {
        NamedKey::parse(text, ALGORITHM_COSIGNATURE_V1).map(Self)
    }

    /// The signing key in the form [`CosignerSigner::parse`] reads. Secret.
    pub fn to_private_text(&self) -> String {
        self.0.private_text(ALGORITHM_COSIGNATURE_V1)
    }

    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The matching public key.
    pub fn verifier(&self) -> CosignerKey {
        CosignerKey {
            name: self.0.name.clone(),
            id: self.0.id,
            key: self.0.key.verifying_key(),
        }
    }

    /// The cosignature line (newline included) over a checkpoint's note
    /// body, made at `timestamp` (seconds since the epoch).
    pub fn cosign(&self, body: &str, timestamp: u64) -> String {
        let signature = self.0.key.sign(message(body, timestamp).as_bytes());
        let mut bytes = Vec::with_capacity(COSIGNATURE_BYTES);
        bytes.extend_from_slice(&self.0.id);
        bytes.extend_from_slice(&timestamp.to_be_bytes());
        bytes.extend_from_slice(&signature.to_bytes());
        format!(
            "{SIGNATURE_PREFIX}{} {}\n",
            self.0.name,
            STANDARD.encode(bytes)
        )
    }
}

/// A witness's public key, with its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignerKey {
    name: String,
    id: [u8; 4],
    key: VerifyingKey,
}

impl fmt::Display for CosignerKey {
    /// `<name>+<key id>+<base64(0x04 ‖ public key)>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&key_text_of(
            &self.name,
            ALGORITHM_COSIGNATURE_V1,
            self.id,
            self.key.as_bytes(),
        ))
    }
}

impl CosignerKey {
    /// Reads `<name>+<key id>+<base64(0x04 ‖ public key)>`.
    pub fn parse(text: &str) -> Result<Self, TransparencyError> {
        let (name, id, public) = parse_key_fields_of(text, ALGORITHM_COSIGNATURE_V1)?;
        let key = VerifyingKey::from_bytes(&public).map_err(|_| {
            TransparencyError::MalformedKey("the public key is not a valid Ed25519 point".into())
        })?;
        if key_id_of(&name, ALGORITHM_COSIGNATURE_V1, &public) != id {
            return Err(TransparencyError::MalformedKey(
                "the key id does not match the key".into(),
            ));
        }
        Ok(Self { name, id, key })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The time (seconds since the epoch) of this witness's valid
    /// cosignature on `note`. Lines of other keys are ignored; a line of
    /// this key that does not verify is [`TransparencyError::BadSignature`].
    pub fn verify(&self, note: &str) -> Result<u64, TransparencyError> {
        let (body, lines) = note_parts(note)?;
        let mut valid = None;
        for (name, bytes) in lines {
            if name != self.name || bytes.len() < 4 || bytes[..4] != self.id {
                continue;
            }
            let bad = || TransparencyError::BadSignature {
                key: self.name.clone(),
            };
            if bytes.len() != COSIGNATURE_BYTES {
                return Err(bad());
            }
            let mut timestamp = [0; 8];
            timestamp.copy_from_slice(&bytes[4..12]);
            let timestamp = u64::from_be_bytes(timestamp);
            let mut signature = [0; 64];
            signature.copy_from_slice(&bytes[12..]);
            self.key
                .verify_strict(
                    message(body, timestamp).as_bytes(),
                    &Signature::from_bytes(&signature),
                )
                .map_err(|_| bad())?;
            valid = Some(valid.map_or(timestamp, |t: u64| t.max(timestamp)));
        }
        valid.ok_or_else(|| TransparencyError::NotCosignedBy {
            witness: self.to_string(),
        })
    }
}

/// Checks that at least `quorum` of `witnesses` cosigned `note` validly.
/// Returns the names of those that did; the error names those that did not.
pub fn check_quorum(
    note: &str,
    witnesses: &[CosignerKey],
    quorum: usize,
) -> Result<Vec<String>, TransparencyError> {
    let mut cosigned = Vec::new();
    let mut missing = Vec::new();
    for witness in witnesses {
        match witness.verify(note) {
            Ok(_) => cosigned.push(witness.name().to_owned()),
            Err(e) => missing.push(format!("{}: {e}", witness.name())),
        }
    }
    if cosigned.len() < quorum {
        return Err(TransparencyError::QuorumNotMet {
            quorum,
            cosigned: cosigned.len(),
            missing: missing.join("; "),
        });
    }
    Ok(cosigned)
}
