//! Tenants: isolated companies or stores in one deployment, each with its own administrator.

use crate::identity::password;
use crate::platform::audit;
use crate::{Access, App, AppError};
use chrono::{DateTime, Utc};
use crm_domain::FieldErrors;
use crm_domain::identity::org::parse_name;
use crm_domain::identity::{DataScope, PasswordPolicy, PlainPassword, UserStatus, Username, permission};
use crm_domain::ids::{PositionId, TenantId, UserId};
use crm_domain::platform::TenantCode;
use crm_store::UniqueKey;
use crm_store::identity::positions;
use crm_store::identity::users::{self, NewUser};
use crm_store::platform::tenants::{self, TenantRow};
use crm_store::{DatabaseTransaction, StoreError};
use serde_json::json;
use std::collections::BTreeSet;
use uuid::Uuid;

/// The position every new tenant starts with, held by its first administrator.
pub const ADMIN_POSITION: &str = "Administrator";

/// A tenant as the API shows it.
#[derive(Debug, Clone)]
pub struct TenantView {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl From<TenantRow> for TenantView {
    fn from(r: TenantRow) -> Self {
        Self { id: r.id, code: r.code, name: r.name, created_at: r.created_at }
    }
}

/// `POST /tenants` input.
pub struct NewTenant {
    pub code: String,
    pub name: String,
    pub admin_username: String,
    pub admin_password: String,
}

/// Creates the tenant's Administrator position (every tenant permission, scope `all`) and its
/// first user holding it. Used by `POST /tenants` and by the first-start bootstrap.
pub(crate) async fn seed_tenant(
    tx: &DatabaseTransaction,
    tenant: TenantId,
    admin: &Username,
    password: &PlainPassword,
    platform_admin: bool,
) -> Result<UserId, AppError> {
    let all: BTreeSet<String> = permission::tenant_grantable().map(|p| p.name.to_owned()).collect();
    let pos = positions::insert(tx, tenant, PositionId::new(), ADMIN_POSITION, DataScope::All.as_str(), &all).await?;
    let pos = positions::set_grants_all(tx, pos).await?;
    let hash = password::hash(password).await?;
    let id = UserId::new();
    users::insert(
        tx,
        NewUser {
            tenant_id: tenant,
            id,
            username: admin.as_str(),
            password_hash: &hash,
            display_name: "Administrator",
            status: UserStatus::Active.as_str(),
            is_platform_admin: platform_admin,
            org_unit_id: None,
        },
    )
    .await?;
    positions::set_for_user(tx, tenant, id, &[PositionId(pos.id)]).await?;
    Ok(id)
}

impl App {
    /// Platform administrators only.
    pub async fn create_tenant(&self, who: &Access, cmd: NewTenant) -> Result<TenantView, AppError> {
        who.require("tenants:write")?;
        let mut errs = FieldErrors::default();
        let code = errs.check(TenantCode::parse("/code", &cmd.code));
        let name = errs.check(parse_name("/name", &cmd.name));
        let admin = errs.check(Username::parse("/admin_username", &cmd.admin_username));
        let pw =
            errs.check(PasswordPolicy::default().check("/admin_password", &cmd.admin_password, &cmd.admin_username));
        errs.into_result()?;
        let (Some(code), Some(name), Some(admin), Some(pw)) = (code, name, admin, pw) else {
            return Err(AppError::Internal("unreachable".into()));
        };
        let taken = |e: StoreError| {
            if e.is_conflict_on(UniqueKey::TenantCode) {
                AppError::Conflict { code: "tenant.code_taken", field: Some("/code".to_owned()) }
            } else {
                e.into()
            }
        };
        let tx = self.store().begin_write().await?;
        if tenants::find_by_code(&tx, code.as_str()).await?.is_some() {
            return Err(AppError::Conflict { code: "tenant.code_taken", field: Some("/code".to_owned()) });
        }
        let row = tenants::insert(&tx, TenantId::new(), code.as_str(), &name).await.map_err(taken)?;
        let admin_id = seed_tenant(&tx, TenantId(row.id), &admin, &pw, false).await?;
        audit::record(
            &tx,
            who,
            "create",
            "tenant",
            row.id,
            json!({"code": row.code, "name": row.name, "admin_user_id": admin_id.0}),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from).map_err(taken)?;
        Ok(row.into())
    }

    pub async fn list_tenants(&self, who: &Access) -> Result<Vec<TenantView>, AppError> {
        who.require("tenants:read")?;
        Ok(tenants::list(self.store().conn()).await?.into_iter().map(Into::into).collect())
    }
}
