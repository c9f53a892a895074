//! The tenant's settings: duplicate policy, the public-pool rules, card numbering and the
//! enrollment review.

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
    /// `auto`: card numbers are prefix + serial from a counter; `preset`: taken from the pool
    /// (`/card-numbers`), lowest free number first.
    pub card_mode: String,
    /// The prefix of automatic card numbers.
    pub card_prefix: String,
    /// Digits of the serial of automatic card numbers (zero-padded).
    pub card_serial_width: u32,
    /// Automatic card numbers end with a Luhn check digit.
    pub card_check_digit: bool,
    /// Key information every enrollment application must carry (`name`, `phone`, `email`,
    /// `id_number`, `gender`, `birthday`, `address`); missing ones are review findings.
    pub enrollment_required_fields: Vec<String>,
    /// Channels whose applications are approved at once when the review finds nothing.
    pub enrollment_auto_approve_channels: Vec<String>,
}

impl From<TenantSettings> for SettingsResponse {
    fn from(s: TenantSettings) -> Self {
        Self {
            duplicate_policy: s.duplicate_policy.as_str().to_owned(),
            pool_return_days: s.pool_return_days,
            pool_claim_limit: s.pool_claim_limit,
            card_mode: s.card_mode.as_str().to_owned(),
            card_prefix: s.card_prefix,
            card_serial_width: s.card_serial_width,
            card_check_digit: s.card_check_digit,
            enrollment_required_fields: s.enrollment_required_fields.iter().map(|f| f.as_str().to_owned()).collect(),
            enrollment_auto_approve_channels: s
                .enrollment_auto_approve_channels
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
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
    /// `auto` or `preset`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub card_mode: Option<Option<String>>,
    /// 0 to 8 letters or digits (digits only with `card_check_digit`).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub card_prefix: Option<Option<String>>,
    /// 4 to 16.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, nullable)]
    pub card_serial_width: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<bool>, nullable)]
    pub card_check_digit: Option<Option<bool>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Vec<String>>, nullable)]
    pub enrollment_required_fields: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Vec<String>>, nullable)]
    pub enrollment_auto_approve_channels: Option<Option<Vec<String>>>,
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
        card_mode: b.card_mode,
        card_prefix: b.card_prefix,
        card_serial_width: b.card_serial_width,
        card_check_digit: b.card_check_digit,
        enrollment_required_fields: b.enrollment_required_fields,
        enrollment_auto_approve_channels: b.enrollment_auto_approve_channels,
    };
    Ok(web::Json(state.app.update_settings(&who.0, patch).await?.into()))
}
