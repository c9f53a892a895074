//! Refresh-token sessions: issue, use once (rotation), revoke a whole family.

use crate::StoreError;
use crate::entities::refresh_tokens as rt;
use chrono::{DateTime, Utc};
use crm_domain::ids::{TenantId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

pub use rt::Model as RefreshTokenRow;

pub async fn insert(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    family_id: Uuid,
    user: UserId,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let row = rt::ActiveModel {
        tenant_id: Set(tenant.0),
        id: Set(Uuid::now_v7()),
        family_id: Set(family_id),
        user_id: Set(user.0),
        token_hash: Set(token_hash.to_owned()),
        expires_at: Set(expires_at),
        used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(Utc::now()),
    };
    rt::Entity::insert(row).exec_without_returning(c).await?;
    Ok(())
}

pub async fn find_by_hash(c: &impl ConnectionTrait, token_hash: &str) -> Result<Option<RefreshTokenRow>, StoreError> {
    Ok(rt::Entity::find().filter(rt::Column::TokenHash.eq(token_hash)).one(c).await?)
}

/// Marks an unused, unrevoked token used; false when another request used (or revoked) it first.
pub async fn mark_used(c: &impl ConnectionTrait, row: &RefreshTokenRow) -> Result<bool, StoreError> {
    let res = rt::Entity::update_many()
        .col_expr(rt::Column::UsedAt, Expr::value(Utc::now()))
        .filter(rt::Column::TenantId.eq(row.tenant_id))
        .filter(rt::Column::Id.eq(row.id))
        .filter(rt::Column::UsedAt.is_null())
        .filter(rt::Column::RevokedAt.is_null())
        .exec(c)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Revokes every token of a family (logout, or reuse of a rotated token).
pub async fn revoke_family(c: &impl ConnectionTrait, tenant: Uuid, family_id: Uuid) -> Result<u64, StoreError> {
    let res = rt::Entity::update_many()
        .col_expr(rt::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(rt::Column::TenantId.eq(tenant))
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
