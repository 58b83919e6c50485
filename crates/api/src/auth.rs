//! Who may write: bearer tokens, their roles and jurisdictions.
//!
//! The tokens file keeps only SHA-256 hashes of the tokens; a token is shown
//! once, when it is made. Reads are public; every mutation needs a token.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

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
        let token = generate_token()?;
        let principal = Principal {
            name,
            role,
            jurisdiction,
        };
        self.tokens.push(TokenEntry {
            principal: principal.clone(),
            sha256: hex(&hash(&token)),
            created_at: now,
        });
        Ok((token, principal))
    }
}

/// The tokens a server accepts, by hash.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    by_hash: HashMap<String, Principal>,
}

impl Tokens {
    /// No tokens: every mutation is refused.
    pub fn none() -> Self {
        Self::default()
    }

    pub fn from_file(file: &TokenFile) -> Self {
        Self {
            by_hash: file
                .tokens
                .iter()
                .map(|t| (t.sha256.to_ascii_lowercase(), t.principal.clone()))
                .collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
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
        // Looked up by hash: the comparison never sees the token itself.
        match self.by_hash.get(&hex(&hash(token))) {
            Some(principal) => Caller::Principal(principal.clone()),
            None => Caller::InvalidToken,
        }
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
