//! sea-orm entities, one per table. Only this crate sees them.

pub mod platform_settings;
pub mod refresh_tokens;
pub mod tenants;
pub mod users;
