//! Platform use cases: tenants, first-start bootstrap, readiness, the audit log, tenant settings,
//! custom fields, and the outbox of domain events.

pub mod audit;
pub mod bootstrap;
pub mod custom_fields;
pub mod events;
pub mod health;
pub mod settings;
pub mod tenants;
