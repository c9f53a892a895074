//! Platform queries: tenants, deployment-wide settings, per-tenant counters, the audit log.

pub mod audit;
pub mod counters;
pub mod settings;
pub mod tenants;
