//! sea-orm entities, one per table. Only this crate sees them.

pub mod api_clients;
pub mod audit_log;
pub mod contacts;
pub mod customer_grade_history;
pub mod customer_tags;
pub mod customers;
pub mod interactions;
pub mod login_failures;
pub mod org_units;
pub mod platform_settings;
pub mod positions;
pub mod refresh_tokens;
pub mod tags;
pub mod tenants;
pub mod user_grants;
pub mod user_positions;
pub mod users;
