//! Tags and the tags customers carry.

use crate::StoreError;
use crate::entities::{customer_tags as ct, tags as tg};
use chrono::Utc;
use crm_domain::ids::TenantId;
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

pub use tg::Model as TagRow;

pub async fn insert(c: &impl ConnectionTrait, row: TagRow) -> Result<TagRow, StoreError> {
    let (t, id) = (row.tenant_id, row.id);
    tg::Entity::insert(row.into_active_model()).exec_without_returning(c).await?;
    tg::Entity::find_by_id((t, id)).one(c).await?.ok_or_else(|| StoreError::Config("tag vanished".to_owned()))
}

pub async fn find(c: &impl ConnectionTrait, tenant: TenantId, id: Uuid) -> Result<Option<TagRow>, StoreError> {
    Ok(tg::Entity::find_by_id((tenant.0, id)).one(c).await?)
}

/// [`find`], locking the tag for its deletion (`FOR UPDATE` on PostgreSQL): a customer write
/// that holds it with [`lock_shared`] finishes first, and one that comes later finds it gone.
pub async fn lock(c: &impl ConnectionTrait, tenant: TenantId, id: Uuid) -> Result<Option<TagRow>, StoreError> {
    Ok(tg::Entity::find_by_id((tenant.0, id)).lock_exclusive().one(c).await?)
}

/// How many of these tags exist, holding each (`FOR KEY SHARE` on PostgreSQL, what the link's
/// foreign key takes) so it cannot be deleted before the transaction ends.
pub async fn lock_shared(c: &impl ConnectionTrait, tenant: TenantId, ids: &[Uuid]) -> Result<usize, StoreError> {
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(tg::Entity::find()
        .filter(tg::Column::TenantId.eq(tenant.0))
        .filter(tg::Column::Id.is_in(ids.to_vec()))
        .order_by_asc(tg::Column::Id)
        .lock(sea_orm::sea_query::LockType::KeyShare)
        .all(c)
        .await?
        .len())
}

/// The tenant's tags by category and name, optionally of one category.
pub async fn list(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    category: Option<&str>,
) -> Result<Vec<TagRow>, StoreError> {
    let mut q = tg::Entity::find().filter(tg::Column::TenantId.eq(tenant.0));
    if let Some(cat) = category {
        q = q.filter(tg::Column::Category.eq(cat));
    }
    Ok(q.order_by_asc(tg::Column::Category).order_by_asc(tg::Column::Name).all(c).await?)
}

/// Deletes a tag and takes it off every customer.
pub async fn delete(c: &impl ConnectionTrait, tenant: TenantId, id: Uuid) -> Result<(), StoreError> {
    ct::Entity::delete_many()
        .filter(ct::Column::TenantId.eq(tenant.0))
        .filter(ct::Column::TagId.eq(id))
        .exec(c)
        .await?;
    tg::Entity::delete_by_id((tenant.0, id)).exec(c).await?;
    Ok(())
}

/// Replaces the tags of a customer.
pub async fn set_for_customer(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    customer: Uuid,
    tags: &[Uuid],
) -> Result<(), StoreError> {
    ct::Entity::delete_many()
        .filter(ct::Column::TenantId.eq(tenant.0))
        .filter(ct::Column::CustomerId.eq(customer))
        .exec(c)
        .await?;
    let now = Utc::now();
    let rows: Vec<ct::ActiveModel> = tags
        .iter()
        .map(|t| ct::ActiveModel {
            tenant_id: Set(tenant.0),
            customer_id: Set(customer),
            tag_id: Set(*t),
            created_at: Set(now),
        })
        .collect();
    if !rows.is_empty() {
        ct::Entity::insert_many(rows).exec_without_returning(c).await?;
    }
    Ok(())
}

/// `(customer, tag)` pairs for many customers at once, tags by category and name.
pub async fn of_customers(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    customers: &[Uuid],
) -> Result<Vec<(Uuid, TagRow)>, StoreError> {
    if customers.is_empty() {
        return Ok(Vec::new());
    }
    let links = ct::Entity::find()
        .filter(ct::Column::TenantId.eq(tenant.0))
        .filter(ct::Column::CustomerId.is_in(customers.to_vec()))
        .all(c)
        .await?;
    let ids: Vec<Uuid> = links.iter().map(|l| l.tag_id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let tags = tg::Entity::find()
        .filter(tg::Column::TenantId.eq(tenant.0))
        .filter(tg::Column::Id.is_in(ids))
        .order_by_asc(tg::Column::Category)
        .order_by_asc(tg::Column::Name)
        .all(c)
        .await?;
    let mut out = Vec::new();
    for t in tags {
        for l in links.iter().filter(|l| l.tag_id == t.id) {
            out.push((l.customer_id, t.clone()));
        }
    }
    Ok(out)
}

/// `SELECT customer_id FROM customer_tags WHERE tenant_id = ? AND tag_id = ?` (a list filter).
pub fn customers_with(tenant: TenantId, tag: Uuid) -> SelectStatement {
    Query::select()
        .column(ct::Column::CustomerId)
        .from(ct::Entity)
        .and_where(ct::Column::TenantId.eq(tenant.0))
        .and_where(ct::Column::TagId.eq(tag))
        .to_owned()
}
