//! The tenant's settings: duplicate policy, the public-pool rules, card numbering and the
//! enrollment review.

use crate::extract::{Allowed, Json};
use crate::perm::{SettingsRead, SettingsWrite};
use crate::routes::ApiResult;
use crate::routes::common::nullable;
use crate::state::ApiState;
use actix_web::{get, patch, web};
use crm_app::AppError;
use crm_app::platform::settings::{SettingsChange, TenantSettings};
use crm_domain::membership::{CardMode, Channel, RequiredField};
use crm_domain::platform::settings::{
    DuplicatePolicy, parse_card_serial_width, parse_claim_limit, parse_pool_return_days,
};
use crm_domain::{FieldError, FieldErrors};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

/// A change of settings: absent fields stay, `null` resets to the default.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"duplicate_policy": "refuse", "pool_return_days": 30}))]
pub struct SettingsRequest {
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DuplicatePolicy>, nullable)]
    pub duplicate_policy: Option<Option<String>>,
    /// 1 to 3650.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, nullable)]
    pub pool_return_days: Option<Option<i64>>,
    /// 1 to 1,000,000.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, nullable)]
    pub pool_claim_limit: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<CardMode>, nullable)]
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
    #[schema(value_type = Option<Vec<RequiredField>>, nullable)]
    pub enrollment_required_fields: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Vec<Channel>>, nullable)]
    pub enrollment_auto_approve_channels: Option<Option<Vec<String>>>,
    /// An IANA time zone name (`Asia/Shanghai`, the default).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub time_zone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<bool>, nullable)]
    pub points_demote_on_reversal: Option<Option<bool>>,
}

/// Parses one value of a change (into `errs`); `Some(None)` (reset) passes as it is.
fn parse<T, U>(
    v: Option<Option<T>>,
    errs: &mut FieldErrors,
    parse: impl FnOnce(T) -> Result<U, FieldError>,
) -> Option<Option<U>> {
    match v {
        None => None,
        Some(None) => Some(None),
        Some(Some(v)) => errs.check(parse(v)).map(Some),
    }
}

/// Parses a list of names, deduplicated in the order given; errors name the index.
fn names<T: PartialEq + Copy>(
    field: &str,
    items: Vec<String>,
    parse: impl Fn(&str, &str) -> Result<T, FieldError>,
) -> Result<Vec<T>, FieldErrors> {
    let mut errs = FieldErrors::default();
    let mut out = Vec::new();
    for (i, s) in items.iter().enumerate() {
        if let Some(v) = errs.check(parse(&format!("{field}/{i}"), s))
            && !out.contains(&v)
        {
            out.push(v);
        }
    }
    errs.into_result().map(|_| out)
}

/// [`names`] for a change (reset passes), into `errs`.
fn list<T: PartialEq + Copy>(
    field: &str,
    v: Option<Option<Vec<String>>>,
    errs: &mut FieldErrors,
    parse: impl Fn(&str, &str) -> Result<T, FieldError>,
) -> Option<Option<Vec<T>>> {
    match v {
        None => None,
        Some(None) => Some(None),
        Some(Some(items)) => match names(field, items, parse) {
            Ok(v) => Some(Some(v)),
            Err(e) => {
                errs.0.extend(e.0);
                None
            }
        },
    }
}

impl TryFrom<SettingsRequest> for SettingsChange {
    type Error = AppError;

    fn try_from(b: SettingsRequest) -> Result<Self, AppError> {
        let mut errs = FieldErrors::default();
        let change = SettingsChange {
            duplicate_policy: parse(b.duplicate_policy, &mut errs, |p| DuplicatePolicy::parse("/duplicate_policy", &p)),
            pool_return_days: parse(b.pool_return_days, &mut errs, |d| parse_pool_return_days("/pool_return_days", d)),
            pool_claim_limit: parse(b.pool_claim_limit, &mut errs, |n| parse_claim_limit("/pool_claim_limit", n)),
            card_mode: parse(b.card_mode, &mut errs, |m| CardMode::parse("/card_mode", &m)),
            card_prefix: b.card_prefix.map(|p| p.map(|p| p.trim().to_ascii_uppercase())),
            card_serial_width: parse(b.card_serial_width, &mut errs, |w| {
                parse_card_serial_width("/card_serial_width", w)
            }),
            card_check_digit: b.card_check_digit,
            enrollment_required_fields: list(
                "/enrollment_required_fields",
                b.enrollment_required_fields,
                &mut errs,
                RequiredField::parse,
            ),
            enrollment_auto_approve_channels: list(
                "/enrollment_auto_approve_channels",
                b.enrollment_auto_approve_channels,
                &mut errs,
                Channel::parse,
            ),
            time_zone: parse(b.time_zone, &mut errs, |z| {
                crm_domain::loyalty::parse_time_zone("/time_zone", &z).map(|tz| tz.name().to_owned())
            }),
            points_demote_on_reversal: b.points_demote_on_reversal,
        };
        errs.into_result()?;
        Ok(change)
    }
}

/// The tenant's settings.
#[utoipa::path(tag = "settings", security(("bearer" = ["settings:read"])),
    responses((status = 200, description = "Settings", body = TenantSettings)))]
#[get("/settings")]
pub async fn get_settings(
    state: web::Data<ApiState>,
    who: Allowed<SettingsRead>,
) -> ApiResult<web::Json<TenantSettings>> {
    Ok(web::Json(state.app.get_settings(&who.0).await?))
}

/// Changes settings; audited.
#[utoipa::path(tag = "settings", security(("bearer" = ["settings:write"])), request_body = SettingsRequest,
    responses((status = 200, description = "Settings after the change", body = TenantSettings)))]
#[patch("/settings")]
pub async fn update_settings(
    state: web::Data<ApiState>,
    who: Allowed<SettingsWrite>,
    body: Json<SettingsRequest>,
) -> ApiResult<web::Json<TenantSettings>> {
    let change = body.into_inner()?.try_into()?;
    Ok(web::Json(state.app.update_settings(&who.0, change).await?))
}
