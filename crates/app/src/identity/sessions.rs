//! Sign-in sessions: login with lockout, refresh-token rotation (reuse revokes the family),
//! logout, and client-credentials tokens for integrations.

use crate::codes::Code;
use crate::identity::api_clients::secret_matches;
use crate::identity::password;
use crate::identity::principal::{Principal, Subject};
use crate::{App, AppError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use crm_domain::FieldError;
use crm_domain::identity::{ApiClientStatus, TokenType, UserStatus};
use crm_domain::platform::TenantCode;
use crm_store::StoreError;
use crm_store::identity::sessions::NewRefreshToken;
use crm_store::identity::users::UserRecord;
use crm_store::identity::{api_clients, login_failures, sessions, users};
use crm_store::platform::config_generation;
use crm_store::platform::tenants;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::time::Duration;
use uuid::Uuid;

/// When repeated failed sign-ins lock a user or a client address out.
#[derive(Debug, Clone, Copy)]
pub struct LockoutPolicy {
    /// Failures of one username (in one tenant) within `window` that lock it.
    pub user_threshold: i32,
    /// Failures from one client address within `window` that lock it.
    pub ip_threshold: i32,
    pub window: Duration,
    pub lock_for: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            user_threshold: 5,
            ip_threshold: 20,
            window: Duration::from_secs(900),
            lock_for: Duration::from_secs(900),
        }
    }
}

/// `POST /auth/login`, parsed: a tenant code (`default` when none was given), the username as
/// typed (looked up trimmed and lowercase) and the password, neither empty.
#[derive(Debug, Clone)]
pub struct LoginCommand {
    pub tenant: TenantCode,
    pub username: String,
    pub password: String,
    /// The caller's address, for per-address lockout.
    pub client_ip: Option<String>,
}

/// Tokens of a session. The access token is a JWT valid for `expires_in` seconds; the refresh
/// token works once and is replaced on every refresh.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: TokenType,
    #[cfg_attr(feature = "openapi", schema(example = 900))]
    pub expires_in: u64,
}

/// A client access token.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientToken {
    pub access_token: String,
    pub token_type: TokenType,
    #[cfg_attr(feature = "openapi", schema(example = 900))]
    pub expires_in: u64,
    /// Space-separated scopes the token carries.
    #[cfg_attr(feature = "openapi", schema(example = "users:read"))]
    pub scope: String,
}

const INVALID_LOGIN: AppError = AppError::Unauthenticated { code: Code::AuthInvalidCredentials };
const INVALID_REFRESH: AppError = AppError::Unauthenticated { code: Code::AuthInvalidRefreshToken };
const INVALID_CLIENT: AppError = AppError::Unauthenticated { code: Code::AuthInvalidClient };

fn chrono_dur(d: Duration) -> Result<chrono::Duration, AppError> {
    chrono::Duration::from_std(d).map_err(|e| AppError::Internal(e.to_string()))
}

fn commit_err(e: crm_store::DbErr) -> AppError {
    StoreError::from(e).into()
}

impl App {
    /// Checks username and password in a tenant (default `default`) and opens a session.
    /// After repeated failures the username, or the client address, is locked for a while (429).
    pub async fn login(&self, cmd: LoginCommand) -> Result<Tokens, AppError> {
        let code = cmd.tenant;
        let username = cmd.username.trim().to_lowercase();
        let user_key = format!("user:{}:{username}", code.as_str());
        let ip_key = cmd.client_ip.as_ref().map(|ip| format!("ip:{ip}"));
        let now = Utc::now();
        let db = self.store().conn();
        for key in std::iter::once(&user_key).chain(ip_key.as_ref()) {
            if let Some(until) = login_failures::locked_until(db, key).await?.filter(|u| *u > now) {
                return Err(locked(until, now));
            }
        }

        let tenant = tenants::find_by_code(db, code.as_str()).await?;
        let user = match &tenant {
            Some(t) => users::find_by_username(db, t.id, &username).await?,
            None => None,
        };
        let ok = password::verify(&cmd.password, user.as_ref().map(|u| u.password_hash.as_str())).await?;
        let policy = self.lockout();
        let tx = self.store().begin_write().await?;
        let Some(user) = user.filter(|_| ok) else {
            let (window, lock_for) = (chrono_dur(policy.window)?, chrono_dur(policy.lock_for)?);
            login_failures::record_failure(&tx, &user_key, now, window, policy.user_threshold, lock_for).await?;
            if let Some(k) = &ip_key {
                login_failures::record_failure(&tx, k, now, window, policy.ip_threshold, lock_for).await?;
            }
            tx.commit().await.map_err(commit_err)?;
            return Err(INVALID_LOGIN);
        };
        // Locked and read again: a password reset or disabling that committed meanwhile wins,
        // and the token carries the generation current at commit.
        let current = users::find_locked(&tx, user.tenant_id, user.id).await?;
        let Some(user) = current.filter(|u| u.password_hash == user.password_hash) else {
            return Err(INVALID_LOGIN);
        };
        let principal = active_principal(&user)?;
        login_failures::clear(&tx, &user_key).await?;
        let tokens = self.open_session(&tx, &principal, Uuid::now_v7()).await?;
        tx.commit().await.map_err(commit_err)?;
        Ok(tokens)
    }

