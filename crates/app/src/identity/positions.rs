//! Positions (roles): a set of action permissions and a data scope.

use crate::identity::grants;
use crate::platform::audit;
use crate::{Access, App, AppError, etag};
use chrono::{DateTime, Utc};
use crm_domain::identity::org::parse_name;
use crm_domain::identity::{DataScope, permission};
use crm_domain::ids::PositionId;
use crm_domain::{FieldErrors, identity::permission::PermissionInfo};
use crm_store::StoreError;
use crm_store::UniqueKey;
use crm_store::identity::positions::{self, PositionRow};
use serde_json::json;
use std::collections::BTreeSet;
use uuid::Uuid;

/// A position as the API shows it.
#[derive(Debug, Clone)]
pub struct PositionView {
    pub id: Uuid,
    pub name: String,
    pub data_scope: String,
    pub permissions: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub etag: String,
}

/// What holding the position grants: every tenant permission for the built-in Administrator.
pub(crate) fn position_permissions(r: &PositionRow) -> BTreeSet<String> {
    if r.grants_all {
        permission::tenant_grantable().map(|p| p.name.to_owned()).collect()
    } else {
        positions::decode_permissions(&r.permissions)
    }
}

impl From<PositionRow> for PositionView {
    fn from(r: PositionRow) -> Self {
        let permissions = position_permissions(&r).into_iter().collect();
        Self {
            id: r.id,
            permissions,
            name: r.name,
            data_scope: r.data_scope,
            created_at: r.created_at,
            updated_at: r.updated_at,
            etag: etag::of(r.updated_at),
        }
    }
}

fn audit_json(r: &PositionRow) -> serde_json::Value {
    json!({"name": r.name, "data_scope": r.data_scope, "permissions": positions::decode_permissions(&r.permissions)})
}

/// A new position or a change to one (`None` leaves a field unchanged on update).
pub struct PositionInput {
    pub name: Option<String>,
    pub permissions: Option<Vec<String>>,
    pub data_scope: Option<String>,
}

struct Parsed {
    name: Option<String>,
    permissions: Option<BTreeSet<String>>,
    data_scope: Option<DataScope>,
}

fn parse(input: &PositionInput) -> Result<Parsed, AppError> {
    let mut errs = FieldErrors::default();
    let name = input.name.as_deref().and_then(|n| errs.check(parse_name("/name", n)));
    let data_scope = input.data_scope.as_deref().and_then(|s| errs.check(DataScope::parse("/data_scope", s)));
    let permissions = match &input.permissions {
        Some(p) => match permission::parse_set("/permissions", p) {
            Ok(s) => Some(s),
            Err(e) => {
                errs.0.extend(e.0);
                None
            }
        },
        None => None,
    };
    errs.into_result()?;
    Ok(Parsed { name, permissions, data_scope })
}

fn name_taken(e: StoreError) -> AppError {
    if e.is_conflict_on(UniqueKey::PositionName) {
        AppError::Conflict { code: "position.name_taken", field: Some("/name".to_owned()) }
    } else {
        e.into()
    }
}

const NOT_FOUND: AppError = AppError::NotFound { entity: "position" };

/// The built-in Administrator position is fixed: 409 `position.built_in` for any change.
fn refuse_built_in(row: &PositionRow) -> Result<(), AppError> {
    if row.grants_all { Err(AppError::Conflict { code: "position.built_in", field: None }) } else { Ok(()) }
}

