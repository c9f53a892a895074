//! Sign-in sessions: login, refresh-token rotation (reuse revokes the family), logout.

use crate::identity::password;
use crate::{App, AppError, Principal};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use crm_domain::identity::UserStatus;
use crm_domain::ids::{TenantId, UserId};
use crm_domain::platform::TenantCode;
use crm_domain::{FieldError, FieldErrors};
use crm_store::identity::{sessions, users};
use crm_store::platform::tenants;
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// `POST /auth/login` input.
pub struct LoginCommand {
    pub tenant: Option<String>,
    pub username: String,
    pub password: String,
}

/// What a successful login or refresh returns.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
}

const INVALID_LOGIN: AppError = AppError::Unauthenticated {
    code: "auth.invalid_credentials",
};
const INVALID_REFRESH: AppError = AppError::Unauthenticated {
    code: "auth.invalid_refresh_token",
};

impl App {
    /// Checks username and password in a tenant (default `default`) and opens a session.
    pub async fn login(&self, cmd: LoginCommand) -> Result<Tokens, AppError> {
        let mut errs = FieldErrors::default();
        let code = match cmd.tenant.as_deref() {
            None => Some(TenantCode::default_code()),
            Some(t) => errs.check(TenantCode::parse("/tenant", t)),
        };
        if cmd.username.trim().is_empty() {
            errs.push(FieldError::new("/username", "required"));
        }
        if cmd.password.is_empty() {
            errs.push(FieldError::new("/password", "required"));
        }
        errs.into_result()?;
        let code = code.ok_or(INVALID_LOGIN)?;
        let db = self.store().conn();
        let tenant = tenants::find_by_code(db, code.as_str()).await?;
        let user = match &tenant {
            Some(t) => {
                users::find_by_username(db, TenantId(t.id), &cmd.username.trim().to_lowercase())
                    .await?
            }
            None => None,
        };
        let ok = password::verify(
            &cmd.password,
            user.as_ref().map(|u| u.password_hash.as_str()),
        )
        .await?;
        let user = user.filter(|_| ok).ok_or(INVALID_LOGIN)?;
        if UserStatus::parse(&user.status) != Some(UserStatus::Active) {
            return Err(AppError::Unauthenticated {
                code: "auth.user_disabled",
            });
        }
        let principal = Principal {
            tenant_id: TenantId(user.tenant_id),
            user_id: UserId(user.id),
            is_platform_admin: user.is_platform_admin,
        };
        let tx = self.store().begin_write().await?;
        let tokens = self.open_session(&tx, &principal, Uuid::now_v7()).await?;
        tx.commit().await.map_err(crm_store::StoreError::from)?;
        Ok(tokens)
    }

    /// Exchanges a refresh token for new tokens. Each refresh token works once; presenting a used
    /// one again means it leaked, so the whole session family is revoked.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Tokens, AppError> {
        let tx = self.store().begin_write().await?;
        let row = sessions::find_by_hash(&tx, &token_hash(refresh_token))
            .await?
            .ok_or(INVALID_REFRESH)?;
        if row.revoked_at.is_some() || row.expires_at <= Utc::now() {
            return Err(INVALID_REFRESH);
        }
        if row.used_at.is_some() || !sessions::mark_used(&tx, &row).await? {
            sessions::revoke_family(&tx, row.tenant_id, row.family_id).await?;
            tx.commit().await.map_err(crm_store::StoreError::from)?;
            tracing::warn!(family = %row.family_id, "refresh token reused; session family revoked");
            return Err(AppError::Unauthenticated {
                code: "auth.refresh_token_reused",
            });
        }
        let user = users::find(&tx, TenantId(row.tenant_id), UserId(row.user_id))
            .await?
            .ok_or(INVALID_REFRESH)?;
        if UserStatus::parse(&user.status) != Some(UserStatus::Active) {
            return Err(AppError::Unauthenticated {
                code: "auth.user_disabled",
            });
        }
        let principal = Principal {
            tenant_id: TenantId(user.tenant_id),
            user_id: UserId(user.id),
            is_platform_admin: user.is_platform_admin,
        };
        let tokens = self.open_session(&tx, &principal, row.family_id).await?;
        tx.commit().await.map_err(crm_store::StoreError::from)?;
        Ok(tokens)
    }

    /// Ends the session the refresh token belongs to. Unknown tokens are ignored (logout is idempotent).
    pub async fn logout(&self, refresh_token: &str) -> Result<(), AppError> {
        let tx = self.store().begin_write().await?;
        if let Some(row) = sessions::find_by_hash(&tx, &token_hash(refresh_token)).await? {
            sessions::revoke_family(&tx, row.tenant_id, row.family_id).await?;
        }
        tx.commit().await.map_err(crm_store::StoreError::from)?;
        Ok(())
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
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let refresh_token = URL_SAFE_NO_PAD.encode(bytes);
        let ttl = chrono::Duration::from_std(self.tokens().refresh_ttl())
            .map_err(|e| AppError::Internal(e.to_string()))?;
        sessions::insert(
            tx,
            p.tenant_id,
            family,
            p.user_id,
            &token_hash(&refresh_token),
            Utc::now() + ttl,
        )
        .await?;
        Ok(Tokens {
            access_token: self.tokens().issue(p)?,
            refresh_token,
            expires_in: self.tokens().access_ttl().as_secs(),
        })
    }
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
