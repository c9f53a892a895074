//! Platform queries: tenants, deployment-wide and tenant settings, per-tenant counters, the audit
//! log, custom fields, leases of scheduled jobs, and locks on keys.

pub mod audit;
pub mod counters;
pub mod custom_fields;
pub mod job_leases;
pub mod key_locks;
pub mod settings;
pub mod tenant_settings;
pub mod tenants;
