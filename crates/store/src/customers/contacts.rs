//! Contacts of organization customers.

use crate::StoreError;
use crate::entities::contacts as ct;
use crm_domain::ids::TenantId;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

pub use ct::Model as ContactRow;

pub async fn insert(c: &impl ConnectionTrait, row: ContactRow) -> Result<ContactRow, StoreError> {
    let (t, id) = (row.tenant_id, row.id);
    ct::Entity::insert(row.into_active_model()).exec_without_returning(c).await?;
    ct::Entity::find_by_id((t, id)).one(c).await?.ok_or_else(|| StoreError::Config("contact vanished".to_owned()))
}

pub async fn find(c: &impl ConnectionTrait, tenant: TenantId, id: Uuid) -> Result<Option<ContactRow>, StoreError> {
    Ok(ct::Entity::find_by_id((tenant.0, id)).one(c).await?)
}

/// A contact of `customer`, locked for the rest of the transaction (`FOR NO KEY UPDATE` on
/// PostgreSQL; lock its customer first).
pub async fn lock_of_customer(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    customer: Uuid,
) -> Result<Option<ContactRow>, StoreError> {
    Ok(ct::Entity::find_by_id((tenant.0, id))
        .filter(ct::Column::CustomerId.eq(customer))
        .lock(sea_orm::sea_query::LockType::NoKeyUpdate)
        .one(c)
        .await?)
}

/// A customer's contacts, primary first, then by name.
pub async fn of_customer(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    customer: Uuid,
) -> Result<Vec<ContactRow>, StoreError> {
    Ok(ct::Entity::find()
        .filter(ct::Column::TenantId.eq(tenant.0))
        .filter(ct::Column::CustomerId.eq(customer))
        .order_by_desc(ct::Column::IsPrimary)
        .order_by_asc(ct::Column::Name)
        .all(c)
        .await?)
}

pub async fn update(c: &impl ConnectionTrait, after: ContactRow) -> Result<ContactRow, StoreError> {
    // Every column is written: the row was read in the same transaction.
    Ok(after.into_active_model().reset_all().update(c).await?)
}

pub async fn delete(c: &impl ConnectionTrait, tenant: TenantId, id: Uuid) -> Result<(), StoreError> {
    ct::Entity::delete_by_id((tenant.0, id)).exec(c).await?;
    Ok(())
}

/// Clears the primary flag on a customer's other contacts.
pub async fn clear_primary(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    customer: Uuid,
    except: Uuid,
) -> Result<(), StoreError> {
    ct::Entity::update_many()
        .col_expr(ct::Column::IsPrimary, sea_orm::sea_query::Expr::value(false))
        .filter(ct::Column::TenantId.eq(tenant.0))
        .filter(ct::Column::CustomerId.eq(customer))
        .filter(ct::Column::Id.ne(except))
        .exec(c)
        .await?;
    Ok(())
}
