//! Who may write: bearer tokens, their roles and jurisdictions.
//!
//! The tokens file keeps only SHA-256 hashes of the tokens; a token is shown
//! once, when it is made. Reads are public; every mutation needs a token.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::ids::Jurisdiction;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// Identifies the tokens file format and its version.
pub const TOKENS_FORMAT: &str = "stdreg.tokens/1";

/// Prefix of every token, so that a leaked one is easy to recognise.
pub const TOKEN_PREFIX: &str = "stdreg_";

/// Random bytes in a token.
const TOKEN_BYTES: usize = 32;

/// What a token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Publishes revisions of the national standard (`CN`).
    NationalEditor,
    /// Publishes revisions of one jurisdiction's standard and of those below it.
    LocalEditor,
    /// Reads, including who recorded what; publishes nothing.
    Auditor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::NationalEditor => "national_editor",
            Role::LocalEditor => "local_editor",
            Role::Auditor => "auditor",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = AuthError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().replace('-', "_").as_str() {
            "national_editor" => Ok(Role::NationalEditor),
            "local_editor" => Ok(Role::LocalEditor),
            "auditor" => Ok(Role::Auditor),
            _ => Err(AuthError::UnknownRole(domain::input::quote(text))),
        }
    }
}

/// The holder of a token: recorded as the actor of every event it publishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// Stored as the actor, e.g. `editor:ndrc`.
    pub name: String,
    pub role: Role,
    /// The standard an editor writes (and, for a local editor, those below it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jurisdiction: Option<Jurisdiction>,
}

impl Principal {
    /// Whether this principal may publish a revision of `target`'s standard.
    pub fn may_publish(&self, target: &Jurisdiction) -> Result<(), ApiError> {
        let allowed = match (self.role, &self.jurisdiction) {
            (Role::Auditor, _) => {
                return Err(ApiError::Forbidden(format!(
                    "{} is an auditor: auditors read, they do not publish; ask an editor of {target}",
                    self.name
                )));
            }
            (Role::NationalEditor, _) => target.is_national(),
            (Role::LocalEditor, Some(own)) => {
                !target.is_national() && (own == target || target.ancestors().contains(own))
            }
            (Role::LocalEditor, None) => false,
        };
        if allowed {
            Ok(())
        } else {
            let scope = match (self.role, &self.jurisdiction) {
                (Role::NationalEditor, _) => "the national standard CN".to_owned(),
                (_, Some(own)) => format!("{own} and the jurisdictions within it"),
                (_, None) => "no jurisdiction".to_owned(),
            };
            Err(ApiError::Forbidden(format!(
                "{} ({}) may publish for {scope}, not for {target}",
                self.name, self.role
            )))
        }
    }
}

/// Who is asking, as the `Authorization` header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No `Authorization` header: the public.
    Anonymous,
    /// A header that is not a known bearer token.
    InvalidToken,
    /// A known token that is not accepted now (expired), or a JWT that does
    /// not verify; says why.
    Refused(String),
    Principal(Principal),
}

impl Caller {
    /// Whether the caller may see who recorded what (editors and auditors).
    pub fn sees_actors(&self) -> bool {
        matches!(self, Caller::Principal(_))
    }

    /// The principal a mutation runs as, or `UNAUTHENTICATED`.
    pub fn principal(&self) -> Result<&Principal, ApiError> {
        match self {
            Caller::Principal(p) => Ok(p),
            Caller::Anonymous => Err(ApiError::Unauthenticated(
                "publishing needs a token: send `Authorization: Bearer TOKEN` (tokens are made with `stdreg token add`)".to_owned(),
            )),
            Caller::InvalidToken => Err(ApiError::Unauthenticated(
                "the bearer token is not known to this server: check the `Authorization` header, or ask for a new token".to_owned(),
            )),
            Caller::Refused(why) => Err(ApiError::Unauthenticated(why.clone())),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    #[error("unknown role '{0}': use national-editor, local-editor or auditor")]
    UnknownRole(String),
    /// The role and jurisdiction do not fit together.
    #[error("{0}")]
    BadScope(String),
    #[error("cannot read the tokens file {path}: {message}")]
    Read { path: String, message: String },
    #[error("cannot write the tokens file {path}: {message}")]
    Write { path: String, message: String },
    #[error(
        "the tokens file {path} is not a tokens file: {message}; make tokens with `stdreg token add`"
    )]
    Malformed { path: String, message: String },
    #[error(
        "the JWKS file {path} is not usable: {message}; give the issuer's key set (its `jwks_uri`)"
    )]
    Jwks { path: String, message: String },
    #[error("the system could not provide random bytes for a token: {0}")]
    Random(String),
}

