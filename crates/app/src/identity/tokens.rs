//! Access tokens: JWT per RFC 8725. One algorithm (HS256) is accepted, the header `typ` must be
//! `at+jwt` (RFC 9068), and `iss`, `aud`, `exp`, `sub` are required and checked.

use crate::AppError;
use crate::codes::Code;
use crate::identity::principal::{Principal, Subject};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use crm_domain::ids::{ApiClientId, TenantId, UserId};
use crm_store::Store;
use crm_store::platform::settings;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use uuid::Uuid;

const ALG: Algorithm = Algorithm::HS256;
const ACCESS_TYP: &str = "at+jwt";
const JWT_SECRET_KEY: &str = "jwt_secret";

/// Token settings from configuration.
#[derive(Clone)]
pub struct TokenConfig {
    /// When absent, a random key is generated once and kept in the database.
    pub secret: Option<SecretString>,
    pub issuer: String,
    pub audience: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

impl Default for TokenConfig {
    fn default() -> Self {
        Self {
            secret: None,
            issuer: "crm".to_owned(),
            audience: "crm-api".to_owned(),
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    sub: Uuid,
    tid: Uuid,
    iat: i64,
    exp: i64,
    jti: Uuid,
    /// `user` or `client`.
    act: String,
    /// Space-separated scopes of a client token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    /// The subject's token generation at issue. Tokens from before this claim existed read as
    /// generation 0, so the first revocation of their subject ends them too.
    #[serde(default)]
    r#gen: i64,
}

/// Signs and verifies access tokens.
pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    config: TokenConfig,
}

impl TokenService {
    pub(crate) async fn init(store: &Store, config: TokenConfig) -> Result<Self, AppError> {
        let secret = match &config.secret {
            Some(s) => s.expose_secret().to_owned(),
            None => {
                let mut bytes = [0u8; 32];
                rand::rng().fill_bytes(&mut bytes);
                settings::get_or_insert(store.conn(), JWT_SECRET_KEY, &STANDARD.encode(bytes)).await?
            }
        };
        if secret.len() < 32 {
            return Err(AppError::Internal("jwt_secret must be at least 32 characters".to_owned()));
        }
        let mut validation = Validation::new(ALG);
        validation.algorithms = vec![ALG];
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        let key_error = |e: jsonwebtoken::errors::Error| AppError::Internal(format!("unusable jwt_secret: {e}"));
        Ok(Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()).map_err(key_error)?,
            decoding: DecodingKey::from_secret(secret.as_bytes()).map_err(key_error)?,
            validation,
            config,
        })
    }

    pub fn access_ttl(&self) -> Duration {
        self.config.access_ttl
    }

    pub fn refresh_ttl(&self) -> Duration {
        self.config.refresh_ttl
    }

    /// A signed access token for `p`.
    pub fn issue(&self, p: &Principal) -> Result<String, AppError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            iss: self.config.issuer.clone(),
            aud: self.config.audience.clone(),
            sub: match &p.subject {
                Subject::User(u) => u.0,
                Subject::Client { id, .. } => id.0,
            },
            tid: p.tenant_id.0,
            iat: now,
            exp: now + self.config.access_ttl.as_secs() as i64,
            jti: Uuid::now_v7(),
            act: match p.subject {
                Subject::User(_) => "user".to_owned(),
                Subject::Client { .. } => "client".to_owned(),
            },
            scope: match &p.subject {
                Subject::User(_) => None,
                Subject::Client { scopes, .. } => Some(scopes.join(" ")),
            },
            r#gen: p.generation,
        };
        let mut header = Header::new(ALG);
        header.typ = Some(ACCESS_TYP.to_owned());
        jsonwebtoken::encode(&header, &claims, &self.encoding).map_err(|e| AppError::Internal(e.to_string()))
    }

    /// Verifies a bearer token and returns who it names.
    pub fn verify(&self, token: &str) -> Result<Principal, AppError> {
        let invalid = || AppError::Unauthenticated { code: Code::AuthInvalidToken };
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid())?;
        if header.alg != ALG || !header.typ.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(ACCESS_TYP)) {
            return Err(invalid());
        }
        let data =
            jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    AppError::Unauthenticated { code: Code::AuthTokenExpired }
                }
                _ => invalid(),
            })?;
        let c = data.claims;
        let subject = match c.act.as_str() {
            "user" => Subject::User(UserId(c.sub)),
            "client" => Subject::Client {
                id: ApiClientId(c.sub),
                scopes: c.scope.unwrap_or_default().split_whitespace().map(str::to_owned).collect(),
            },
            _ => return Err(invalid()),
        };
        Ok(Principal { tenant_id: TenantId(c.tid), subject, generation: c.r#gen })
    }
}
