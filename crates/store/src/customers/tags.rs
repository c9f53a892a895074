//! Tags and the tags customers carry.

use crate::StoreError;
use crate::entities::{customer_tags as ct, tags as tg};
use crate::stored::parse_stored;
use chrono::{DateTime, Utc};
use crm_domain::customers::TagCategory;
use crm_domain::ids::{CustomerId, TagId, TenantId};
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// A tag of the tenant, in a category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub id: TagId,
    pub name: String,
    pub category: TagCategory,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<tg::Model> for Tag {
    type Error = StoreError;

    fn try_from(m: tg::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: TagId(m.id),
            name: m.name,
            category: parse_stored("tags.category", &m.category, TagCategory::parse)?,
            created_at: m.created_at,
        })
    }
}

fn all(ms: Vec<tg::Model>) -> Result<Vec<Tag>, StoreError> {
    ms.into_iter().map(Tag::try_from).collect()
}

fn ids(ids: &[TagId]) -> Vec<uuid::Uuid> {
    ids.iter().map(|i| i.0).collect()
}

pub async fn insert(c: &impl ConnectionTrait, tenant: TenantId, r: &Tag) -> Result<Tag, StoreError> {
    let row = tg::ActiveModel {
        tenant_id: Set(tenant.0),
        id: Set(r.id.0),
        name: Set(r.name.clone()),
        category: Set(r.category.as_str().to_owned()),
        created_at: Set(r.created_at),
    };
    tg::Entity::insert(row).exec_without_returning(c).await?;
    find(c, tenant, r.id).await?.ok_or_else(|| StoreError::Config("tag vanished".to_owned()))
}

pub async fn find(c: &impl ConnectionTrait, tenant: TenantId, id: TagId) -> Result<Option<Tag>, StoreError> {
    tg::Entity::find_by_id((tenant.0, id.0)).one(c).await?.map(Tag::try_from).transpose()
}

/// [`find`], locking the tag for its deletion (`FOR UPDATE` on PostgreSQL): a customer write
/// that holds it with [`lock_shared`] finishes first, and one that comes later finds it gone.
pub async fn lock(c: &impl ConnectionTrait, tenant: TenantId, id: TagId) -> Result<Option<Tag>, StoreError> {
    tg::Entity::find_by_id((tenant.0, id.0)).lock_exclusive().one(c).await?.map(Tag::try_from).transpose()
}

/// How many of these tags exist, holding each (`FOR KEY SHARE` on PostgreSQL, what the link's
/// foreign key takes) so it cannot be deleted before the transaction ends.
pub async fn lock_shared(c: &impl ConnectionTrait, tenant: TenantId, tags: &[TagId]) -> Result<usize, StoreError> {
    if tags.is_empty() {
        return Ok(0);
    }
    Ok(tg::Entity::find()
        .filter(tg::Column::TenantId.eq(tenant.0))
        .filter(tg::Column::Id.is_in(ids(tags)))
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
    category: Option<TagCategory>,
) -> Result<Vec<Tag>, StoreError> {
    let mut q = tg::Entity::find().filter(tg::Column::TenantId.eq(tenant.0));
    if let Some(cat) = category {
        q = q.filter(tg::Column::Category.eq(cat.as_str()));
    }
    all(q.order_by_asc(tg::Column::Category).order_by_asc(tg::Column::Name).all(c).await?)
}

/// Deletes a tag and takes it off every customer.
pub async fn delete(c: &impl ConnectionTrait, tenant: TenantId, id: TagId) -> Result<(), StoreError> {
    ct::Entity::delete_many()
        .filter(ct::Column::TenantId.eq(tenant.0))
        .filter(ct::Column::TagId.eq(id.0))
        .exec(c)
        .await?;
    tg::Entity::delete_by_id((tenant.0, id.0)).exec(c).await?;
    Ok(())
}

/// Replaces the tags of a customer.
pub async fn set_for_customer(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    customer: CustomerId,
    tags: &[TagId],
) -> Result<(), StoreError> {
    ct::Entity::delete_many()
        .filter(ct::Column::TenantId.eq(tenant.0))
        .filter(ct::Column::CustomerId.eq(customer.0))
        .exec(c)
        .await?;
    let now = Utc::now();
    let rows: Vec<ct::ActiveModel> = tags
        .iter()
        .map(|t| ct::ActiveModel {
            tenant_id: Set(tenant.0),
            customer_id: Set(customer.0),
            tag_id: Set(t.0),
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
    customers: &[CustomerId],
) -> Result<Vec<(CustomerId, Tag)>, StoreError> {
    if customers.is_empty() {
        return Ok(Vec::new());
    }
    let links = ct::Entity::find()
        .filter(ct::Column::TenantId.eq(tenant.0))
        .filter(ct::Column::CustomerId.is_in(customers.iter().map(|c| c.0)))
        .all(c)
        .await?;
    let tag_ids: Vec<uuid::Uuid> = links.iter().map(|l| l.tag_id).collect();
    if tag_ids.is_empty() {
        return Ok(Vec::new());
    }
    let tags = all(tg::Entity::find()
        .filter(tg::Column::TenantId.eq(tenant.0))
        .filter(tg::Column::Id.is_in(tag_ids))
        .order_by_asc(tg::Column::Category)
        .order_by_asc(tg::Column::Name)
        .all(c)
        .await?)?;
    let mut out = Vec::new();
    for t in tags {
        for l in links.iter().filter(|l| l.tag_id == t.id.0) {
            out.push((CustomerId(l.customer_id), t.clone()));
        }
    }
    Ok(out)
}

/// `SELECT customer_id FROM customer_tags WHERE tenant_id = ? AND tag_id = ?` (a list filter).
pub fn customers_with(tenant: TenantId, tag: TagId) -> SelectStatement {
    Query::select()
        .column(ct::Column::CustomerId)
        .from(ct::Entity)
        .and_where(ct::Column::TenantId.eq(tenant.0))
        .and_where(ct::Column::TagId.eq(tag.0))
        .to_owned()
}
