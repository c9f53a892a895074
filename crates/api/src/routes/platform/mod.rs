//! Platform endpoints: tenants, tenant settings, custom field definitions, the audit log, and
//! health, readiness and metrics.

pub mod audit;
pub mod custom_fields;
pub mod health;
pub mod settings;
pub mod tenants;
