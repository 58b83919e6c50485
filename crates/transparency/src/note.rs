//! Signed checkpoints in the C2SP `tlog-checkpoint` / `signed-note` text
//! forms, so that existing transparency-log tools read them.
//!
//! ```text
//! <origin>
//! <tree size, decimal>
//! <root hash, base64>
//!
//! — <key name> <base64(4-byte key id ‖ 64-byte Ed25519 signature)>
//! ```
//!
//! The signature covers the text above the blank line, final newline included.
//! The key id is the first 4 bytes of `SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key)`.
//! Keys are written as the signed-note tools write them: a verifier key is
//! `<name>+<key id, 8 hex digits>+<base64(0x01 ‖ public key)>`, a signing key
//! `PRIVATE+KEY+<name>+<key id>+<base64(0x01 ‖ 32-byte seed)>`.
//! stdreg names its key after the log's origin, and a checkpoint is only
//! accepted from the key whose name is its origin.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::merkle::Hash;
use crate::{NAME_BYTES_MAX, NOTE_BYTES_MAX, TransparencyError};

/// Signature algorithm byte of Ed25519 in the signed-note format.
const ALGORITHM_ED25519: u8 = 0x01;
pub(crate) const SIGNATURE_PREFIX: &str = "\u{2014} ";
pub(crate) const PRIVATE_PREFIX: &str = "PRIVATE+KEY+";

/// What a checkpoint states: the log `origin` had `size` events with root `root`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl Checkpoint {
    /// The signed text: origin, size and base64 root, one per line.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root)
        )
    }

    /// Reads a checkpoint body; extension lines after the root are allowed and ignored.
    pub fn parse_body(body: &str) -> Result<Self, TransparencyError> {
        let malformed = |reason: &str| TransparencyError::MalformedNote(reason.to_owned());
        let Some(text) = body.strip_suffix('\n') else {
            return Err(malformed("the checkpoint does not end with a newline"));
        };
        let mut lines = text.split('\n');
        let origin = lines.next().unwrap_or_default();
        if origin.is_empty() {
            return Err(malformed("the checkpoint has no origin line"));
        }
        let size_line = lines
            .next()
            .ok_or_else(|| malformed("the checkpoint has no tree size line"))?;
        if size_line.len() > 1 && size_line.starts_with('0')
            || !size_line.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(malformed("the tree size is not a plain decimal number"));
        }
        let size = size_line
            .parse()
            .map_err(|_| malformed("the tree size is not a decimal number"))?;
        let root_line = lines
            .next()
            .ok_or_else(|| malformed("the checkpoint has no root hash line"))?;
        let root = STANDARD
            .decode(root_line)
            .ok()
            .and_then(|bytes| Hash::try_from(bytes).ok())
            .ok_or_else(|| malformed("the root hash is not 32 bytes in base64"))?;
        if lines.any(str::is_empty) {
            return Err(malformed("the checkpoint has an empty extension line"));
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
        })
    }
}

/// A checkpoint together with the signed note it was read from or written as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    pub checkpoint: Checkpoint,
    note: String,
}

impl SignedCheckpoint {
    /// The whole signed note, as served and stored.
    pub fn note(&self) -> &str {
        &self.note
    }

    /// The signed text: the note up to its blank line, final newline included.
    pub fn body(&self) -> &str {
        note_parts(&self.note).map_or(&self.note, |(body, _)| body)
    }

    /// The same checkpoint with more signature lines (`— NAME SIGNATURE`,
    /// each ending in a newline), as a witness answers: lines the note holds
    /// already are not added twice. The caller checks them first.
    pub fn with_signature_lines(&self, lines: &str) -> Self {
        let mut note = self.note.clone();
        for line in lines.split_inclusive('\n') {
            let line = if line.ends_with('\n') {
                line.to_owned()
            } else {
                format!("{line}\n")
            };
            if !note.split_inclusive('\n').any(|held| held == line) {
                note.push_str(&line);
            }
        }
        Self {
            checkpoint: self.checkpoint.clone(),
            note,
        }
    }
}

/// A signature line of a note: the key name and the decoded bytes.
pub(crate) type SignatureLine<'a> = (&'a str, Vec<u8>);

