//! Identity queries: org units, positions, users with positions and grants, sessions, API
//! clients, login-failure counters.

pub mod api_clients;
pub mod login_failures;
pub mod org_units;
pub mod positions;
pub mod sessions;
pub mod users;
