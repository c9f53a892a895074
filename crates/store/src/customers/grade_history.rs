//! Lifecycle-grade history rows.

use crate::StoreError;
use crate::entities::customer_grade_history as gh;
use chrono::Utc;
use crm_domain::ids::TenantId;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

pub use gh::Model as GradeChangeRow;

pub async fn append(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    customer: Uuid,
    from: Option<&str>,
    to: &str,
    actor_type: &str,
    actor_id: Option<Uuid>,
) -> Result<(), StoreError> {
    let row = gh::ActiveModel {
        tenant_id: Set(tenant.0),
        id: Set(Uuid::now_v7()),
        customer_id: Set(customer),
        from_grade: Set(from.map(str::to_owned)),
        to_grade: Set(to.to_owned()),
        changed_at: Set(Utc::now()),
        actor_type: Set(actor_type.to_owned()),
        actor_id: Set(actor_id),
    };
    gh::Entity::insert(row).exec_without_returning(c).await?;
    Ok(())
}

/// The first grade of many new customers, with multi-row inserts: `(customer, grade)` pairs.
pub async fn append_first(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    first: &[(Uuid, &str)],
    actor_type: &str,
    actor_id: Option<Uuid>,
) -> Result<(), StoreError> {
    let now = Utc::now();
    for chunk in first.chunks(crate::MULTI_ROW_CHUNK) {
        let rows = chunk.iter().map(|(customer, to)| gh::ActiveModel {
            tenant_id: Set(tenant.0),
            id: Set(Uuid::now_v7()),
            customer_id: Set(*customer),
            from_grade: Set(None),
            to_grade: Set((*to).to_owned()),
            changed_at: Set(now),
            actor_type: Set(actor_type.to_owned()),
            actor_id: Set(actor_id),
        });
        gh::Entity::insert_many(rows).exec_without_returning(c).await?;
    }
    Ok(())
}

/// Oldest first.
pub async fn of_customer(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    customer: Uuid,
) -> Result<Vec<GradeChangeRow>, StoreError> {
    Ok(gh::Entity::find()
        .filter(gh::Column::TenantId.eq(tenant.0))
        .filter(gh::Column::CustomerId.eq(customer))
        .order_by_asc(gh::Column::Id)
        .all(c)
        .await?)
}

/// Newest first, strictly before `(before_time, before_id)` when given (for the timeline).
pub async fn page(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    customer: Uuid,
    before: Option<(chrono::DateTime<Utc>, Uuid)>,
    limit: u64,
) -> Result<Vec<GradeChangeRow>, StoreError> {
    use sea_orm::{Condition, QuerySelect};
    let mut q =
        gh::Entity::find().filter(gh::Column::TenantId.eq(tenant.0)).filter(gh::Column::CustomerId.eq(customer));
    if let Some((t, id)) = before {
        q = q.filter(
            Condition::any()
                .add(gh::Column::ChangedAt.lt(t))
                .add(Condition::all().add(gh::Column::ChangedAt.eq(t)).add(gh::Column::Id.lt(id))),
        );
    }
    Ok(q.order_by_desc(gh::Column::ChangedAt).order_by_desc(gh::Column::Id).limit(limit).all(c).await?)
}
