//! The tenant's settings: duplicate policy and the public-pool rules.

use super::ApiResult;
use super::common::nullable;
use crate::extract::{Allowed, Json};
use crate::perm::{SettingsRead, SettingsWrite};
use crate::state::ApiState;
use actix_web::{get, patch, web};
use crm_app::platform::settings::{SettingsPatch, TenantSettings};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

/// The tenant's settings (defaults where never set).
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingsResponse {
    /// Creating a probable duplicate customer: `warn` (create it, return `warnings`) or `refuse` (409).
    pub duplicate_policy: String,
    /// Owned customers without an interaction for this many days go back to the public pool
    /// (checked every few minutes); `null`: never.
    pub pool_return_days: Option<u32>,
    /// The most customers a user may own and still claim from the pool; `null`: no limit.
    pub pool_claim_limit: Option<u32>,
}

impl From<TenantSettings> for SettingsResponse {
    fn from(s: TenantSettings) -> Self {
        Self {
            duplicate_policy: s.duplicate_policy.as_str().to_owned(),
            pool_return_days: s.pool_return_days,
            pool_claim_limit: s.pool_claim_limit,
        }
    }
}

/// A change of settings: absent fields stay, `null` resets to the default.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"duplicate_policy": "refuse", "pool_return_days": 30}))]
pub struct SettingsRequest {
    /// `warn` or `refuse`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub duplicate_policy: Option<Option<String>>,
    /// 1 to 3650.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, nullable)]
    pub pool_return_days: Option<Option<i64>>,
    /// 1 to 1,000,000.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, nullable)]
    pub pool_claim_limit: Option<Option<i64>>,
}

/// The tenant's settings.
#[utoipa::path(tag = "settings", security(("bearer" = ["settings:read"])),
    responses((status = 200, description = "Settings", body = SettingsResponse)))]
#[get("/settings")]
pub async fn get_settings(
    state: web::Data<ApiState>,
    who: Allowed<SettingsRead>,
) -> ApiResult<web::Json<SettingsResponse>> {
    Ok(web::Json(state.app.get_settings(&who.0).await?.into()))
}

/// Changes settings; audited.
#[utoipa::path(tag = "settings", security(("bearer" = ["settings:write"])), request_body = SettingsRequest,
    responses((status = 200, description = "Settings after the change", body = SettingsResponse)))]
#[patch("/settings")]
pub async fn update_settings(
    state: web::Data<ApiState>,
    who: Allowed<SettingsWrite>,
    body: Json<SettingsRequest>,
) -> ApiResult<web::Json<SettingsResponse>> {
    let b = body.into_inner()?;
    let patch = SettingsPatch {
        duplicate_policy: b.duplicate_policy,
        pool_return_days: b.pool_return_days,
        pool_claim_limit: b.pool_claim_limit,
    };
    Ok(web::Json(state.app.update_settings(&who.0, patch).await?.into()))
}