    /// Exchanges a refresh token for new tokens. Each refresh token works once; presenting a used
    /// one again means it leaked, so the whole session family is revoked.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Tokens, AppError> {
        let tx = self.store().begin_write().await?;
        let row = sessions::find_by_hash(&tx, &token_hash(refresh_token)).await?.ok_or(INVALID_REFRESH)?;
        // The user first, then the session (the order of password resets and logouts too).
        let user = users::find_locked(&tx, row.tenant_id, row.user_id).await?.ok_or(INVALID_REFRESH)?;
        let row = sessions::find_by_hash(&tx, &token_hash(refresh_token)).await?.ok_or(INVALID_REFRESH)?;
        if row.revoked_at.is_some() || row.expires_at <= Utc::now() {
            return Err(INVALID_REFRESH);
        }
        if row.used_at.is_some() || !sessions::mark_used(&tx, &row).await? {
            sessions::revoke_family(&tx, row.tenant_id, row.family_id).await?;
            tx.commit().await.map_err(commit_err)?;
            tracing::warn!(family = %row.family_id, "refresh token reused; session family revoked");
            return Err(AppError::Unauthenticated { code: Code::AuthRefreshTokenReused });
        }
        let principal = active_principal(&user)?;
        let tokens = self.open_session(&tx, &principal, row.family_id).await?;
        tx.commit().await.map_err(commit_err)?;
        Ok(tokens)
    }

    /// Ends the session the refresh token belongs to, and every access token of the user (an
    /// access token does not name its session, so the user's other sessions must refresh; their
    /// refresh tokens keep working). Unknown tokens are ignored (logout is idempotent).
    pub async fn logout(&self, refresh_token: &str) -> Result<(), AppError> {
        let tx = self.store().begin_write().await?;
        if let Some(row) = sessions::find_by_hash(&tx, &token_hash(refresh_token)).await? {
            let (tenant, user) = (row.tenant_id, row.user_id);
            users::find_locked(&tx, tenant, user).await?;
            sessions::revoke_family(&tx, tenant, row.family_id).await?;
            users::bump_token_generation(&tx, tenant, user).await?;
            config_generation::bump(&tx, tenant).await?;
        }
        tx.commit().await.map_err(commit_err)?;
        Ok(())
    }

    /// Client credentials: a token limited to the client's scopes, or to `requested` of them.
    pub async fn client_token(
        &self,
        client_id: &str,
        client_secret: &str,
        requested: Option<&str>,
    ) -> Result<ClientToken, AppError> {
        let client = api_clients::find_by_client_id(self.store().conn(), client_id).await?;
        let Some(client) = client.filter(|c| secret_matches(client_secret, &c.secret_hash)) else {
            return Err(INVALID_CLIENT);
        };
        if client.status != ApiClientStatus::Active {
            return Err(INVALID_CLIENT);
        }
        let held = &client.scopes;
        let scopes: Vec<String> = match requested {
            None => held.iter().cloned().collect(),
            Some(r) => {
                let asked: Vec<String> = r.split_whitespace().map(str::to_owned).collect();
                if let Some((i, _)) = asked.iter().enumerate().find(|(_, s)| !held.contains(*s)) {
                    return Err(FieldError::new("/scope", "scope_not_granted").with("index", i).into());
                }
                asked
            }
        };
        let scope = scopes.join(" ");
        let principal = Principal {
            tenant_id: client.tenant_id,
            subject: Subject::Client { id: client.id, scopes },
            generation: client.token_generation,
        };
        Ok(ClientToken {
            access_token: self.tokens().issue(&principal)?,
            token_type: TokenType::Bearer,
            expires_in: self.tokens().access_ttl().as_secs(),
            scope,
        })
    }

    /// Verifies an access token.
    pub fn authenticate(&self, bearer: &str) -> Result<Principal, AppError> {
        self.tokens().verify(bearer)
    }

    async fn open_session(
        &self,
        tx: &crm_store::DatabaseTransaction,
        p: &Principal,
        family: Uuid,
    ) -> Result<Tokens, AppError> {
        let Subject::User(user) = p.subject else {
            return Err(AppError::Internal("sessions are for users".to_owned()));
        };
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let refresh_token = URL_SAFE_NO_PAD.encode(bytes);
        let ttl = chrono_dur(self.tokens().refresh_ttl())?;
        let new = NewRefreshToken {
            tenant_id: p.tenant_id,
            family_id: family,
            user_id: user,
            token_hash: &token_hash(&refresh_token),
            expires_at: Utc::now() + ttl,
        };
        sessions::insert(tx, new).await?;
        Ok(Tokens {
            access_token: self.tokens().issue(p)?,
            refresh_token,
            token_type: TokenType::Bearer,
            expires_in: self.tokens().access_ttl().as_secs(),
        })
    }
}

/// The principal of an active user, carrying the user's current token generation.
fn active_principal(user: &UserRecord) -> Result<Principal, AppError> {
    if user.status != UserStatus::Active {
        return Err(AppError::Unauthenticated { code: Code::AuthUserDisabled });
    }
    Ok(Principal { tenant_id: user.tenant_id, subject: Subject::User(user.id), generation: user.token_generation })
}

fn locked(until: DateTime<Utc>, now: DateTime<Utc>) -> AppError {
    let secs = (until - now).num_seconds().max(1) as u64;
    AppError::RateLimited { code: Code::AuthLocked, retry_after_secs: secs }
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
