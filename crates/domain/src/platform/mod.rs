//! Platform: tenants, tenant settings, custom fields and the audit log's actors.

pub mod audit;
pub mod custom_fields;
pub mod settings;
pub mod tenant;

pub use tenant::{DEFAULT_TENANT_CODE, TenantCode};
