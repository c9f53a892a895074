//! The tenant's configuration as of one configuration generation: its settings, member levels
//! and the customers' custom-field definitions, cached per node beside the callers' rights
//! (`identity::access`), so that a request reads none of them again while nothing changed. Every
//! change of any of them bumps the generation.

use crate::AppError;
use crate::platform::settings::{self, TenantSettings};
use crm_domain::ids::TenantId;
use crm_domain::platform::custom_fields::ObjectType;
use crm_store::ConnectionTrait;
use crm_store::membership::levels::{self, Level};
use crm_store::platform::custom_fields::{self, CustomFieldRecord};

/// Settings and levels, read together.
#[derive(Debug)]
pub struct TenantSnapshot {
    pub(crate) settings: TenantSettings,
    /// Lowest `level_value` first.
    pub(crate) levels: Vec<Level>,
    /// The custom fields of customers, in their display order.
    pub(crate) customer_fields: Vec<CustomFieldRecord>,
}

pub(crate) async fn load(c: &impl ConnectionTrait, tenant: TenantId) -> Result<TenantSnapshot, AppError> {
    Ok(TenantSnapshot {
        settings: settings::load(c, tenant).await?,
        levels: levels::list(c, tenant).await?,
        customer_fields: custom_fields::list(c, tenant, Some(ObjectType::Customer)).await?,
    })
}