/// Splits a note into its body (final newline included) and its signature lines.
pub(crate) fn note_parts(note: &str) -> Result<(&str, Vec<SignatureLine<'_>>), TransparencyError> {
    let malformed = |reason: &str| TransparencyError::MalformedNote(reason.to_owned());
    if note.len() > NOTE_BYTES_MAX {
        return Err(malformed("the note is too long"));
    }
    let split = note
        .rfind("\n\n")
        .ok_or_else(|| malformed("no blank line before the signatures"))?;
    let (body, signatures) = (&note[..=split], &note[split + 2..]);
    if body.chars().any(|c| c.is_control() && c != '\n') {
        return Err(malformed("the note holds control characters"));
    }
    let Some(signatures) = signatures.strip_suffix('\n') else {
        return Err(malformed("the signature lines do not end with a newline"));
    };
    let mut lines = Vec::new();
    for line in signatures.split('\n') {
        let (name, encoded) = line
            .strip_prefix(SIGNATURE_PREFIX)
            .and_then(|rest| rest.split_once(' '))
            .ok_or_else(|| malformed("a signature line is not '— NAME SIGNATURE'"))?;
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| malformed("a signature is not base64"))?;
        lines.push((name, bytes));
    }
    Ok((body, lines))
}

fn key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    key_id_of(name, ALGORITHM_ED25519, public)
}

/// `SHA-256(name ‖ 0x0A ‖ algorithm ‖ public key)[:4]`.
pub(crate) fn key_id_of(name: &str, algorithm: u8, public: &[u8; 32]) -> [u8; 4] {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([b'\n', algorithm]);
    hasher.update(public);
    let digest = hasher.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

pub(crate) fn check_name(name: &str) -> Result<(), TransparencyError> {
    if name.is_empty()
        || name.len() > NAME_BYTES_MAX
        || name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '+')
    {
        return Err(TransparencyError::MalformedKey(format!(
            "key name '{name}' must be 1 to {NAME_BYTES_MAX} bytes without spaces or '+'"
        )));
    }
    Ok(())
}

/// Splits `<name>+<key id hex>+<base64(0x01 ‖ 32 bytes)>`.
fn parse_key_fields(text: &str) -> Result<(String, [u8; 4], [u8; 32]), TransparencyError> {
    parse_key_fields_of(text, ALGORITHM_ED25519)
}

/// Splits `<name>+<key id hex>+<base64(algorithm ‖ 32 bytes)>`.
pub(crate) fn parse_key_fields_of(
    text: &str,
    algorithm: u8,
) -> Result<(String, [u8; 4], [u8; 32]), TransparencyError> {
    let malformed = |reason: &str| TransparencyError::MalformedKey(reason.to_owned());
    let mut fields = text.trim().splitn(3, '+');
    let (Some(name), Some(id), Some(key)) = (fields.next(), fields.next(), fields.next()) else {
        return Err(malformed("expected NAME+KEYID+BASE64KEY"));
    };
    check_name(name)?;
    let id = u32::from_str_radix(id, 16)
        .ok()
        .filter(|_| id.len() == 8)
        .ok_or_else(|| malformed("the key id is not 8 hex digits"))?
        .to_be_bytes();
    let bytes = STANDARD
        .decode(key)
        .map_err(|_| malformed("the key is not base64"))?;
    let Some((key_algorithm, key)) = bytes.split_first() else {
        return Err(malformed("the key is empty"));
    };
    if *key_algorithm != algorithm {
        return Err(malformed(&format!(
            "the key is of type {key_algorithm:#04x}, not {algorithm:#04x}"
        )));
    }
    let key = <[u8; 32]>::try_from(key).map_err(|_| malformed("the key is not 32 bytes"))?;
    Ok((name.to_owned(), id, key))
}

fn key_text(name: &str, id: [u8; 4], key: &[u8; 32]) -> String {
    key_text_of(name, ALGORITHM_ED25519, id, key)
}

pub(crate) fn key_text_of(name: &str, algorithm: u8, id: [u8; 4], key: &[u8; 32]) -> String {
    let mut bytes = Vec::with_capacity(33);
    bytes.push(algorithm);
    bytes.extend_from_slice(key);
    format!(
        "{name}+{:08x}+{}",
        u32::from_be_bytes(id),
        STANDARD.encode(bytes)
    )
}

/// A named Ed25519 signing key of one signed-note algorithm: a log's or a witness's.
#[derive(Clone)]
pub(crate) struct NamedKey {
    pub(crate) name: String,
    pub(crate) id: [u8; 4],
    pub(crate) key: SigningKey,
}

