//! Tenants: isolated companies or stores in one deployment, each with its own administrator.

use crate::codes::Code;
use crate::identity::seed;
use crate::platform::audit;
use crate::{Access, App, AppError};
use chrono::{DateTime, Utc};
use crm_domain::identity::{PlainPassword, Username};
use crm_domain::ids::TenantId;
use crm_domain::platform::TenantCode;
use crm_store::platform::tenants::{self, NewTenant, TenantRecord};
use crm_store::{StoreError, UniqueKey};
use serde_json::json;

pub use seed::ADMIN_POSITION;

/// A tenant.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantView {
    pub id: TenantId,
    pub code: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl From<TenantRecord> for TenantView {
    fn from(r: TenantRecord) -> Self {
        Self { id: r.id, code: r.code, name: r.name, created_at: r.created_at }
    }
}

/// `POST /tenants`, parsed: the first administrator's password already passed the policy.
#[derive(Debug, Clone)]
pub struct CreateTenant {
    pub code: TenantCode,
    pub name: String,
    pub admin_username: Username,
    pub admin_password: PlainPassword,
}

fn code_taken() -> AppError {
    AppError::Conflict { code: Code::TenantCodeTaken, field: Some("/code".to_owned()) }
}

impl App {
    /// Platform administrators only.
    pub async fn create_tenant(&self, who: &Access, cmd: CreateTenant) -> Result<TenantView, AppError> {
        who.require("tenants:write")?;
        let taken = |e: StoreError| if e.is_conflict_on(UniqueKey::TenantCode) { code_taken() } else { e.into() };
        let tx = self.store().begin_write().await?;
        if tenants::find_by_code(&tx, cmd.code.as_str()).await?.is_some() {
            return Err(code_taken());
        }
        let new = NewTenant { id: TenantId::new(), code: &cmd.code, name: &cmd.name };
        let row = tenants::insert(&tx, new).await.map_err(taken)?;
        let admin_id = seed::administrator(&tx, row.id, &cmd.admin_username, &cmd.admin_password, false).await?;
        let changes = json!({"code": row.code, "name": row.name, "admin_user_id": admin_id});
        audit::record(&tx, who, "create", "tenant", row.id.0, changes).await?;
        tx.commit().await.map_err(StoreError::from).map_err(taken)?;
        Ok(row.into())
    }

    pub async fn list_tenants(&self, who: &Access) -> Result<Vec<TenantView>, AppError> {
        who.require("tenants:read")?;
        Ok(tenants::list(self.store().conn()).await?.into_iter().map(Into::into).collect())
    }
}
