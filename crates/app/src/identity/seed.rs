//! A tenant's first identity records: the built-in Administrator position and the first user
//! holding it. What the platform's tenant creation and first-start bootstrap reach into identity
//! through.

use crate::AppError;
use crate::identity::password;
use crm_domain::identity::{DataScope, PlainPassword, UserStatus, Username, permission};
use crm_domain::ids::{PositionId, TenantId, UserId};
use crm_store::DatabaseTransaction;
use crm_store::identity::positions::{self, NewPosition};
use crm_store::identity::users::{self, NewUser};
use std::collections::BTreeSet;

/// The position every new tenant starts with, held by its first administrator.
pub const ADMIN_POSITION: &str = "Administrator";

/// Creates the tenant's Administrator position (every tenant permission, scope `all`) and its
/// first user holding it; returns the user's id.
pub(crate) async fn administrator(
    tx: &DatabaseTransaction,
    tenant: TenantId,
    admin: &Username,
    password: &PlainPassword,
    platform_admin: bool,
) -> Result<UserId, AppError> {
    let all: BTreeSet<String> = permission::tenant_grantable().map(|p| p.name.to_owned()).collect();
    let position = NewPosition {
        tenant_id: tenant,
        id: PositionId::new(),
        name: ADMIN_POSITION,
        data_scope: DataScope::All,
        permissions: &all,
        grants_all: true,
    };
    let pos = positions::insert(tx, position).await?;
    let hash = password::hash(password).await?;
    let id = UserId::new();
    let user = NewUser {
        tenant_id: tenant,
        id,
        username: admin.as_str(),
        password_hash: &hash,
        display_name: "Administrator",
        status: UserStatus::Active,
        is_platform_admin: platform_admin,
        org_unit_id: None,
    };
    users::insert(tx, user).await?;
    positions::set_for_user(tx, tenant, id, &[pos.id]).await?;
    Ok(id)
}
