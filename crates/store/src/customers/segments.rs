//! Segment rows and the members of static segments.

use crate::StoreError;
use crate::entities::{segment_members as sm, segments as sg};
use crate::stored::parse_stored;
use chrono::{DateTime, Utc};
use crm_domain::customers::segments::SegmentKind;
use crm_domain::ids::{CustomerId, SegmentId, TenantId};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

/// A segment: a static list of customers, or rules that select them.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub tenant_id: TenantId,
    pub id: SegmentId,
    pub name: String,
    pub kind: SegmentKind,
    pub description: Option<String>,
    /// The normalized rules of a rule-based segment, as JSON text.
    pub rules: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<sg::Model> for Segment {
    type Error = StoreError;

    fn try_from(m: sg::Model) -> Result<Self, StoreError> {
        Ok(Self {
            tenant_id: TenantId(m.tenant_id),
            id: SegmentId(m.id),
            name: m.name,
            kind: parse_stored("segments.kind", &m.kind, SegmentKind::parse)?,
            description: m.description,
            rules: m.rules,
            created_by: m.created_by,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

fn model(r: Segment) -> sg::Model {
    sg::Model {
        tenant_id: r.tenant_id.0,
        id: r.id.0,
        name: r.name,
        kind: r.kind.as_str().to_owned(),
        description: r.description,
        rules: r.rules,
        created_by: r.created_by,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

fn one(m: Option<sg::Model>) -> Result<Option<Segment>, StoreError> {
    m.map(Segment::try_from).transpose()
}

pub async fn insert(c: &impl ConnectionTrait, r: Segment) -> Result<Segment, StoreError> {
    model(r).into_active_model().insert(c).await?.try_into()
}

pub async fn find(c: &impl ConnectionTrait, tenant: TenantId, id: SegmentId) -> Result<Option<Segment>, StoreError> {
    one(sg::Entity::find_by_id((tenant.0, id.0)).one(c).await?)
}

/// [`find`], locking the segment for the rest of the transaction (`FOR NO KEY UPDATE` on
/// PostgreSQL, nothing on SQLite): its `If-Match` check, its change or deletion, and changes of
/// its members then run one transaction at a time.
pub async fn lock(c: &impl ConnectionTrait, tenant: TenantId, id: SegmentId) -> Result<Option<Segment>, StoreError> {
    one(sg::Entity::find_by_id((tenant.0, id.0)).lock(sea_orm::sea_query::LockType::NoKeyUpdate).one(c).await?)
}

/// The tenant's segments by name.
pub async fn list(c: &impl ConnectionTrait, tenant: TenantId) -> Result<Vec<Segment>, StoreError> {
    sg::Entity::find()
        .filter(sg::Column::TenantId.eq(tenant.0))
        .order_by_asc(sg::Column::Name)
        .order_by_asc(sg::Column::Id)
        .all(c)
        .await?
        .into_iter()
        .map(Segment::try_from)
        .collect()
}

/// Writes name, description, rules and `updated_at`.
pub async fn update(c: &impl ConnectionTrait, r: Segment) -> Result<Segment, StoreError> {
    let mut am = model(r).into_active_model();
    for col in [sg::Column::Name, sg::Column::Description, sg::Column::Rules, sg::Column::UpdatedAt] {
        am.reset(col);
    }
    am.update(c).await?.try_into()
}

/// Deletes a segment and its members.
pub async fn delete(c: &impl ConnectionTrait, tenant: TenantId, id: SegmentId) -> Result<(), StoreError> {
    sm::Entity::delete_many()
        .filter(sm::Column::TenantId.eq(tenant.0))
        .filter(sm::Column::SegmentId.eq(id.0))
        .exec(c)
        .await?;
    sg::Entity::delete_by_id((tenant.0, id.0)).exec(c).await?;
    Ok(())
}

/// Adds customers to a static segment; ones already in it stay as they are (`ON CONFLICT DO
/// NOTHING`, so a concurrent add of the same customer is no error). Returns how many were added.
pub async fn add_members(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    segment: SegmentId,
    customers: &[CustomerId],
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
            segment_id: Set(segment.0),
            customer_id: Set(id.0),
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
    segment: SegmentId,
    customers: &[CustomerId],
) -> Result<u64, StoreError> {
    let r = sm::Entity::delete_many()
        .filter(sm::Column::TenantId.eq(tenant.0))
        .filter(sm::Column::SegmentId.eq(segment.0))
        .filter(sm::Column::CustomerId.is_in(customers.iter().map(|c| c.0)))
        .exec(c)
        .await?;
    Ok(r.rows_affected)
}

/// Whether a customer is a member of a static segment.
pub async fn is_member(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    segment: SegmentId,
    customer: CustomerId,
) -> Result<bool, StoreError> {
    Ok(sm::Entity::find_by_id((tenant.0, segment.0, customer.0)).one(c).await?.is_some())
}
