//! Who is calling: the verified subject of an access token.

use crm_domain::ids::{TenantId, UserId};

/// A signed-in staff user, as proven by a valid access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    /// The `default` tenant's administrator may manage tenants.
    pub is_platform_admin: bool,
}
