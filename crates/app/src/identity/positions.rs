//! Positions (roles): a set of action permissions and a data scope.

use crate::codes::Code;
use crate::identity::grants;
use crate::platform::audit;
use crate::{Access, App, AppError, etag};
use chrono::{DateTime, Utc};
use crm_domain::identity::DataScope;
use crm_domain::identity::permission::{self, PermissionInfo};
use crm_domain::ids::PositionId;
use crm_store::identity::positions::{self, NewPosition, PositionChanges, PositionRecord};
use crm_store::platform::config_generation;
use crm_store::{StoreError, UniqueKey};
use serde_json::json;
use std::collections::BTreeSet;

/// A position.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PositionView {
    pub id: PositionId,
    pub name: String,
    pub data_scope: DataScope,
    /// What holding it grants (every tenant permission for the built-in Administrator).
    pub permissions: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip)]
    pub etag: String,
}

impl From<PositionRecord> for PositionView {
    fn from(r: PositionRecord) -> Self {
        Self {
            id: r.id,
            permissions: permission::granted_by(r.grants_all, &r.permissions).into_iter().collect(),
            name: r.name,
            data_scope: r.data_scope,
            created_at: r.created_at,
            updated_at: r.updated_at,
            etag: etag::of(r.updated_at),
        }
    }
}

/// `POST /positions`, parsed: `permissions` exist and a tenant may grant them, in the order asked
/// (so a refusal names its index; duplicates collapse when stored).
#[derive(Debug, Clone)]
pub struct CreatePosition {
    pub name: String,
    pub data_scope: DataScope,
    pub permissions: Vec<String>,
}

/// `PATCH /positions/{id}`, parsed like [`CreatePosition`]; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UpdatePosition {
    pub name: Option<String>,
    pub data_scope: Option<DataScope>,
    pub permissions: Option<Vec<String>>,
}

fn audit_json(r: &PositionRecord) -> serde_json::Value {
    json!({"name": r.name, "data_scope": r.data_scope, "permissions": r.permissions})
}

fn name_taken(e: StoreError) -> AppError {
    if e.is_conflict_on(UniqueKey::PositionName) {
        AppError::Conflict { code: Code::PositionNameTaken, field: Some("/name".to_owned()) }
    } else {
        e.into()
    }
}

const NOT_FOUND: AppError = AppError::NotFound { entity: "position" };

/// The built-in Administrator position is fixed: 409 `position.built_in` for any change.
fn refuse_built_in(row: &PositionRecord) -> Result<(), AppError> {
    if row.grants_all { Err(AppError::Conflict { code: Code::PositionBuiltIn, field: None }) } else { Ok(()) }
}

impl App {
    /// Every permission that exists (what positions, grants and client scopes can name).
    pub fn permissions(&self) -> &'static [PermissionInfo] {
        permission::CATALOGUE
    }

    pub async fn create_position(&self, who: &Access, cmd: CreatePosition) -> Result<PositionView, AppError> {
        who.require("positions:write")?;
        grants::check_permissions(who, "/permissions", &cmd.permissions, &BTreeSet::new())?;
        grants::check_scope(who, "/data_scope", cmd.data_scope, None)?;
        let perms: BTreeSet<String> = cmd.permissions.into_iter().collect();
        let tx = self.store().begin_write().await?;
        let new = NewPosition {
            tenant_id: who.tenant_id,
            id: PositionId::new(),
            name: &cmd.name,
            data_scope: cmd.data_scope,
            permissions: &perms,
            grants_all: false,
        };
        let row = positions::insert(&tx, new).await.map_err(name_taken)?;
        audit::record(&tx, who, "create", "position", row.id.0, audit_json(&row)).await?;
        config_generation::bump(&tx, who.tenant_id).await?;
        tx.commit().await.map_err(StoreError::from).map_err(name_taken)?;
        Ok(row.into())
    }

    pub async fn list_positions(&self, who: &Access) -> Result<Vec<PositionView>, AppError> {
        who.require("positions:read")?;
        Ok(positions::list(self.store().conn(), who.tenant_id).await?.into_iter().map(Into::into).collect())
    }

    pub async fn get_position(&self, who: &Access, id: PositionId) -> Result<PositionView, AppError> {
        who.require("positions:read")?;
        positions::find(self.store().conn(), who.tenant_id, id).await?.map(Into::into).ok_or(NOT_FOUND)
    }

    pub async fn update_position(
        &self,
        who: &Access,
        id: PositionId,
        cmd: UpdatePosition,
        if_match: Option<&str>,
    ) -> Result<PositionView, AppError> {
        who.require("positions:write")?;
        let tx = self.store().begin_write().await?;
        // Locked first, so the If-Match check holds until commit.
        let row = positions::find_locked(&tx, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        etag::check(if_match, row.updated_at)?;
        refuse_built_in(&row)?;
        if let Some(asked) = &cmd.permissions {
            grants::check_permissions(who, "/permissions", asked, &row.permissions)?;
        }
        if let Some(scope) = cmd.data_scope {
            grants::check_scope(who, "/data_scope", scope, Some(row.data_scope))?;
        }
        let before = audit_json(&row);
        let perms: Option<BTreeSet<String>> = cmd.permissions.map(|p| p.into_iter().collect());
        let changes =
            PositionChanges { name: cmd.name.as_deref(), data_scope: cmd.data_scope, permissions: perms.as_ref() };
        let row = positions::update(&tx, &row, changes).await.map_err(name_taken)?;
        audit::record(&tx, who, "update", "position", row.id.0, audit::diff(&before, &audit_json(&row))).await?;
        config_generation::bump(&tx, who.tenant_id).await?;
        tx.commit().await.map_err(StoreError::from).map_err(name_taken)?;
        Ok(row.into())
    }

    /// Deletes a position nobody holds (409 `position.in_use` otherwise). The row is locked
    /// before counting, and assigning a position locks it too, so a concurrent assignment either
    /// lands first (and this is 409) or waits and finds the position gone.
    pub async fn delete_position(&self, who: &Access, id: PositionId, if_match: Option<&str>) -> Result<(), AppError> {
        who.require("positions:write")?;
        let tx = self.store().begin_write().await?;
        let row = positions::find_locked(&tx, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        etag::check(if_match, row.updated_at)?;
        refuse_built_in(&row)?;
        if positions::count_holders(&tx, who.tenant_id, id).await? > 0 {
            return Err(AppError::Conflict { code: Code::PositionInUse, field: None });
        }
        positions::delete(&tx, who.tenant_id, id).await?;
        audit::record(&tx, who, "delete", "position", id.0, audit_json(&row)).await?;
        config_generation::bump(&tx, who.tenant_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}
