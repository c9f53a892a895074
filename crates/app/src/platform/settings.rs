//! A tenant's settings: typed, with defaults, stored one key per setting, changed with an audit entry.

use crate::platform::audit;
use crate::{Access, App, AppError};
use crm_domain::ids::TenantId;
use crm_domain::membership::review::DEFAULT_REQUIRED;
use crm_domain::membership::{CardMode, CardNumberRule, Channel, RequiredField};
use crm_domain::platform::settings::{DuplicatePolicy, parse_claim_limit, parse_pool_return_days};
use crm_domain::{FieldError, FieldErrors};
use crm_store::ConnectionTrait;
use crm_store::platform::tenant_settings;
use serde_json::{Value, json};

pub(crate) const DUPLICATE_POLICY: &str = "customers.duplicate_policy";
pub(crate) const POOL_RETURN_DAYS: &str = "customers.pool_return_days";
pub(crate) const POOL_CLAIM_LIMIT: &str = "customers.pool_claim_limit";
const CARD_MODE: &str = "membership.card_mode";
const CARD_PREFIX: &str = "membership.card_prefix";
const CARD_SERIAL_WIDTH: &str = "membership.card_serial_width";
const CARD_CHECK_DIGIT: &str = "membership.card_check_digit";
const REQUIRED_FIELDS: &str = "membership.enrollment_required_fields";
const AUTO_APPROVE: &str = "membership.enrollment_auto_approve_channels";

/// The serial width of automatic card numbers when none is set.
pub const DEFAULT_CARD_SERIAL_WIDTH: u32 = 8;

/// Every setting with its current value (defaults where none is stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantSettings {
    pub duplicate_policy: DuplicatePolicy,
    /// Owned customers without an interaction for this many days return to the public pool; off when `None`.
    pub pool_return_days: Option<u32>,
    /// The most customers a user may own when claiming from the pool; no limit when `None`.
    pub pool_claim_limit: Option<u32>,
    /// Automatic card numbers or a preset pool.
    pub card_mode: CardMode,
    pub card_prefix: String,
    pub card_serial_width: u32,
    pub card_check_digit: bool,
    /// Key information every enrollment application must carry.
    pub enrollment_required_fields: Vec<RequiredField>,
    /// Channels whose applications are approved at once when the review finds nothing.
    pub enrollment_auto_approve_channels: Vec<Channel>,
}

impl Default for TenantSettings {
    fn default() -> Self {
        Self {
            duplicate_policy: DuplicatePolicy::default(),
            pool_return_days: None,
            pool_claim_limit: None,
            card_mode: CardMode::default(),
            card_prefix: String::new(),
            card_serial_width: DEFAULT_CARD_SERIAL_WIDTH,
            card_check_digit: false,
            enrollment_required_fields: DEFAULT_REQUIRED.to_vec(),
            enrollment_auto_approve_channels: Vec::new(),
        }
    }
}

/// A change: absent fields stay, `Some(None)` resets to the default.
#[derive(Debug, Clone, Default)]
pub struct SettingsPatch {
    pub duplicate_policy: Option<Option<String>>,
    pub pool_return_days: Option<Option<i64>>,
    pub pool_claim_limit: Option<Option<i64>>,
    pub card_mode: Option<Option<String>>,
    pub card_prefix: Option<Option<String>>,
    pub card_serial_width: Option<Option<i64>>,
    pub card_check_digit: Option<Option<bool>>,
    pub enrollment_required_fields: Option<Option<Vec<String>>>,
    pub enrollment_auto_approve_channels: Option<Option<Vec<String>>>,
}

impl TenantSettings {
    fn to_json(&self) -> Value {
        json!({
            "duplicate_policy": self.duplicate_policy.as_str(),
            "pool_return_days": self.pool_return_days,
            "pool_claim_limit": self.pool_claim_limit,
            "card_mode": self.card_mode.as_str(),
            "card_prefix": self.card_prefix,
            "card_serial_width": self.card_serial_width,
            "card_check_digit": self.card_check_digit,
            "enrollment_required_fields": self.enrollment_required_fields.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
            "enrollment_auto_approve_channels":
                self.enrollment_auto_approve_channels.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        })
    }

