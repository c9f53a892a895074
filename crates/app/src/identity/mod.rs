//! Identity use cases: sign-in sessions, access tokens, users.

pub mod password;
pub mod principal;
pub mod sessions;
pub mod tokens;
pub mod users;
