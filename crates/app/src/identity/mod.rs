//! Identity use cases: sign-in sessions and lockout, access tokens, rights and data scope,
//! the org tree, positions, users, API clients, and a new tenant's first administrator (`seed`,
//! the one module the platform context reaches into).

pub mod access;
pub(crate) mod access_cache;
pub mod api_clients;
pub(crate) mod generation_reads;
mod grants;
pub mod org_units;
pub mod password;
pub mod positions;
pub mod principal;
pub mod seed;
pub mod sessions;
pub mod tokens;
mod user_checks;
pub mod users;
