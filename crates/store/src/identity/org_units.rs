//! Org units. Moving a unit rewrites the materialized path of its whole subtree.

use crate::StoreError;
use crate::entities::{org_units as ou, users};
use crate::platform::parse_stored;
use chrono::{DateTime, Utc};
use crm_domain::identity::OrgUnitKind;
use crm_domain::ids::{OrgUnitId, TenantId};
use sea_orm::ActiveValue::{Set, Unchanged};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

/// A unit of the org tree as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgUnitRecord {
    pub tenant_id: TenantId,
    pub id: OrgUnitId,
    pub parent_id: Option<OrgUnitId>,
    pub name: String,
    pub kind: OrgUnitKind,
    /// The materialized path: the parent's path plus this unit's id (see `crm_domain::identity::org`).
    pub path: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<ou::Model> for OrgUnitRecord {
    type Error = StoreError;

    fn try_from(m: ou::Model) -> Result<Self, StoreError> {
        Ok(Self {
            tenant_id: TenantId(m.tenant_id),
            id: OrgUnitId(m.id),
            parent_id: m.parent_id.map(OrgUnitId),
            kind: parse_stored("org_units.kind", &m.kind, OrgUnitKind::parse)?,
            name: m.name,
            path: m.path,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// A new unit, with its path already derived from its parent's.
pub struct NewOrgUnit<'a> {
    pub tenant_id: TenantId,
    pub id: OrgUnitId,
    pub parent_id: Option<OrgUnitId>,
    pub name: &'a str,
    pub kind: OrgUnitKind,
    pub path: &'a str,
}

pub async fn insert(c: &impl ConnectionTrait, u: NewOrgUnit<'_>) -> Result<OrgUnitRecord, StoreError> {
    let now = Utc::now();
    let row = ou::ActiveModel {
        tenant_id: Set(u.tenant_id.0),
        id: Set(u.id.0),
        parent_id: Set(u.parent_id.map(|p| p.0)),
        name: Set(u.name.to_owned()),
        kind: Set(u.kind.as_str().to_owned()),
        path: Set(u.path.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    ou::Entity::insert(row).exec_without_returning(c).await?;
    find(c, u.tenant_id, u.id).await?.ok_or_else(|| StoreError::Config("org unit vanished after insert".to_owned()))
}

pub async fn find(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: OrgUnitId,
) -> Result<Option<OrgUnitRecord>, StoreError> {
    ou::Entity::find_by_id((tenant.0, id.0)).one(c).await?.map(TryInto::try_into).transpose()
}

/// Serializes changes of the tenant's tree (create, move, delete) until the transaction ends: a
/// move rewrites the paths of a whole subtree, and a unit created under it concurrently would
/// otherwise keep its parent's old path. A key lock (`platform::key_locks`), taken first like
/// every key lock, not the tenant's row: that row is locked last, by the configuration
/// generation's bump, also by transactions that hold a unit's row (a user moved into it), so
/// taking it first here would close a cycle with them.
pub async fn lock_tree(c: &impl ConnectionTrait, tenant: TenantId) -> Result<(), StoreError> {
    crate::platform::key_locks::lock(c, "org_tree", tenant, &["tree"]).await
}

/// The same row, locked until the transaction ends (`FOR UPDATE` on PostgreSQL): deleting a
/// leaf, adding a child and moving users into a unit take this lock, so one waits for the other.
pub async fn find_locked(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: OrgUnitId,
) -> Result<Option<OrgUnitRecord>, StoreError> {
    ou::Entity::find_by_id((tenant.0, id.0)).lock_exclusive().one(c).await?.map(TryInto::try_into).transpose()
}

/// The whole tree, parents before children.
pub async fn list(c: &impl ConnectionTrait, tenant: TenantId) -> Result<Vec<OrgUnitRecord>, StoreError> {
    ou::Entity::find()
        .filter(ou::Column::TenantId.eq(tenant.0))
        .order_by_asc(ou::Column::Path)
        .all(c)
        .await?
        .into_iter()
        .map(OrgUnitRecord::try_from)
        .collect()
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

pub async fn rename(c: &impl ConnectionTrait, row: &OrgUnitRecord, name: &str) -> Result<OrgUnitRecord, StoreError> {
    let am = ou::ActiveModel {
        tenant_id: Unchanged(row.tenant_id.0),
        id: Unchanged(row.id.0),
        name: Set(name.to_owned()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    am.update(c).await?.try_into()
}

/// Puts `row` under `new_parent` with `new_path`, and rewrites the paths of every unit below it.
pub async fn move_subtree(
    c: &impl ConnectionTrait,
    row: &OrgUnitRecord,
    new_parent: Option<OrgUnitId>,
    new_path: &str,
) -> Result<(), StoreError> {
    let old = row.path.clone();
    let below = ou::Entity::find()
        .filter(ou::Column::TenantId.eq(row.tenant_id.0))
        .filter(ou::Column::Path.starts_with(&old))
        .all(c)
        .await?;
    let now = Utc::now();
    for unit in below {
        let path = format!("{new_path}{}", &unit.path[old.len()..]);
        let mut q = ou::Entity::update_many()
            .col_expr(ou::Column::Path, Expr::value(path))
            .col_expr(ou::Column::UpdatedAt, Expr::value(now));
        if unit.id == row.id.0 {
            q = q.col_expr(ou::Column::ParentId, Expr::value(new_parent.map(|p| p.0)));
        }
        q.filter(ou::Column::TenantId.eq(unit.tenant_id)).filter(ou::Column::Id.eq(unit.id)).exec(c).await?;
    }
    Ok(())
}

pub async fn delete(c: &impl ConnectionTrait, tenant: TenantId, id: OrgUnitId) -> Result<(), StoreError> {
    ou::Entity::delete_by_id((tenant.0, id.0)).exec(c).await?;
    Ok(())
}
