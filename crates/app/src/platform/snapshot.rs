//! The tenant's configuration as of one configuration generation: its settings and member levels,
//! cached per node beside the callers' rights (`identity::access`), so that a request reads
//! neither again while nothing changed. Every change of either bumps the generation.

use crate::AppError;
use crate::platform::settings::{self, TenantSettings};
use crm_domain::ids::TenantId;
use crm_store::ConnectionTrait;
use crm_store::membership::levels::{self, Level};

/// Settings and levels, read together.
#[derive(Debug)]
pub struct TenantSnapshot {
    pub(crate) settings: TenantSettings,
    /// Lowest `level_value` first.
    pub(crate) levels: Vec<Level>,
}

pub(crate) async fn load(c: &impl ConnectionTrait, tenant: TenantId) -> Result<TenantSnapshot, AppError> {
    Ok(TenantSnapshot { settings: settings::load(c, tenant).await?, levels: levels::list(c, tenant).await? })
}
