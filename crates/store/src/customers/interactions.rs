//! Interactions with customers, and the time-ordered pages the timeline merges.

use crate::StoreError;
use crate::entities::interactions as ix;
use chrono::{DateTime, Utc};
use crm_domain::ids::TenantId;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

pub use ix::Model as InteractionRow;

pub async fn insert(c: &impl ConnectionTrait, row: InteractionRow) -> Result<InteractionRow, StoreError> {
    let (t, id) = (row.tenant_id, row.id);
    ix::Entity::insert(row.into_active_model()).exec_without_returning(c).await?;
    ix::Entity::find_by_id((t, id)).one(c).await?.ok_or_else(|| StoreError::Config("interaction vanished".to_owned()))
}

/// Newest first, strictly before `(before_time, before_id)` when given.
pub async fn page(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    customer: Uuid,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: u64,
) -> Result<Vec<InteractionRow>, StoreError> {
    let mut q =
        ix::Entity::find().filter(ix::Column::TenantId.eq(tenant.0)).filter(ix::Column::CustomerId.eq(customer));
    if let Some((t, id)) = before {
        q = q.filter(
            Condition::any()
                .add(ix::Column::OccurredAt.lt(t))
                .add(Condition::all().add(ix::Column::OccurredAt.eq(t)).add(ix::Column::Id.lt(id))),
        );
    }
    Ok(q.order_by_desc(ix::Column::OccurredAt).order_by_desc(ix::Column::Id).limit(limit).all(c).await?)
}