/// One token as stored: its hash, never the token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenEntry {
    #[serde(flatten)]
    pub principal: Principal,
    /// Lowercase hex SHA-256 of the token.
    pub sha256: String,
    pub created_at: DateTime<Utc>,
    /// From this instant on the token is refused; absent: it does not
    /// expire. (Optional, so files written before it existed still read.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// The tokens file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenFile {
    pub format: String,
    pub tokens: Vec<TokenEntry>,
}

impl Default for TokenFile {
    fn default() -> Self {
        Self {
            format: TOKENS_FORMAT.to_owned(),
            tokens: Vec::new(),
        }
    }
}

impl TokenFile {
    /// Reads a tokens file; a missing file is an empty one.
    pub fn load(path: &Path) -> Result<Self, AuthError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => {
                return Err(AuthError::Read {
                    path: path.display().to_string(),
                    message: e.to_string(),
                });
            }
        };
        let file: TokenFile = serde_json::from_str(&text).map_err(|e| AuthError::Malformed {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        if file.format != TOKENS_FORMAT {
            return Err(AuthError::Malformed {
                path: path.display().to_string(),
                message: format!("format is '{}', expected '{TOKENS_FORMAT}'", file.format),
            });
        }
        Ok(file)
    }

    /// Writes the file whole, through a temporary file, readable by its owner only.
    pub fn save(&self, path: &Path) -> Result<(), AuthError> {
        let write_error = |e: std::io::Error| AuthError::Write {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let text = serde_json::to_string_pretty(self).map_err(|e| AuthError::Write {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let temporary = path.with_extension("tmp");
        std::fs::write(&temporary, text + "\n").map_err(write_error)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(0o600))
                .map_err(write_error)?;
        }
        std::fs::rename(&temporary, path).map_err(write_error)
    }

    /// Makes a new token for a principal, records its hash and returns the token.
    pub fn add(
        &mut self,
        role: Role,
        jurisdiction: Option<Jurisdiction>,
        name: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(String, Principal), AuthError> {
        self.add_expiring(role, jurisdiction, name, now, None)
    }

    /// [`TokenFile::add`], for a token refused from `expires_at` on.
    pub fn add_expiring(
        &mut self,
        role: Role,
        jurisdiction: Option<Jurisdiction>,
        name: Option<String>,
        now: DateTime<Utc>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<(String, Principal), AuthError> {
        if let Some(expires_at) = expires_at
            && expires_at <= now
        {
            return Err(AuthError::BadScope(format!(
                "the expiry {expires_at} has already passed; give a later instant"
            )));
        }
        let principal = Principal::new(role, jurisdiction, name)?;
        let token = generate_token()?;
        self.tokens.push(TokenEntry {
            principal: principal.clone(),
            sha256: hex(&hash(&token)),
            created_at: now,
            expires_at,
        });
        Ok((token, principal))
    }

    /// Removes every token of the principal called `name`; returns how many
    /// there were. A server reading the file refuses them from its next
    /// request on.
    pub fn revoke(&mut self, name: &str) -> usize {
        let before = self.tokens.len();
        self.tokens.retain(|t| t.principal.name != name);
        before - self.tokens.len()
    }
}

impl Principal {
    /// A principal whose role and jurisdiction fit together (a local
    /// editor's names a real division), named `name` or `ROLE:JURISDICTION`.
    /// The one check of a scope, for tokens made here and for JWT claims.
    pub fn new(
        role: Role,
        jurisdiction: Option<Jurisdiction>,
        name: Option<String>,
    ) -> Result<Self, AuthError> {
        let jurisdiction = match (role, jurisdiction) {
            (Role::NationalEditor, None) => Some(Jurisdiction::national()),
            (Role::NationalEditor, Some(j)) if j.is_national() => Some(j),
            (Role::NationalEditor, Some(j)) => {
                return Err(AuthError::BadScope(format!(
                    "a national editor publishes the national standard CN, not {j}; use --role local-editor for {j}"
                )));
            }
            (Role::LocalEditor, Some(j)) if !j.is_national() => {
                compliance::divisions::check(&j).map_err(|e| AuthError::BadScope(e.to_string()))?;
                Some(j)
            }
            (Role::LocalEditor, _) => {
                return Err(AuthError::BadScope(
                    "a local editor needs --jurisdiction with a six-digit division code, e.g. 510000".to_owned(),
                ));
            }
            (Role::Auditor, None) => None,
            (Role::Auditor, Some(j)) => {
                return Err(AuthError::BadScope(format!(
                    "an auditor reads every jurisdiction and publishes none: drop --jurisdiction {j}"
                )));
            }
        };
        let name = name.unwrap_or_else(|| match &jurisdiction {
            Some(j) => format!("{role}:{j}"),
            None => role.to_string(),
        });
        Ok(Principal {
            name,
            role,
            jurisdiction,
        })
    }
}

/// What a server accepts as bearer tokens: the static tokens of a tokens
/// file, and with [`Tokens::with_jwt`] JWTs of an OpenID Connect issuer.
///
/// A tokens file given by path ([`Tokens::watch`]) is read again when it
/// changes: every request with an `Authorization` header looks at the
/// file's modification time, size and inode (one `stat`), so a token added
/// or revoked with `stdreg token` counts from the next request on, without a
/// restart. A file that no longer reads accepts no static token until it
/// is fixed (the server logs why).
#[derive(Debug, Default)]
pub struct Tokens {
    statics: Reloading<StaticTokens>,
    jwt: Option<crate::jwt::JwtVerifier>,
}

/// The static tokens by hash.
#[derive(Debug, Default)]
struct StaticTokens {
    by_hash: HashMap<String, (Principal, Option<DateTime<Utc>>)>,
}

impl StaticTokens {
    fn new(file: &TokenFile) -> Self {
        Self {
            by_hash: file
                .tokens
                .iter()
                .map(|t| {
                    (
                        t.sha256.to_ascii_lowercase(),
                        (t.principal.clone(), t.expires_at),
                    )
                })
                .collect(),
        }
    }

    fn load(path: &Path) -> Result<Self, AuthError> {
        TokenFile::load(path).map(|file| Self::new(&file))
    }
}

impl Tokens {
    /// No tokens: every mutation is refused.
    pub fn none() -> Self {
        Self::default()
    }

    /// The tokens of `file`, as they are now (never read again).
    pub fn from_file(file: &TokenFile) -> Self {
        Self {
            statics: Reloading::fixed(StaticTokens::new(file)),
            jwt: None,
        }
    }

    /// The tokens of the file at `path`, read now and again whenever it
    /// changes. Fails when the file does not read now.
    pub fn watch(path: &Path) -> Result<Self, AuthError> {
        Ok(Self {
            statics: Reloading::watch(path, StaticTokens::load)?,
            jwt: None,
        })
    }

    /// Also accepts JWTs that `verifier` verifies.
    pub fn with_jwt(mut self, verifier: crate::jwt::JwtVerifier) -> Self {
        self.jwt = Some(verifier);
        self
    }

    /// Static tokens accepted now.
    pub fn len(&self) -> usize {
        self.statics.current().by_hash.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether JWTs are accepted.
    pub fn accepts_jwt(&self) -> bool {
        self.jwt.is_some()
    }

    /// The caller an `Authorization` header value names.
    pub fn caller(&self, authorization: Option<&str>) -> Caller {
        let Some(value) = authorization else {
            return Caller::Anonymous;
        };
        let value = value.trim();
        let token = match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => return Caller::InvalidToken,
        };
        let now = Utc::now();
        if let Some(jwt) = &self.jwt
            && !token.starts_with(TOKEN_PREFIX)
        {
            return jwt.caller(token);
        }
        // Looked up by hash: the comparison never sees the token itself.
        match self.statics.current().by_hash.get(&hex(&hash(token))) {
            Some((principal, Some(expires_at))) if *expires_at <= now => Caller::Refused(format!(
                "the token of {} expired at {expires_at}; ask for a new one (`stdreg token add --expires`)",
                principal.name
            )),
            Some((principal, _)) => Caller::Principal(principal.clone()),
            None => Caller::InvalidToken,
        }
    }
}

/// Reads a value from a file.
type Loader<T> = fn(&Path) -> Result<T, AuthError>;

/// A value read from a file, read again when the file changes: the tokens
/// file and the JWKS file. Without a path, a fixed value.
#[derive(Debug, Default)]
pub(crate) struct Reloading<T> {
    path: Option<std::path::PathBuf>,
    load: Option<Loader<T>>,
    current: std::sync::RwLock<(Option<Stamp>, Arc<T>)>,
}

/// What tells that a file changed: a save through a temporary file and a
/// rename changes the inode even within one tick of the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<std::time::SystemTime>,
    len: u64,
    inode: u64,
}

impl Stamp {
    fn of(path: &Path) -> Option<Self> {
        let metadata = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&metadata);
        #[cfg(not(unix))]
        let inode = 0;
        Some(Self {
            modified: metadata.modified().ok(),
            len: metadata.len(),
            inode,
        })
    }
}

impl<T: Default> Reloading<T> {
    pub(crate) fn fixed(value: T) -> Self {
        Self {
            path: None,
            load: None,
            current: std::sync::RwLock::new((None, Arc::new(value))),
        }
    }

    /// Reads `path` now (an error is returned) and again when it changes.
    pub(crate) fn watch(
        path: &Path,
        load: fn(&Path) -> Result<T, AuthError>,
    ) -> Result<Self, AuthError> {
        let stamp = Stamp::of(path);
        let value = load(path)?;
        Ok(Self {
            path: Some(path.to_owned()),
            load: Some(load),
            current: std::sync::RwLock::new((stamp, Arc::new(value))),
        })
    }

    /// The value as the file holds it now.
    pub(crate) fn current(&self) -> Arc<T> {
        let held = |current: &(Option<Stamp>, Arc<T>)| Arc::clone(&current.1);
        let (Some(path), Some(load)) = (&self.path, self.load) else {
            return self.current.read().map(|c| held(&c)).unwrap_or_default();
        };
        let stamp = Stamp::of(path);
        match self.current.read() {
            Ok(current) if current.0 == stamp => return held(&current),
            _ => {}
        }
        let value = match load(path) {
            Ok(value) => value,
            Err(e) => {
                // Fail closed: a file that does not read grants nothing.
                tracing::error!(error = %e, "reloading failed: nothing of this file is accepted until it reads again");
                T::default()
            }
        };
        let value = Arc::new(value);
        if let Ok(mut current) = self.current.write() {
            *current = (stamp, Arc::clone(&value));
        }
        tracing::info!(path = %path.display(), "read again after a change");
        value
    }
}

fn generate_token() -> Result<String, AuthError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| AuthError::Random(e.to_string()))?;
    Ok(format!("{TOKEN_PREFIX}{}", hex(&bytes)))
}

fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn j(text: &str) -> Jurisdiction {
        Jurisdiction::parse(text).expect("jurisdiction")
    }

    #[test]
    fn scope_follows_roles_and_containment() {
        let national = Principal {
            name: "n".into(),
            role: Role::NationalEditor,
            jurisdiction: Some(Jurisdiction::national()),
        };
        let sichuan = Principal {
            name: "s".into(),
            role: Role::LocalEditor,
            jurisdiction: Some(j("510000")),
        };
        let auditor = Principal {
            name: "a".into(),
            role: Role::Auditor,
            jurisdiction: None,
        };
        let cases = [
            (&national, "CN", true),
            (&national, "510000", false),
            (&sichuan, "510000", true),
            (&sichuan, "510100", true),
            (&sichuan, "510104", true),
            (&sichuan, "CN", false),
            (&sichuan, "110000", false),
            (&auditor, "CN", false),
        ];
        for (who, target, allowed) in cases {
            assert_eq!(
                who.may_publish(&j(target)).is_ok(),
                allowed,
                "{} on {target}",
                who.name
            );
        }
    }

    #[test]
    fn tokens_are_found_by_hash_only() {
        let mut file = TokenFile::default();
        let (token, principal) = file
            .add(Role::LocalEditor, Some(j("510000")), None, Utc::now())
            .expect("add");
        assert!(token.starts_with(TOKEN_PREFIX));
        let text = serde_json::to_string(&file).expect("json");
        assert!(!text.contains(&token), "the file must not hold the token");
        let tokens = Tokens::from_file(&file);
        assert_eq!(
            tokens.caller(Some(&format!("Bearer {token}"))),
            Caller::Principal(principal)
        );
        assert_eq!(tokens.caller(Some("Bearer nope")), Caller::InvalidToken);
        assert_eq!(tokens.caller(Some(&token)), Caller::InvalidToken);
        assert_eq!(tokens.caller(None), Caller::Anonymous);
    }

    #[test]
    fn files_written_before_expiry_existed_still_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tokens.json");
        let old = r#"{"format": "stdreg.tokens/1", "tokens": [{"name": "editor:ndrc",
            "role": "national_editor", "jurisdiction": "CN",
            "sha256": "00", "created_at": "2024-01-01T00:00:00Z"}]}"#;
        std::fs::write(&path, old).expect("write");
        let file = TokenFile::load(&path).expect("an old file reads");
        assert_eq!(file.tokens[0].principal.name, "editor:ndrc");
        assert_eq!(file.tokens[0].expires_at, None);
        assert!(
            !serde_json::to_string(&file)
                .expect("json")
                .contains("expires_at"),
            "a token without expiry is written as before"
        );
    }

    #[test]
    fn scopes_that_do_not_fit_are_refused() {
        let mut file = TokenFile::default();
        assert!(
            file.add(Role::NationalEditor, Some(j("510000")), None, Utc::now())
                .is_err()
        );
        assert!(file.add(Role::LocalEditor, None, None, Utc::now()).is_err());
        assert!(
            file.add(Role::LocalEditor, Some(j("CN")), None, Utc::now())
                .is_err()
        );
    }
}
