//! The audit log.

use crate::extract::{Allowed, Query};
use crate::perm::AuditLogRead;
use crate::problem::ApiError;
use crate::routes::ApiResult;
use crate::state::ApiState;
use actix_web::{get, web};
use chrono::{DateTime, Utc};
use crm_app::paging::{Page, PageRequest};
use crm_app::platform::audit::{AuditEntry, AuditFilter};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

/// Filters of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
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

/// Who changed what, when, from which request; newest first.
#[utoipa::path(tag = "audit", security(("bearer" = ["audit_log:read"])), params(AuditParams),
    responses((status = 200, description = "A page of entries", body = Page<AuditEntry>)))]
#[get("/audit-log")]
pub async fn audit_log(
    state: web::Data<ApiState>,
    who: Allowed<AuditLogRead>,
    q: Query<AuditParams>,
) -> ApiResult<web::Json<Page<AuditEntry>>> {
    let q = q.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref()).map_err(ApiError::in_query)?;
    let f = AuditFilter {
        entity_type: q.entity_type,
        entity_id: q.entity_id,
        actor_id: q.actor_id,
        from: q.from,
        to: q.to,
    };
    Ok(web::Json(state.app.audit_log(&who.0, f, page).await?))
}
