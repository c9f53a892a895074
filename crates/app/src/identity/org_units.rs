//! The org tree: create, rename, move, delete a leaf.

use crate::codes::Code;
use crate::platform::audit;
use crate::{Access, App, AppError, etag};
use chrono::{DateTime, Utc};
use crm_domain::FieldError;
use crm_domain::identity::OrgUnitKind;
use crm_domain::identity::org::{child_path, is_within, path_ids};
use crm_domain::ids::OrgUnitId;
use crm_store::StoreError;
use crm_store::identity::org_units::{self, NewOrgUnit, OrgUnitRecord};
use crm_store::platform::config_generation;
use serde_json::json;

/// An org unit.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgUnitView {
    pub id: OrgUnitId,
    pub parent_id: Option<OrgUnitId>,
    pub name: String,
    pub kind: OrgUnitKind,
    /// Ids from the root down to this unit.
    pub path: Vec<OrgUnitId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip)]
    pub etag: String,
}

impl From<OrgUnitRecord> for OrgUnitView {
    fn from(r: OrgUnitRecord) -> Self {
        Self {
            id: r.id,
            parent_id: r.parent_id,
            path: path_ids(&r.path).into_iter().map(OrgUnitId).collect(),
            name: r.name,
            kind: r.kind,
            created_at: r.created_at,
            updated_at: r.updated_at,
            etag: etag::of(r.updated_at),
        }
    }
}

fn audit_json(r: &OrgUnitRecord) -> serde_json::Value {
    json!({"name": r.name, "kind": r.kind, "parent_id": r.parent_id})
}

/// `POST /org-units`, parsed; without a parent the unit is a root.
#[derive(Debug, Clone)]
pub struct CreateOrgUnit {
    pub name: String,
    pub kind: OrgUnitKind,
    pub parent_id: Option<OrgUnitId>,
}

/// `PATCH /org-units/{id}`, parsed: rename and/or move (`parent_id: Some(None)` moves to the root).
#[derive(Debug, Clone, Default)]
pub struct UpdateOrgUnit {
    pub name: Option<String>,
    pub parent_id: Option<Option<OrgUnitId>>,
}

const NOT_FOUND: AppError = AppError::NotFound { entity: "org_unit" };

impl App {
    pub async fn create_org_unit(&self, who: &Access, cmd: CreateOrgUnit) -> Result<OrgUnitView, AppError> {
        who.require("org_units:write")?;
        let tx = self.store().begin_write().await?;
        org_units::lock_tree(&tx, who.tenant_id).await?;
        let parent = match cmd.parent_id {
            Some(p) => Some(
                org_units::find(&tx, who.tenant_id, p)
                    .await?
                    .ok_or_else(|| AppError::from(FieldError::new("/parent_id", "not_found")))?,
            ),
            None => None,
        };
        let id = OrgUnitId::new();
        let path = child_path(parent.as_ref().map(|p| p.path.as_str()), id.0);
        let new = NewOrgUnit {
            tenant_id: who.tenant_id,
            id,
            parent_id: cmd.parent_id,
            name: &cmd.name,
            kind: cmd.kind,
            path: &path,
        };
        let row = org_units::insert(&tx, new).await?;
        audit::record(&tx, who, "create", "org_unit", id.0, audit_json(&row)).await?;
        config_generation::bump(&tx, who.tenant_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(row.into())
    }

    /// The whole tree, parents before children.
    pub async fn list_org_units(&self, who: &Access) -> Result<Vec<OrgUnitView>, AppError> {
        who.require("org_units:read")?;
        Ok(org_units::list(self.store().conn(), who.tenant_id).await?.into_iter().map(Into::into).collect())
    }

    pub async fn get_org_unit(&self, who: &Access, id: OrgUnitId) -> Result<OrgUnitView, AppError> {
        who.require("org_units:read")?;
        org_units::find(self.store().conn(), who.tenant_id, id).await?.map(Into::into).ok_or(NOT_FOUND)
    }

    pub async fn update_org_unit(
        &self,
        who: &Access,
        id: OrgUnitId,
        change: UpdateOrgUnit,
        if_match: Option<&str>,
    ) -> Result<OrgUnitView, AppError> {
        who.require("org_units:write")?;
        let tx = self.store().begin_write().await?;
        // The tree lock makes the If-Match check, the cycle check and the subtree move one step.
        org_units::lock_tree(&tx, who.tenant_id).await?;
        let row = org_units::find(&tx, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        etag::check(if_match, row.updated_at)?;
        let before = audit_json(&row);
        let mut row = row;
        if let Some(new_parent) = change.parent_id.filter(|p| *p != row.parent_id) {
            let parent_path = match new_parent {
                Some(p) => {
                    let parent = org_units::find(&tx, who.tenant_id, p)
                        .await?
                        .ok_or_else(|| AppError::from(FieldError::new("/parent_id", "not_found")))?;
                    if is_within(&parent.path, &row.path) {
                        return Err(AppError::Conflict {
                            code: Code::OrgUnitCycle,
                            field: Some("/parent_id".to_owned()),
                        });
                    }
                    Some(parent.path)
                }
                None => None,
            };
            let new_path = child_path(parent_path.as_deref(), row.id.0);
            org_units::move_subtree(&tx, &row, new_parent, &new_path).await?;
            row = org_units::find(&tx, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        }
        if let Some(n) = &change.name {
            row = org_units::rename(&tx, &row, n).await?;
        }
        audit::record(&tx, who, "update", "org_unit", id.0, audit::diff(&before, &audit_json(&row))).await?;
        config_generation::bump(&tx, who.tenant_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(row.into())
    }

    /// Deletes a leaf: a unit with children or users is a conflict naming which. The tree lock
    /// orders it with child creation; the unit's row lock with users being put into it (which
    /// lock the unit too), so neither can slip in between the check and the delete.
    pub async fn delete_org_unit(&self, who: &Access, id: OrgUnitId, if_match: Option<&str>) -> Result<(), AppError> {
        who.require("org_units:write")?;
        let tx = self.store().begin_write().await?;
        org_units::lock_tree(&tx, who.tenant_id).await?;
        let row = org_units::find_locked(&tx, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        etag::check(if_match, row.updated_at)?;
        if org_units::count_children(&tx, who.tenant_id, id).await? > 0 {
            return Err(AppError::Conflict { code: Code::OrgUnitHasChildren, field: None });
        }
        if org_units::count_users(&tx, who.tenant_id, id).await? > 0 {
            return Err(AppError::Conflict { code: Code::OrgUnitHasUsers, field: None });
        }
        org_units::delete(&tx, who.tenant_id, id).await?;
        audit::record(&tx, who, "delete", "org_unit", id.0, audit_json(&row)).await?;
        config_generation::bump(&tx, who.tenant_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}
