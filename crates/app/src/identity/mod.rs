//! Identity use cases: sign-in sessions and lockout, access tokens, rights and data scope,
//! the org tree, positions, users, API clients.

pub mod access;
pub mod api_clients;
mod grants;
pub mod org_units;
pub mod password;
pub mod positions;
pub mod principal;
pub mod sessions;
pub mod tokens;
pub mod users;
