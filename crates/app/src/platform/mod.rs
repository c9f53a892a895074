//! Platform use cases: tenants, first-start bootstrap, readiness, the audit log, tenant settings,
//! and custom fields.

pub mod audit;
pub mod bootstrap;
pub mod custom_fields;
pub mod health;
pub mod settings;
pub mod tenants;
