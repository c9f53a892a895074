//! Platform: tenants, tenant settings and custom fields.

pub mod custom_fields;
pub mod settings;
pub mod tenant;

pub use tenant::{DEFAULT_TENANT_CODE, TenantCode};
