//! sea-orm entities, one per table. Only this crate sees them.

pub mod api_clients;
pub mod audit_log;
pub mod contacts;
pub mod custom_field_values;
pub mod custom_fields;
pub mod customer_grade_history;
pub mod customer_merges;
pub mod customer_tags;
pub mod customers;
pub mod interactions;
pub mod job_leases;
pub mod login_failures;
pub mod org_units;
pub mod platform_settings;
pub mod positions;
pub mod refresh_tokens;
pub mod segment_members;
pub mod segments;
pub mod tags;
pub mod tenant_settings;
pub mod tenants;
pub mod user_grants;
pub mod user_positions;
pub mod users;