impl App {
    /// Every permission that exists (what positions, grants and client scopes can name).
    pub fn permissions(&self) -> &'static [PermissionInfo] {
        permission::CATALOGUE
    }

    pub async fn create_position(&self, who: &Access, input: PositionInput) -> Result<PositionView, AppError> {
        who.require("positions:write")?;
        let mut missing = FieldErrors::default();
        if input.name.is_none() {
            missing.push(crm_domain::FieldError::new("/name", "required"));
        }
        if input.data_scope.is_none() {
            missing.push(crm_domain::FieldError::new("/data_scope", "required"));
        }
        missing.into_result()?;
        let p = parse(&input)?;
        let (Some(name), Some(scope)) = (p.name, p.data_scope) else {
            return Err(AppError::Internal("unreachable".into()));
        };
        grants::check_permissions(
            who,
            "/permissions",
            input.permissions.as_deref().unwrap_or_default(),
            &BTreeSet::new(),
        )?;
        grants::check_scope(who, "/data_scope", scope, None)?;
        let perms = p.permissions.unwrap_or_default();
        let tx = self.store().begin_write().await?;
        let row = positions::insert(&tx, who.tenant_id, PositionId::new(), &name, scope.as_str(), &perms)
            .await
            .map_err(name_taken)?;
        audit::record(&tx, who, "create", "position", row.id, audit_json(&row)).await?;
        tx.commit().await.map_err(StoreError::from).map_err(name_taken)?;
        Ok(row.into())
    }

    pub async fn list_positions(&self, who: &Access) -> Result<Vec<PositionView>, AppError> {
        who.require("positions:read")?;
        Ok(positions::list(self.store().conn(), who.tenant_id).await?.into_iter().map(Into::into).collect())
    }

    pub async fn get_position(&self, who: &Access, id: Uuid) -> Result<PositionView, AppError> {
        who.require("positions:read")?;
        positions::find(self.store().conn(), who.tenant_id, PositionId(id)).await?.map(Into::into).ok_or(NOT_FOUND)
    }

    pub async fn update_position(
        &self,
        who: &Access,
        id: Uuid,
        input: PositionInput,
        if_match: Option<&str>,
    ) -> Result<PositionView, AppError> {
        who.require("positions:write")?;
        let p = parse(&input)?;
        let tx = self.store().begin_write().await?;
        // Locked first, so the If-Match check holds until commit.
        let row = positions::find_locked(&tx, who.tenant_id, PositionId(id)).await?.ok_or(NOT_FOUND)?;
        etag::check(if_match, row.updated_at)?;
        refuse_built_in(&row)?;
        if let Some(asked) = &input.permissions {
            grants::check_permissions(who, "/permissions", asked, &positions::decode_permissions(&row.permissions))?;
        }
        if let Some(scope) = p.data_scope {
            grants::check_scope(who, "/data_scope", scope, DataScope::parse("", &row.data_scope).ok())?;
        }
        let before = audit_json(&row);
        let row =
            positions::update(&tx, row, p.name.as_deref(), p.data_scope.map(|s| s.as_str()), p.permissions.as_ref())
                .await
                .map_err(name_taken)?;
        audit::record(&tx, who, "update", "position", row.id, audit::diff(&before, &audit_json(&row))).await?;
        tx.commit().await.map_err(StoreError::from).map_err(name_taken)?;
        Ok(row.into())
    }

    /// Deletes a position nobody holds (409 `position.in_use` otherwise). The row is locked
    /// before counting, and assigning a position locks it too, so a concurrent assignment either
    /// lands first (and this is 409) or waits and finds the position gone.
    pub async fn delete_position(&self, who: &Access, id: Uuid, if_match: Option<&str>) -> Result<(), AppError> {
        who.require("positions:write")?;
        let tx = self.store().begin_write().await?;
        let row = positions::find_locked(&tx, who.tenant_id, PositionId(id)).await?.ok_or(NOT_FOUND)?;
        etag::check(if_match, row.updated_at)?;
        refuse_built_in(&row)?;
        if positions::count_holders(&tx, who.tenant_id, PositionId(id)).await? > 0 {
            return Err(AppError::Conflict { code: "position.in_use", field: None });
        }
        positions::delete(&tx, who.tenant_id, PositionId(id)).await?;
        audit::record(&tx, who, "delete", "position", row.id, audit_json(&row)).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}
