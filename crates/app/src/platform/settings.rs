//! A tenant's settings: typed, with defaults, stored one key per setting, changed with an audit entry.

use crate::platform::audit;
use crate::{Access, App, AppError};
use crm_domain::ids::TenantId;
use crm_domain::membership::review::DEFAULT_REQUIRED;
use crm_domain::membership::{CardMode, CardNumberRule, Channel, RequiredField};
use crm_domain::platform::settings::{DuplicatePolicy, parse_claim_limit, parse_pool_return_days};
use crm_store::ConnectionTrait;
use crm_store::platform::{config_generation, tenant_settings};
use serde::Serialize;
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
const TIME_ZONE: &str = "platform.time_zone";
const DEMOTE_ON_REVERSAL: &str = "loyalty.points_demote_on_reversal";

/// The serial width of automatic card numbers when none is set.
pub const DEFAULT_CARD_SERIAL_WIDTH: u32 = 8;

/// The tenant's settings (defaults where never set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantSettings {
    /// Creating a probable duplicate customer: `warn` (create it, return `warnings`) or `refuse` (409).
    pub duplicate_policy: DuplicatePolicy,
    /// Owned customers without an interaction for this many days go back to the public pool
    /// (checked every few minutes); `null`: never.
    pub pool_return_days: Option<u32>,
    /// The most customers a user may own and still claim from the pool; `null`: no limit.
    pub pool_claim_limit: Option<u32>,
    /// `auto`: card numbers are prefix + serial from a counter; `preset`: taken from the pool
    /// (`/card-numbers`), lowest free number first.
    pub card_mode: CardMode,
    /// The prefix of automatic card numbers.
    pub card_prefix: String,
    /// Digits of the serial of automatic card numbers (zero-padded).
    pub card_serial_width: u32,
    /// Automatic card numbers end with a Luhn check digit.
    pub card_check_digit: bool,
    /// Key information every enrollment application must carry; missing ones are review findings.
    pub enrollment_required_fields: Vec<RequiredField>,
    /// Channels whose applications are approved at once when the review finds nothing.
    pub enrollment_auto_approve_channels: Vec<Channel>,
    /// The tenant's time zone (IANA name): business dates (points plan periods, the day a
    /// purchase or an entry belongs to) are calendar days there.
    pub time_zone: String,
    /// Whether a reversal of upgrade points (a cancelled or refunded purchase) lowers the member's
    /// level to the one the remaining points reach; by default a level never goes down by itself.
    pub points_demote_on_reversal: bool,
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
            time_zone: crm_domain::loyalty::DEFAULT_TIME_ZONE.name().to_owned(),
            points_demote_on_reversal: false,
        }
    }
}

/// `PATCH /settings`, parsed: absent fields stay, `Some(None)` resets to the default. Each value
/// is within its range and lists are deduplicated in the order given; the card prefix is trimmed
/// and upper case. Whether prefix and check digit make numbers together is checked once the
/// change is applied.
#[derive(Debug, Clone, Default)]
pub struct SettingsChange {
    pub duplicate_policy: Option<Option<DuplicatePolicy>>,
    pub pool_return_days: Option<Option<u32>>,
    pub pool_claim_limit: Option<Option<u32>>,
    pub card_mode: Option<Option<CardMode>>,
    pub card_prefix: Option<Option<String>>,
    pub card_serial_width: Option<Option<u32>>,
    pub card_check_digit: Option<Option<bool>>,
    pub enrollment_required_fields: Option<Option<Vec<RequiredField>>>,
    pub enrollment_auto_approve_channels: Option<Option<Vec<Channel>>>,
    /// A valid IANA name (checked by the caller with `crm_domain::loyalty::parse_time_zone`).
    pub time_zone: Option<Option<String>>,
    pub points_demote_on_reversal: Option<Option<bool>>,
}

impl TenantSettings {
    /// The settings as the audit log records them (the same fields as the API shows).
    fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The time zone business dates are in.
    pub fn tz(&self) -> chrono_tz::Tz {
        crm_domain::loyalty::parse_time_zone("", &self.time_zone).unwrap_or(crm_domain::loyalty::DEFAULT_TIME_ZONE)
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
/// The tenant's settings as of the caller's request (its cached snapshot), else read now.
pub(crate) async fn current(c: &impl ConnectionTrait, who: &Access) -> Result<TenantSettings, AppError> {
    match &who.tenant {
        Some(t) => Ok(t.settings.clone()),
        None => load(c, who.tenant_id).await,
    }
}

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
            TIME_ZONE => {
                if let Some(z) = v.as_str().and_then(|z| crm_domain::loyalty::parse_time_zone("", z).ok()) {
                    s.time_zone = z.name().to_owned();
                }
            }
            DEMOTE_ON_REVERSAL => s.points_demote_on_reversal = v.as_bool().unwrap_or(false),
            _ => {}
        }
    }
    Ok(s)
}

/// Adds the write of `key` to `writes` when the change names it (`None` inside: remove it).
fn write<T: Serialize>(writes: &mut Vec<(&'static str, Option<Value>)>, key: &'static str, v: Option<Option<T>>) {
    if let Some(v) = v {
        writes.push((key, v.map(|v| json!(v))));
    }
}

impl App {
    pub async fn get_settings(&self, who: &Access) -> Result<TenantSettings, AppError> {
        who.require("settings:read")?;
        load(self.store().conn(), who.tenant_id).await
    }

    pub async fn update_settings(&self, who: &Access, change: SettingsChange) -> Result<TenantSettings, AppError> {
        who.require("settings:write")?;
        let mut writes = Vec::new();
        write(&mut writes, DUPLICATE_POLICY, change.duplicate_policy);
        write(&mut writes, POOL_RETURN_DAYS, change.pool_return_days);
        write(&mut writes, POOL_CLAIM_LIMIT, change.pool_claim_limit);
        write(&mut writes, CARD_MODE, change.card_mode);
        write(&mut writes, CARD_PREFIX, change.card_prefix);
        write(&mut writes, CARD_SERIAL_WIDTH, change.card_serial_width);
        write(&mut writes, CARD_CHECK_DIGIT, change.card_check_digit);
        write(&mut writes, REQUIRED_FIELDS, change.enrollment_required_fields);
        write(&mut writes, AUTO_APPROVE, change.enrollment_auto_approve_channels);
        write(&mut writes, TIME_ZONE, change.time_zone);
        write(&mut writes, DEMOTE_ON_REVERSAL, change.points_demote_on_reversal);
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
        config_generation::bump(&tx, who.tenant_id).await?;
        tx.commit().await.map_err(crm_store::StoreError::from)?;
        Ok(after)
    }
}