    /// How automatic card numbers are made.
    pub fn card_rule(&self) -> Result<CardNumberRule, AppError> {
        CardNumberRule::new(
            &self.card_prefix,
            i64::from(self.card_serial_width),
            self.card_check_digit,
            ("/card_prefix", "/card_serial_width"),
        )
        .map_err(AppError::Invalid)
    }
}

fn names<T>(v: &Value, parse: impl Fn(&str) -> Option<T>) -> Option<Vec<T>> {
    v.as_array().map(|a| a.iter().filter_map(|x| x.as_str().and_then(&parse)).collect())
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
            CARD_MODE => s.card_mode = v.as_str().and_then(|m| CardMode::parse("", m).ok()).unwrap_or_default(),
            CARD_PREFIX => s.card_prefix = v.as_str().unwrap_or_default().to_owned(),
            CARD_SERIAL_WIDTH => {
                s.card_serial_width =
                    v.as_u64().and_then(|w| u32::try_from(w).ok()).unwrap_or(DEFAULT_CARD_SERIAL_WIDTH)
            }
            CARD_CHECK_DIGIT => s.card_check_digit = v.as_bool().unwrap_or(false),
            REQUIRED_FIELDS => {
                s.enrollment_required_fields =
                    names(&v, |f| RequiredField::parse("", f).ok()).unwrap_or_else(|| DEFAULT_REQUIRED.to_vec())
            }
            AUTO_APPROVE => {
                s.enrollment_auto_approve_channels = names(&v, |c| Channel::parse("", c).ok()).unwrap_or_default()
            }
            _ => {}
        }
    }
    Ok(s)
}

/// Parses a list of names, each with `parse`, deduplicated in the order given; errors name the index.
fn parse_list<T: PartialEq + Copy>(
    field: &str,
    items: &[String],
    parse: impl Fn(&str, &str) -> Result<T, FieldError>,
    errs: &mut FieldErrors,
) -> Vec<T> {
    let mut out = Vec::new();
    for (i, s) in items.iter().enumerate() {
        if let Some(v) = errs.check(parse(&format!("{field}/{i}"), s))
            && !out.contains(&v)
        {
            out.push(v);
        }
    }
    out
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
        match &patch.card_mode {
            None => {}
            Some(None) => writes.push((CARD_MODE, None)),
            Some(Some(m)) => {
                if let Some(m) = errs.check(CardMode::parse("/card_mode", m)) {
                    writes.push((CARD_MODE, Some(json!(m.as_str()))));
                }
            }
        }
        // The card rule is checked as a whole once the change is applied (below).
        if let Some(p) = &patch.card_prefix {
            writes.push((CARD_PREFIX, p.as_ref().map(|p| json!(p.trim().to_ascii_uppercase()))));
        }
        if let Some(w) = patch.card_serial_width {
            if w.is_some_and(|w| !(4..=16).contains(&w)) {
                errs.push(FieldError::new("/card_serial_width", "range").with("min", 4).with("max", 16));
            }
            writes.push((CARD_SERIAL_WIDTH, w.map(|w| json!(w))));
        }
        if let Some(c) = patch.card_check_digit {
            writes.push((CARD_CHECK_DIGIT, c.map(|c| json!(c))));
        }
        match &patch.enrollment_required_fields {
            None => {}
            Some(None) => writes.push((REQUIRED_FIELDS, None)),
            Some(Some(f)) => {
                let v = parse_list("/enrollment_required_fields", f, RequiredField::parse, &mut errs);
                writes.push((REQUIRED_FIELDS, Some(json!(v.iter().map(|f| f.as_str()).collect::<Vec<_>>()))));
            }
        }
        match &patch.enrollment_auto_approve_channels {
            None => {}
            Some(None) => writes.push((AUTO_APPROVE, None)),
            Some(Some(c)) => {
                let v = parse_list("/enrollment_auto_approve_channels", c, Channel::parse, &mut errs);
                writes.push((AUTO_APPROVE, Some(json!(v.iter().map(|c| c.as_str()).collect::<Vec<_>>()))));
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
        // A prefix and check digit that cannot make numbers together are refused, whichever of
        // them this change touched.
        after.card_rule()?;
        if before != after {
            let diff = audit::diff(&before.to_json(), &after.to_json());
            audit::record(&tx, who, "update", "tenant_settings", who.tenant_id.0, diff).await?;
        }
        tx.commit().await.map_err(crm_store::StoreError::from)?;
        Ok(after)
    }
}
