//! Refresh-token sessions: issue, use once (rotation), revoke a whole family.

use crate::StoreError;
use crate::entities::refresh_tokens as rt;
use chrono::{DateTime, Utc};
use crm_domain::ids::{TenantId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

/// One issued refresh token (only its hash is stored); the tokens rotated from one login share
/// a family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenRecord {
    pub tenant_id: TenantId,
    pub id: Uuid,
    pub family_id: Uuid,
    pub user_id: UserId,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<rt::Model> for RefreshTokenRecord {
    fn from(m: rt::Model) -> Self {
        Self {
            tenant_id: TenantId(m.tenant_id),
            id: m.id,
            family_id: m.family_id,
            user_id: UserId(m.user_id),
            expires_at: m.expires_at,
            used_at: m.used_at,
            revoked_at: m.revoked_at,
        }
    }
}

/// A refresh token to store.
pub struct NewRefreshToken<'a> {
    pub tenant_id: TenantId,
    pub family_id: Uuid,
    pub user_id: UserId,
    /// SHA-256 of the token, hex.
    pub token_hash: &'a str,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert(c: &impl ConnectionTrait, t: NewRefreshToken<'_>) -> Result<(), StoreError> {
    let row = rt::ActiveModel {
        tenant_id: Set(t.tenant_id.0),
        id: Set(Uuid::now_v7()),
        family_id: Set(t.family_id),
        user_id: Set(t.user_id.0),
        token_hash: Set(t.token_hash.to_owned()),
        expires_at: Set(t.expires_at),
        used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(Utc::now()),
    };
    rt::Entity::insert(row).exec_without_returning(c).await?;
    Ok(())
}

pub async fn find_by_hash(
    c: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<RefreshTokenRecord>, StoreError> {
    Ok(rt::Entity::find().filter(rt::Column::TokenHash.eq(token_hash)).one(c).await?.map(Into::into))
}

/// Marks an unused, unrevoked token used; false when another request used (or revoked) it first.
pub async fn mark_used(c: &impl ConnectionTrait, row: &RefreshTokenRecord) -> Result<bool, StoreError> {
    let res = rt::Entity::update_many()
        .col_expr(rt::Column::UsedAt, Expr::value(Utc::now()))
        .filter(rt::Column::TenantId.eq(row.tenant_id.0))
        .filter(rt::Column::Id.eq(row.id))
        .filter(rt::Column::UsedAt.is_null())
        .filter(rt::Column::RevokedAt.is_null())
        .exec(c)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Revokes every token of a family (logout, or reuse of a rotated token).
pub async fn revoke_family(c: &impl ConnectionTrait, tenant: TenantId, family_id: Uuid) -> Result<u64, StoreError> {
    let res = rt::Entity::update_many()
        .col_expr(rt::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(rt::Column::TenantId.eq(tenant.0))
        .filter(rt::Column::FamilyId.eq(family_id))
        .filter(rt::Column::RevokedAt.is_null())
        .exec(c)
        .await?;
    Ok(res.rows_affected)
}

/// Revokes every session of a user (disabled, or password reset).
pub async fn revoke_user(c: &impl ConnectionTrait, tenant: TenantId, user: UserId) -> Result<u64, StoreError> {
    let res = rt::Entity::update_many()
        .col_expr(rt::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(rt::Column::TenantId.eq(tenant.0))
        .filter(rt::Column::UserId.eq(user.0))
        .filter(rt::Column::RevokedAt.is_null())
        .exec(c)
        .await?;
    Ok(res.rows_affected)
}