impl fmt::Debug for NamedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NamedKey")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl NamedKey {
    pub(crate) fn from_seed(
        name: &str,
        seed: [u8; 32],
        algorithm: u8,
    ) -> Result<Self, TransparencyError> {
        check_name(name)?;
        let key = SigningKey::from_bytes(&seed);
        Ok(Self {
            name: name.to_owned(),
            id: key_id_of(name, algorithm, key.verifying_key().as_bytes()),
            key,
        })
    }

    /// Reads `PRIVATE+KEY+<name>+<key id>+<base64(algorithm ‖ seed)>`.
    pub(crate) fn parse(text: &str, algorithm: u8) -> Result<Self, TransparencyError> {
        let rest = text.trim().strip_prefix(PRIVATE_PREFIX).ok_or_else(|| {
            TransparencyError::MalformedKey("a signing key starts with PRIVATE+KEY+".into())
        })?;
        let (name, id, seed) = parse_key_fields_of(rest, algorithm)?;
        let key = Self::from_seed(&name, seed, algorithm)?;
        if key.id != id {
            return Err(TransparencyError::MalformedKey(
                "the key id does not match the key".into(),
            ));
        }
        Ok(key)
    }

    pub(crate) fn private_text(&self, algorithm: u8) -> String {
        format!(
            "{PRIVATE_PREFIX}{}",
            key_text_of(&self.name, algorithm, self.id, self.key.as_bytes())
        )
    }
}

/// The log's signing key, with its name.
#[derive(Debug, Clone)]
pub struct NoteSigner(NamedKey);

impl NoteSigner {
    /// A key from 32 random bytes (the caller draws them: this crate does no I/O).
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, TransparencyError> {
        NamedKey::from_seed(name, seed, ALGORITHM_ED25519).map(Self)
    }

    /// Reads `PRIVATE+KEY+<name>+<key id>+<base64(0x01 ‖ seed)>`.
    pub fn parse(text: &str) -> Result<Self, TransparencyError> {
        NamedKey::parse(text, ALGORITHM_ED25519).map(Self)
    }

    /// The signing key in the form [`NoteSigner::parse`] reads. Secret: store it privately.
    pub fn to_private_text(&self) -> String {
        self.0.private_text(ALGORITHM_ED25519)
    }

    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The matching public key.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.0.name.clone(),
            id: self.0.id,
            key: self.0.key.verifying_key(),
        }
    }

    /// Signs a checkpoint of this log. Its origin is the key's name.
    pub fn sign(&self, size: u64, root: Hash) -> SignedCheckpoint {
        let checkpoint = Checkpoint {
            origin: self.0.name.clone(),
            size,
            root,
        };
        let body = checkpoint.body();
        let signature = self.0.key.sign(body.as_bytes());
        let mut line = Vec::with_capacity(68);
        line.extend_from_slice(&self.0.id);
        line.extend_from_slice(&signature.to_bytes());
        let note = format!(
            "{body}\n{SIGNATURE_PREFIX}{} {}\n",
            self.0.name,
            STANDARD.encode(line)
        );
        SignedCheckpoint { checkpoint, note }
    }
}

/// A log's public key, with its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    id: [u8; 4],
    key: VerifyingKey,
}

impl fmt::Display for NoteVerifier {
    /// `<name>+<key id>+<base64(0x01 ‖ public key)>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&key_text(&self.name, self.id, self.key.as_bytes()))
    }
}

impl NoteVerifier {
    /// Reads `<name>+<key id>+<base64(0x01 ‖ public key)>`.
    pub fn parse(text: &str) -> Result<Self, TransparencyError> {
        let (name, id, public) = parse_key_fields(text)?;
        let key = VerifyingKey::from_bytes(&public).map_err(|_| {
            TransparencyError::MalformedKey("the public key is not a valid Ed25519 point".into())
        })?;
        if key_id(&name, &public) != id {
            return Err(TransparencyError::MalformedKey(
                "the key id does not match the key".into(),
            ));
        }
        Ok(Self { name, id, key })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Checks a signed checkpoint note: signed by this key, origin = key name.
    pub fn open(&self, note: &str) -> Result<SignedCheckpoint, TransparencyError> {
        let malformed = |reason: &str| TransparencyError::MalformedNote(reason.to_owned());
        let (body, lines) = note_parts(note)?;
        let mut found = false;
        for (name, bytes) in lines {
            if name != self.name || bytes.len() < 4 || bytes[..4] != self.id {
                continue;
            }
            let signature = <[u8; 64]>::try_from(&bytes[4..])
                .map(|b| Signature::from_bytes(&b))
                .map_err(|_| malformed("an Ed25519 signature is not 64 bytes"))?;
            self.key
                .verify_strict(body.as_bytes(), &signature)
                .map_err(|_| TransparencyError::BadSignature {
                    key: self.name.clone(),
                })?;
            found = true;
        }
        if !found {
            return Err(TransparencyError::NotSignedBy {
                key: self.to_string(),
            });
        }
        let checkpoint = Checkpoint::parse_body(body)?;
        if checkpoint.origin != self.name {
            return Err(TransparencyError::OriginMismatch {
                origin: checkpoint.origin,
                key: self.name.clone(),
            });
        }
        Ok(SignedCheckpoint {
            checkpoint,
            note: note.to_owned(),
        })
    }
}
