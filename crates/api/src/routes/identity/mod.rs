//! Identity endpoints: sign-in sessions and client tokens, users, positions and the permission
//! catalogue, the org tree, API clients.

pub mod api_clients;
pub mod auth;
pub mod org_units;
pub mod positions;
pub mod users;
