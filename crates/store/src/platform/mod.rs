//! Platform queries: tenants, deployment-wide and tenant settings, per-tenant counters, the audit
//! log, custom fields, leases of scheduled jobs, and locks on keys;
//! and how every identity and platform record reads its stored strings back as domain values.

pub mod audit;
pub mod config_generation;
pub mod counters;
pub mod custom_fields;
pub mod job_leases;
pub mod key_locks;
pub mod settings;
pub mod tenant_settings;
pub mod tenants;

pub(crate) use crate::stored::{parse_stored, strings_stored, unreadable};
