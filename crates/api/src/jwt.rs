//! Bearer JWTs of an OpenID Connect issuer: the signature checked with a
//! key of a JWKS file, the issuer, audience and expiry checked, and the
//! role, jurisdiction and name read from configured claims.
//!
//! Only public keys verify: a key set holding a symmetric (`oct`) key is
//! refused, and a token is checked only with the algorithms of its key (the
//! key's `alg`, or the algorithms of its type), never the one the token
//! names alone. The JWKS file is read again when it changes, as the tokens
//! file is, so keys rotate without a restart.

use std::path::{Path, PathBuf};

use domain::ids::Jurisdiction;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use crate::auth::{AuthError, Caller, Principal, Reloading, Role};

/// Allowed difference between this server's clock and the issuer's, for
/// `exp` and `nbf`.
pub const CLOCK_SKEW_SECONDS: u64 = 60;

/// What a server accepts as a JWT.
#[derive(Debug, Clone)]
pub struct JwtConfig {
    /// The `iss` a token must carry (the issuer's URL in OpenID Connect).
    pub issuer: String,
    /// An `aud` a token must carry (the client id this server is registered as).
    pub audience: String,
    /// The issuer's public keys, a JWKS (`{"keys": [...]}`) as its `jwks_uri` serves it.
    pub jwks_file: PathBuf,
    /// The claim naming the role: `national-editor`, `local-editor` or
    /// `auditor` (`_` for `-` also), a string or an array holding one of
    /// them. A dotted name (`realm_access.roles`) reaches into objects.
    pub role_claim: String,
    /// The claim naming a local editor's jurisdiction (six digits).
    pub jurisdiction_claim: String,
    /// The claim recorded as the actor of what the token publishes.
    pub name_claim: String,
}

/// Verifies JWTs as a [`JwtConfig`] says.
#[derive(Debug)]
pub struct JwtVerifier {
    config: JwtConfig,
    keys: Reloading<Keys>,
}

/// The keys of a JWKS file, each with the algorithms it verifies.
#[derive(Debug, Default)]
struct Keys {
    keys: Vec<Key>,
}

struct Key {
    id: Option<String>,
    algorithms: Vec<Algorithm>,
    key: DecodingKey,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("id", &self.id)
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

impl Keys {
    fn load(path: &Path) -> Result<Self, AuthError> {
        let malformed = |message: String| AuthError::Jwks {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| malformed(e.to_string()))?;
        let set: JwkSet = serde_json::from_str(&text)
            .map_err(|e| malformed(format!("not a JWKS ({{\"keys\": [...]}}): {e}")))?;
        let keys = set
            .keys
            .iter()
            .enumerate()
            .map(|(index, jwk)| Key::new(jwk).map_err(|e| malformed(format!("keys[{index}]: {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err(malformed("it holds no keys".to_owned()));
        }
        Ok(Self { keys })
    }
}

impl Key {
    fn new(jwk: &Jwk) -> Result<Self, String> {
        let by_type: &[Algorithm] = match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => &[
                Algorithm::RS256,
                Algorithm::RS384,
                Algorithm::RS512,
                Algorithm::PS256,
                Algorithm::PS384,
                Algorithm::PS512,
            ],
            AlgorithmParameters::EllipticCurve(p) => match p.curve {
                EllipticCurve::P256 => &[Algorithm::ES256],
                EllipticCurve::P384 => &[Algorithm::ES384],
                _ => {
                    return Err(
                        "an elliptic-curve key on a curve other than P-256 or P-384".to_owned()
                    );
                }
            },
            AlgorithmParameters::OctetKeyPair(p) => {
                // The verifier takes the first 32 bytes of `x`: check there are exactly 32.
                let x = base64::Engine::decode(
                    &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                    p.x.trim_end_matches('='),
                )
                .map_err(|_| "`x` is not base64url".to_owned())?;
                if p.curve != EllipticCurve::Ed25519 || x.len() != 32 {
                    return Err("an octet key pair that is not an Ed25519 public key".to_owned());
                }
                &[Algorithm::EdDSA]
            }
            AlgorithmParameters::OctetKey(_) => {
                return Err(
                    "a symmetric (`oct`) key: a key set for stdreg holds public keys only"
                        .to_owned(),
                );
            }
            _ => return Err("a key of a type this server does not verify with".to_owned()),
        };
        let algorithms = match jwk.common.key_algorithm {
            Some(stated) => {
                let stated = Algorithm::try_from(stated)
                    .map_err(|_| format!("`alg` {stated} is not a signature algorithm"))?;
                if !by_type.contains(&stated) {
                    return Err(format!("`alg` {stated:?} does not fit the key's type"));
                }
                vec![stated]
            }
            None => by_type.to_vec(),
        };
        let key =
            DecodingKey::from_jwk(jwk).map_err(|e| format!("not a usable public key: {e}"))?;
        Ok(Self {
            id: jwk.common.key_id.clone(),
            algorithms,
            key,
        })
    }
}

impl JwtVerifier {
    /// Reads the key set now; fails when it does not read.
    pub fn new(config: JwtConfig) -> Result<Self, AuthError> {
        let keys = Reloading::watch(&config.jwks_file, Keys::load)?;
        Ok(Self { config, keys })
    }

    /// Keys in the key set now.
    pub fn key_count(&self) -> usize {
        self.keys.current().keys.len()
    }

    pub(crate) fn caller(&self, token: &str) -> Caller {
        match self.verify(token) {
            Ok(principal) => Caller::Principal(principal),
            Err(why) => Caller::Refused(why),
        }
    }

    fn verify(&self, token: &str) -> Result<Principal, String> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| {
            "the bearer token is neither a token of this server nor a JWT: check the `Authorization` header".to_owned()
        })?;
        let keys = self.keys.current();
        let key = match &header.kid {
            Some(kid) => keys.keys.iter().find(|k| k.id.as_deref() == Some(kid)),
            None if keys.keys.len() == 1 => keys.keys.first(),
            None => None,
        }
        .ok_or_else(|| match &header.kid {
            Some(kid) => format!(
                "the JWT is signed with key '{}', which is not in this server's key set",
                domain::input::quote(kid)
            ),
            None => {
                "the JWT names no key (`kid`) and this server's key set holds several".to_owned()
            }
        })?;
        if !key.algorithms.contains(&header.alg) {
            return Err(format!(
                "the JWT is signed with {:?}, which its key does not verify",
                header.alg
            ));
        }
        let mut validation = Validation::new(header.alg);
        validation.algorithms = key.algorithms.clone();
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = CLOCK_SKEW_SECONDS;
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation)
            .map_err(|e| self.refusal(e.kind()))?;
        self.principal(&data.claims)
    }

