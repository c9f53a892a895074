//! The audit log.

use super::ApiResult;
use crate::extract::{Allowed, Query};
use crate::perm::AuditLogRead;
use crate::problem::ApiError;
use crate::state::ApiState;
use actix_web::{get, web};
use chrono::{DateTime, Utc};
use crm_app::paging::{Page, PageRequest};
use crm_app::platform::audit::AuditEntry;
use crm_app::platform::audit::AuditFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Filters of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// `user`, `org_unit`, `position`, `api_client`, `tenant`, ...
    pub entity_type: Option<String>,
    pub entity_id: Option<Uuid>,
    /// The user or API client that acted.
    pub actor_id: Option<Uuid>,
    /// Entries at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Entries before this time.
    pub to: Option<DateTime<Utc>>,
    /// Page size, 1..=500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One audit entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryResponse {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    /// `user`, `api_client` or `system`.
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub request_id: Option<String>,
    /// `create`, `update`, `delete`, `disable`, `reset_password`, ...
    pub action: String,
    pub entity_type: String,
    pub entity_id: Uuid,
    /// The fields written (create, delete) or `{field: {from, to}}` (update); secrets are `***`.
    pub changes: serde_json::Value,
}

impl From<AuditEntry> for AuditEntryResponse {
    fn from(e: AuditEntry) -> Self {
        Self {
            id: e.id,
            occurred_at: e.occurred_at,
            actor_type: e.actor_type,
            actor_id: e.actor_id,
            request_id: e.request_id,
            action: e.action,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            changes: e.changes,
        }
    }
}

/// A page of the audit log, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntryResponse>,
    pub next_cursor: Option<String>,
}

impl From<Page<AuditEntry>> for AuditPage {
    fn from(p: Page<AuditEntry>) -> Self {
        Self { items: p.items.into_iter().map(Into::into).collect(), next_cursor: p.next_cursor }
    }
}

/// Who changed what, when, from which request; newest first.
#[utoipa::path(tag = "audit", security(("bearer" = ["audit_log:read"])), params(AuditParams),
    responses((status = 200, description = "A page of entries", body = AuditPage)))]
#[get("/audit-log")]
pub async fn audit_log(
    state: web::Data<ApiState>,
    who: Allowed<AuditLogRead>,
    q: Query<AuditParams>,
) -> ApiResult<web::Json<AuditPage>> {
    let q = q.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref()).map_err(ApiError::in_query)?;
    let f = AuditFilter {
        entity_type: q.entity_type,
        entity_id: q.entity_id,
        actor_id: q.actor_id,
        from: q.from,
        to: q.to,
    };
    Ok(web::Json(state.app.audit_log(&who.0, f, page).await?.into()))
}
