//! The outbox: domain events appended in the transaction of the change that caused them, and read
//! back for operators (delivery, retries and parking arrive with the integration issue).

use crate::StoreError;
use crate::entities::outbox_events as ob;
use crm_domain::ids::TenantId;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

pub use ob::Model as OutboxRow;

/// Appends one event (built whole by `crm-app`).
pub async fn append(c: &impl ConnectionTrait, row: OutboxRow) -> Result<(), StoreError> {
    ob::Entity::insert(row.into_active_model()).exec_without_returning(c).await?;
    Ok(())
}

/// Filters of the operators' view.
#[derive(Debug, Default, Clone)]
pub struct OutboxFilter {
    pub event_type: Option<String>,
    pub aggregate_id: Option<Uuid>,
    pub status: Option<String>,
}

/// Newest first; `before` is the id of the last event of the previous page.
pub async fn page(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    f: &OutboxFilter,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<OutboxRow>, StoreError> {
    let mut q = ob::Entity::find().filter(ob::Column::TenantId.eq(tenant.0));
    if let Some(t) = &f.event_type {
        q = q.filter(ob::Column::EventType.eq(t.clone()));
    }
    if let Some(a) = f.aggregate_id {
        q = q.filter(ob::Column::AggregateId.eq(a));
    }
    if let Some(s) = &f.status {
        q = q.filter(ob::Column::Status.eq(s.clone()));
    }
    if let Some(b) = before {
        q = q.filter(ob::Column::Id.lt(b));
    }
    Ok(q.order_by_desc(ob::Column::Id).limit(limit).all(c).await?)
}
