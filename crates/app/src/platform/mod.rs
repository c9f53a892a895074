//! Platform use cases: tenants, first-start bootstrap, readiness, the audit log.

pub mod audit;
pub mod bootstrap;
pub mod health;
pub mod tenants;
