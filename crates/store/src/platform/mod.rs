//! Platform queries: tenants and deployment-wide settings.

pub mod settings;
pub mod tenants;
