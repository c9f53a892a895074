//! Ownership and the public pool: conditional updates (a claim, an idle return), and the time of
//! the last interaction they go by.

use super::{Customer, all};
use crate::StoreError;
use crate::entities::customers as cu;
use chrono::{DateTime, Utc};
use crm_domain::ids::{CustomerId, TenantId, UserId};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// Records the time of the latest interaction (only moves forward; not a change of the record).
pub async fn touch_interaction(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: CustomerId,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    cu::Entity::update_many()
        .col_expr(cu::Column::LastInteractionAt, Expr::value(at))
        .filter(cu::Column::TenantId.eq(tenant.0))
        .filter(cu::Column::Id.eq(id.0))
        .filter(Condition::any().add(cu::Column::LastInteractionAt.is_null()).add(cu::Column::LastInteractionAt.lt(at)))
        .exec(c)
        .await?;
    Ok(())
}

/// Gives an unowned live customer to `user`; false when someone owns it already (or it is gone).
/// One conditional statement, so of two racing claims exactly one wins.
pub async fn claim_if_unowned(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: CustomerId,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let res = cu::Entity::update_many()
        .col_expr(cu::Column::OwnerId, Expr::value(user.0))
        .col_expr(cu::Column::OwnedSince, Expr::value(now))
        .filter(cu::Column::TenantId.eq(tenant.0))
        .filter(cu::Column::Id.eq(id.0))
        .filter(cu::Column::OwnerId.is_null())
        .filter(cu::Column::DeletedAt.is_null())
        .exec(c)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Idle when neither an interaction nor the current ownership is newer than `cutoff`.
fn idle_since(cutoff: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(
            Condition::any().add(cu::Column::LastInteractionAt.is_null()).add(cu::Column::LastInteractionAt.lt(cutoff)),
        )
        .add(Condition::any().add(cu::Column::OwnedSince.is_null()).add(cu::Column::OwnedSince.lt(cutoff)))
}

/// Owned live customers idle since `cutoff`, oldest id first, locked for the rest of the
/// transaction; on PostgreSQL a customer another transaction holds is skipped (`SKIP LOCKED`: the
/// next round takes it), so the job never waits on a row while it holds the change counter.
pub async fn idle_owned(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    cutoff: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Customer>, StoreError> {
    all(cu::Entity::find()
        .filter(cu::Column::TenantId.eq(tenant.0))
        .filter(cu::Column::OwnerId.is_not_null())
        .filter(cu::Column::DeletedAt.is_null())
        .filter(idle_since(cutoff))
        .order_by_asc(cu::Column::Id)
        .limit(limit)
        .lock_with_behavior(LockType::NoKeyUpdate, LockBehavior::SkipLocked)
        .all(c)
        .await?)
}

/// Puts a customer back into the pool if `owner` still owns it and it is still idle since
/// `cutoff`; false when another instance or a new interaction got there first.
pub async fn release_if_idle(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: CustomerId,
    owner: UserId,
    cutoff: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let res = cu::Entity::update_many()
        .col_expr(cu::Column::OwnerId, Expr::value(Option::<uuid::Uuid>::None))
        .col_expr(cu::Column::OwnedSince, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(cu::Column::TenantId.eq(tenant.0))
        .filter(cu::Column::Id.eq(id.0))
        .filter(cu::Column::OwnerId.eq(owner.0))
        .filter(cu::Column::DeletedAt.is_null())
        .filter(idle_since(cutoff))
        .exec(c)
        .await?;
    Ok(res.rows_affected == 1)
}

/// How many live customers `user` owns.
pub async fn count_owned(c: &impl ConnectionTrait, tenant: TenantId, user: UserId) -> Result<u64, StoreError> {
    use sea_orm::PaginatorTrait;
    Ok(cu::Entity::find()
        .filter(cu::Column::TenantId.eq(tenant.0))
        .filter(cu::Column::OwnerId.eq(user.0))
        .filter(cu::Column::DeletedAt.is_null())
        .count(c)
        .await?)
}
