//! Contacts of organization customers.

use crate::StoreError;
use crate::entities::contacts as ct;
use chrono::{DateTime, Utc};
use crm_domain::ids::{ContactId, CustomerId, TenantId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};

/// A person at an organization customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub tenant_id: TenantId,
    pub id: ContactId,
    pub customer_id: CustomerId,
    pub name: String,
    pub title: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub is_primary: bool,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ct::Model> for Contact {
    fn from(m: ct::Model) -> Self {
        Self {
            tenant_id: TenantId(m.tenant_id),
            id: ContactId(m.id),
            customer_id: CustomerId(m.customer_id),
            name: m.name,
            title: m.title,
            phone: m.phone,
            email: m.email,
            is_primary: m.is_primary,
            notes: m.notes,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

fn model(r: Contact) -> ct::Model {
    ct::Model {
        tenant_id: r.tenant_id.0,
        id: r.id.0,
        customer_id: r.customer_id.0,
        name: r.name,
        title: r.title,
        phone: r.phone,
        email: r.email,
        is_primary: r.is_primary,
        notes: r.notes,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

pub async fn insert(c: &impl ConnectionTrait, r: Contact) -> Result<Contact, StoreError> {
    let (t, id) = (r.tenant_id, r.id);
    ct::Entity::insert(model(r).into_active_model()).exec_without_returning(c).await?;
    find(c, t, id).await?.ok_or_else(|| StoreError::Config("contact vanished".to_owned()))
}

pub async fn find(c: &impl ConnectionTrait, tenant: TenantId, id: ContactId) -> Result<Option<Contact>, StoreError> {
    Ok(ct::Entity::find_by_id((tenant.0, id.0)).one(c).await?.map(Into::into))
}

/// A contact of `customer`, locked for the rest of the transaction (`FOR NO KEY UPDATE` on
/// PostgreSQL; lock its customer first).
pub async fn lock_of_customer(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: ContactId,
    customer: CustomerId,
) -> Result<Option<Contact>, StoreError> {
    Ok(ct::Entity::find_by_id((tenant.0, id.0))
        .filter(ct::Column::CustomerId.eq(customer.0))
        .lock(sea_orm::sea_query::LockType::NoKeyUpdate)
        .one(c)
        .await?
        .map(Into::into))
}

/// A customer's contacts, primary first, then by name.
pub async fn of_customer(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    customer: CustomerId,
) -> Result<Vec<Contact>, StoreError> {
    Ok(ct::Entity::find()
        .filter(ct::Column::TenantId.eq(tenant.0))
        .filter(ct::Column::CustomerId.eq(customer.0))
        .order_by_desc(ct::Column::IsPrimary)
        .order_by_asc(ct::Column::Name)
        .all(c)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

pub async fn update(c: &impl ConnectionTrait, after: Contact) -> Result<Contact, StoreError> {
    // Every column is written: the row was read in the same transaction.
    Ok(model(after).into_active_model().reset_all().update(c).await?.into())
}

pub async fn delete(c: &impl ConnectionTrait, tenant: TenantId, id: ContactId) -> Result<(), StoreError> {
    ct::Entity::delete_by_id((tenant.0, id.0)).exec(c).await?;
    Ok(())
}

/// Clears the primary flag on a customer's other contacts.
pub async fn clear_primary(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    customer: CustomerId,
    except: ContactId,
) -> Result<(), StoreError> {
    ct::Entity::update_many()
        .col_expr(ct::Column::IsPrimary, sea_orm::sea_query::Expr::value(false))
        .filter(ct::Column::TenantId.eq(tenant.0))
        .filter(ct::Column::CustomerId.eq(customer.0))
        .filter(ct::Column::Id.ne(except.0))
        .exec(c)
        .await?;
    Ok(())
}
