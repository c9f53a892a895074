//! Segment rows and the members of static segments.

use crate::StoreError;
use crate::entities::{segment_members as sm, segments as sg};
use chrono::{DateTime, Utc};
use crm_domain::ids::TenantId;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

pub use sg::Model as SegmentRow;

pub async fn insert(c: &impl ConnectionTrait, row: SegmentRow) -> Result<SegmentRow, StoreError> {
    Ok(row.into_active_model().insert(c).await?)
}

pub async fn find(c: &impl ConnectionTrait, tenant: TenantId, id: Uuid) -> Result<Option<SegmentRow>, StoreError> {
    Ok(sg::Entity::find_by_id((tenant.0, id)).one(c).await?)
}

/// [`find`], locking the segment for the rest of the transaction (`FOR NO KEY UPDATE` on
/// PostgreSQL, nothing on SQLite): its `If-Match` check, its change or deletion, and changes of
/// its members then run one transaction at a time.
pub async fn lock(c: &impl ConnectionTrait, tenant: TenantId, id: Uuid) -> Result<Option<SegmentRow>, StoreError> {
    Ok(sg::Entity::find_by_id((tenant.0, id)).lock(sea_orm::sea_query::LockType::NoKeyUpdate).one(c).await?)
}

/// The tenant's segments by name.
pub async fn list(c: &impl ConnectionTrait, tenant: TenantId) -> Result<Vec<SegmentRow>, StoreError> {
    Ok(sg::Entity::find()
        .filter(sg::Column::TenantId.eq(tenant.0))
        .order_by_asc(sg::Column::Name)
        .order_by_asc(sg::Column::Id)
        .all(c)
        .await?)
}

/// Writes name, description, rules and `updated_at`.
pub async fn update(c: &impl ConnectionTrait, row: SegmentRow) -> Result<SegmentRow, StoreError> {
    let mut am = row.into_active_model();
    for col in [sg::Column::Name, sg::Column::Description, sg::Column::Rules, sg::Column::UpdatedAt] {
        am.reset(col);
    }
    Ok(am.update(c).await?)
}

/// Deletes a segment and its members.
pub async fn delete(c: &impl ConnectionTrait, tenant: TenantId, id: Uuid) -> Result<(), StoreError> {
    sm::Entity::delete_many()
        .filter(sm::Column::TenantId.eq(tenant.0))
        .filter(sm::Column::SegmentId.eq(id))
        .exec(c)
        .await?;
    sg::Entity::delete_by_id((tenant.0, id)).exec(c).await?;
    Ok(())
}

/// Adds customers to a static segment; ones already in it stay as they are (`ON CONFLICT DO
/// NOTHING`, so a concurrent add of the same customer is no error). Returns how many were added.
pub async fn add_members(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    segment: Uuid,
    customers: &[Uuid],
    by: Option<Uuid>,
    at: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let mut unique = customers.to_vec();
    unique.sort();
    unique.dedup();
    let mut added = 0;
    for chunk in unique.chunks(crate::MULTI_ROW_CHUNK) {
        let rows = chunk.iter().map(|id| sm::ActiveModel {
            tenant_id: Set(tenant.0),
            segment_id: Set(segment),
            customer_id: Set(*id),
            added_at: Set(at),
            added_by: Set(by),
        });
        added += insert_members(c, rows).await?;
    }
    Ok(added)
}

/// Inserts membership rows, leaving those already present as they are; returns how many were new.
pub(crate) async fn insert_members(
    c: &impl ConnectionTrait,
    rows: impl IntoIterator<Item = sm::ActiveModel>,
) -> Result<u64, StoreError> {
    Ok(sm::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([sm::Column::TenantId, sm::Column::SegmentId, sm::Column::CustomerId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(c)
        .await?)
}

/// Removes customers from a static segment (absent ones are ignored). Returns how many were removed.
pub async fn remove_members(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    segment: Uuid,
    customers: &[Uuid],
) -> Result<u64, StoreError> {
    let r = sm::Entity::delete_many()
        .filter(sm::Column::TenantId.eq(tenant.0))
        .filter(sm::Column::SegmentId.eq(segment))
        .filter(sm::Column::CustomerId.is_in(customers.to_vec()))
        .exec(c)
        .await?;
    Ok(r.rows_affected)
}

/// Whether a customer is a member of a static segment.
pub async fn is_member(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    segment: Uuid,
    customer: Uuid,
) -> Result<bool, StoreError> {
    Ok(sm::Entity::find_by_id((tenant.0, segment, customer)).one(c).await?.is_some())
}
