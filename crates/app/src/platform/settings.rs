//! A tenant's settings: typed, with defaults, stored one key per setting, changed with an audit entry.

use crate::platform::audit;
use crate::{Access, App, AppError};
use crm_domain::FieldErrors;
use crm_domain::ids::TenantId;
use crm_domain::platform::settings::{DuplicatePolicy, parse_claim_limit, parse_pool_return_days};
use crm_store::ConnectionTrait;
use crm_store::platform::tenant_settings;
use serde_json::{Value, json};

pub(crate) const DUPLICATE_POLICY: &str = "customers.duplicate_policy";
pub(crate) const POOL_RETURN_DAYS: &str = "customers.pool_return_days";
pub(crate) const POOL_CLAIM_LIMIT: &str = "customers.pool_claim_limit";

/// Every setting with its current value (defaults where none is stored).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantSettings {
    pub duplicate_policy: DuplicatePolicy,
    /// Owned customers without an interaction for this many days return to the public pool; off when `None`.
    pub pool_return_days: Option<u32>,
    /// The most customers a user may own when claiming from the pool; no limit when `None`.
    pub pool_claim_limit: Option<u32>,
}

/// A change: absent fields stay, `Some(None)` resets to the default.
#[derive(Debug, Clone, Default)]
pub struct SettingsPatch {
    pub duplicate_policy: Option<Option<String>>,
    pub pool_return_days: Option<Option<i64>>,
    pub pool_claim_limit: Option<Option<i64>>,
}

impl TenantSettings {
    fn to_json(&self) -> Value {
        json!({
            "duplicate_policy": self.duplicate_policy.as_str(),
            "pool_return_days": self.pool_return_days,
            "pool_claim_limit": self.pool_claim_limit,
        })
    }
}

/// The tenant's settings; a stored value that no longer parses counts as the default.
pub(crate) async fn load(c: &impl ConnectionTrait, tenant: TenantId) -> Result<TenantSettings, AppError> {
    let mut s = TenantSettings::default();
    for (key, value) in tenant_settings::all(c, tenant).await? {
        let v: Value = serde_json::from_str(&value).unwrap_or(Value::Null);
        match key.as_str() {
            DUPLICATE_POLICY => {
                s.duplicate_policy = v.as_str().and_then(|p| DuplicatePolicy::parse("", p).ok()).unwrap_or_default();
            }
            POOL_RETURN_DAYS => s.pool_return_days = v.as_i64().and_then(|d| parse_pool_return_days("", d).ok()),
            POOL_CLAIM_LIMIT => s.pool_claim_limit = v.as_i64().and_then(|d| parse_claim_limit("", d).ok()),
            _ => {}
        }
    }
    Ok(s)
}

impl App {
    pub async fn get_settings(&self, who: &Access) -> Result<TenantSettings, AppError> {
        who.require("settings:read")?;
        load(self.store().conn(), who.tenant_id).await
    }

    pub async fn update_settings(&self, who: &Access, patch: SettingsPatch) -> Result<TenantSettings, AppError> {
        who.require("settings:write")?;
        let mut errs = FieldErrors::default();
        let mut writes: Vec<(&str, Option<Value>)> = Vec::new();
        if let Some(p) = &patch.duplicate_policy {
            match p {
                None => writes.push((DUPLICATE_POLICY, None)),
                Some(p) => {
                    if let Some(p) = errs.check(DuplicatePolicy::parse("/duplicate_policy", p)) {
                        writes.push((DUPLICATE_POLICY, Some(json!(p.as_str()))));
                    }
                }
            }
        }
        for (key, field, value, parse) in [
            (
                POOL_RETURN_DAYS,
                "/pool_return_days",
                patch.pool_return_days,
                parse_pool_return_days as fn(&str, i64) -> Result<u32, crm_domain::FieldError>,
            ),
            (POOL_CLAIM_LIMIT, "/pool_claim_limit", patch.pool_claim_limit, parse_claim_limit),
        ] {
            match value {
                None => {}
                Some(None) => writes.push((key, None)),
                Some(Some(n)) => {
                    if let Some(n) = errs.check(parse(field, n)) {
                        writes.push((key, Some(json!(n))));
                    }
                }
            }
        }
        errs.into_result()?;
        let tx = self.store().begin_write().await?;
        let before = load(&tx, who.tenant_id).await?;
        for (key, value) in writes {
            match value {
                Some(v) => tenant_settings::put(&tx, who.tenant_id, key, &v.to_string()).await?,
                None => tenant_settings::remove(&tx, who.tenant_id, key).await?,
            }
        }
        let after = load(&tx, who.tenant_id).await?;
        if before != after {
            let diff = audit::diff(&before.to_json(), &after.to_json());
            audit::record(&tx, who, "update", "tenant_settings", who.tenant_id.0, diff).await?;
        }
        tx.commit().await.map_err(crm_store::StoreError::from)?;
        Ok(after)
    }
}
