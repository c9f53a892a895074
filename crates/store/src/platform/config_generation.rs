//! The tenant's configuration generation (`tenants.config_generation`): bumped by every change of
//! a user, position, grant, org unit or API client, of the tenant's settings or member levels;
//! read once per authenticated request to tell whether what a node cached for the tenant and the
//! caller (rights, data scope, settings, levels) is still current.

use crate::StoreError;
use crate::entities::tenants;
use crm_domain::ids::TenantId;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

/// Moves the tenant's generation on, in the caller's transaction. Call it as the change's last
/// statement before commit: the tenant row's lock is then the last one taken, held only for the
/// commit, so it never closes a cycle with the rows the change locked before it.
pub async fn bump(c: &impl ConnectionTrait, tenant: TenantId) -> Result<(), StoreError> {
    tenants::Entity::update_many()
        .col_expr(tenants::Column::ConfigGeneration, Expr::col(tenants::Column::ConfigGeneration).add(1))
        .filter(tenants::Column::Id.eq(tenant.0))
        .exec(c)
        .await?;
    Ok(())
}

/// The tenant's current generation, or `None` when there is no such tenant: one primary-key read.
pub async fn current(c: &impl ConnectionTrait, tenant: TenantId) -> Result<Option<i64>, StoreError> {
    Ok(tenants::Entity::find_by_id(tenant.0)
        .select_only()
        .column(tenants::Column::ConfigGeneration)
        .into_tuple::<i64>()
        .one(c)
        .await?)
}
