//! Platform queries: tenants, deployment-wide settings, the audit log.

pub mod audit;
pub mod settings;
pub mod tenants;
