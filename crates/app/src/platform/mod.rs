//! Platform use cases: tenants, first-start bootstrap, readiness, the audit log, tenant settings,
//! custom fields, and the cached snapshot of a tenant's configuration.

pub mod audit;
pub mod bootstrap;
pub mod custom_fields;
pub mod health;
pub mod settings;
pub mod snapshot;
pub mod tenants;
