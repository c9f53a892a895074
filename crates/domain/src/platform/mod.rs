//! Platform: tenants and tenant-wide settings.

pub mod tenant;

pub use tenant::{DEFAULT_TENANT_CODE, TenantCode};