    fn refusal(&self, kind: &ErrorKind) -> String {
        match kind {
            ErrorKind::ExpiredSignature => {
                "the JWT has expired: get a new one from the issuer".to_owned()
            }
            ErrorKind::ImmatureSignature => "the JWT is not valid yet (`nbf`)".to_owned(),
            ErrorKind::InvalidIssuer => format!(
                "the JWT was not issued by {}, the issuer this server trusts",
                self.config.issuer
            ),
            ErrorKind::InvalidAudience => format!(
                "the JWT is not meant for {}, this server's audience",
                self.config.audience
            ),
            ErrorKind::InvalidSignature => {
                "the JWT's signature does not verify with the key it names".to_owned()
            }
            ErrorKind::MissingRequiredClaim(claim) => {
                format!("the JWT has no `{}` claim", domain::input::quote(claim))
            }
            _ => "the JWT is malformed or does not verify".to_owned(),
        }
    }

    /// The principal the claims name, with the one scope check of every token.
    fn principal(&self, claims: &Map<String, Value>) -> Result<Principal, String> {
        let config = &self.config;
        let roles: Vec<Role> = match claim(claims, &config.role_claim) {
            Some(Value::String(role)) => vec![role.clone()],
            Some(Value::Array(roles)) => roles
                .iter()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
        .iter()
        .filter_map(|r| r.parse().ok())
        .collect();
        let role = match roles.as_slice() {
            [role] => *role,
            [first, rest @ ..] if rest.iter().all(|r| r == first) => *first,
            [] => {
                return Err(format!(
                    "the JWT's `{}` claim names no role of this server (national-editor, local-editor, auditor)",
                    config.role_claim
                ));
            }
            _ => {
                return Err(format!(
                    "the JWT's `{}` claim names several roles of this server; it must name one",
                    config.role_claim
                ));
            }
        };
        let jurisdiction = match (role, claim(claims, &config.jurisdiction_claim)) {
            // An auditor reads everything: a jurisdiction in its claims narrows nothing.
            (Role::Auditor, _) | (_, None | Some(Value::Null)) => None,
            (_, Some(Value::String(code))) => Some(
                Jurisdiction::parse(code)
                    .map_err(|e| format!("the JWT's `{}` claim: {e}", config.jurisdiction_claim))?,
            ),
            (_, Some(_)) => {
                return Err(format!(
                    "the JWT's `{}` claim is not a division code",
                    config.jurisdiction_claim
                ));
            }
        };
        let name = match claim(claims, &config.name_claim) {
            Some(Value::String(name)) if !name.trim().is_empty() => name.trim().to_owned(),
            _ => {
                return Err(format!(
                    "the JWT has no `{}` claim to record as the actor",
                    config.name_claim
                ));
            }
        };
        Principal::new(role, jurisdiction, Some(name))
            .map_err(|e| format!("the JWT's role and jurisdiction do not fit: {e}"))
    }
}

/// A claim by name; a name that is not a claim but holds dots reaches into
/// objects (`realm_access.roles`).
fn claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    if let Some(value) = claims.get(name) {
        return Some(value);
    }
    let mut parts = name.split('.');
    let mut value = claims.get(parts.next()?)?;
    for part in parts {
        value = value.as_object()?.get(part)?;
    }
    Some(value)
}
