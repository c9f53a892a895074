//! Org units. Moving a unit rewrites the materialized path of its whole subtree.

use crate::StoreError;
use crate::entities::{org_units as ou, tenants, users};
use chrono::Utc;
use crm_domain::ids::{OrgUnitId, TenantId};
use sea_orm::sea_query::{Expr, LockType};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

pub use ou::Model as OrgUnitRow;

pub async fn insert(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: OrgUnitId,
    parent: Option<OrgUnitId>,
    name: &str,
    kind: &str,
    path: &str,
) -> Result<OrgUnitRow, StoreError> {
    let now = Utc::now();
    let row = ou::ActiveModel {
        tenant_id: Set(tenant.0),
        id: Set(id.0),
        parent_id: Set(parent.map(|p| p.0)),
        name: Set(name.to_owned()),
        kind: Set(kind.to_owned()),
        path: Set(path.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    ou::Entity::insert(row).exec_without_returning(c).await?;
    find(c, tenant, id).await?.ok_or_else(|| StoreError::Config("org unit vanished after insert".to_owned()))
}

pub async fn find(c: &impl ConnectionTrait, tenant: TenantId, id: OrgUnitId) -> Result<Option<OrgUnitRow>, StoreError> {
    Ok(ou::Entity::find_by_id((tenant.0, id.0)).one(c).await?)
}

/// Serializes changes of the tenant's tree (create, move, delete) by locking the tenant's row
/// until the transaction ends: a move rewrites the paths of a whole subtree, and a unit created
/// under it concurrently would otherwise keep its parent's old path. `FOR NO KEY UPDATE`, so
/// the foreign-key checks of every other insert into the tenant (`FOR KEY SHARE`) do not wait.
pub async fn lock_tree(c: &impl ConnectionTrait, tenant: TenantId) -> Result<(), StoreError> {
    tenants::Entity::find_by_id(tenant.0).lock(LockType::NoKeyUpdate).one(c).await?;
    Ok(())
}

/// The same row, locked until the transaction ends (`FOR UPDATE` on PostgreSQL): deleting a
/// leaf, adding a child and moving users into a unit take this lock, so one waits for the other.
pub async fn find_locked(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: OrgUnitId,
) -> Result<Option<OrgUnitRow>, StoreError> {
    Ok(ou::Entity::find_by_id((tenant.0, id.0)).lock_exclusive().one(c).await?)
}

/// The whole tree, parents before children.
pub async fn list(c: &impl ConnectionTrait, tenant: TenantId) -> Result<Vec<OrgUnitRow>, StoreError> {
    Ok(ou::Entity::find().filter(ou::Column::TenantId.eq(tenant.0)).order_by_asc(ou::Column::Path).all(c).await?)
}

pub async fn count_children(c: &impl ConnectionTrait, tenant: TenantId, id: OrgUnitId) -> Result<u64, StoreError> {
    Ok(ou::Entity::find()
        .filter(ou::Column::TenantId.eq(tenant.0))
        .filter(ou::Column::ParentId.eq(id.0))
        .count(c)
        .await?)
}

pub async fn count_users(c: &impl ConnectionTrait, tenant: TenantId, id: OrgUnitId) -> Result<u64, StoreError> {
    Ok(users::Entity::find()
        .filter(users::Column::TenantId.eq(tenant.0))
        .filter(users::Column::OrgUnitId.eq(id.0))
        .count(c)
        .await?)
}

pub async fn rename(c: &impl ConnectionTrait, row: OrgUnitRow, name: &str) -> Result<OrgUnitRow, StoreError> {
    let mut am: ou::ActiveModel = row.into();
    am.name = Set(name.to_owned());
    am.updated_at = Set(Utc::now());
    Ok(am.update(c).await?)
}

/// Puts `row` under `new_parent` with `new_path`, and rewrites the paths of every unit below it.
pub async fn move_subtree(
    c: &impl ConnectionTrait,
    row: &OrgUnitRow,
    new_parent: Option<Uuid>,
    new_path: &str,
) -> Result<(), StoreError> {
    let old = row.path.clone();
    let below = ou::Entity::find()
        .filter(ou::Column::TenantId.eq(row.tenant_id))
        .filter(ou::Column::Path.starts_with(&old))
        .all(c)
        .await?;
    let now = Utc::now();
    for unit in below {
        let path = format!("{new_path}{}", &unit.path[old.len()..]);
        let mut q = ou::Entity::update_many()
            .col_expr(ou::Column::Path, Expr::value(path))
            .col_expr(ou::Column::UpdatedAt, Expr::value(now));
        if unit.id == row.id {
            q = q.col_expr(ou::Column::ParentId, Expr::value(new_parent));
        }
        q.filter(ou::Column::TenantId.eq(unit.tenant_id)).filter(ou::Column::Id.eq(unit.id)).exec(c).await?;
    }
    Ok(())
}

pub async fn delete(c: &impl ConnectionTrait, tenant: TenantId, id: OrgUnitId) -> Result<(), StoreError> {
    ou::Entity::delete_by_id((tenant.0, id.0)).exec(c).await?;
    Ok(())
}
