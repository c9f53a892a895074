//! Identity queries: users and refresh-token sessions.

pub mod sessions;
pub mod users;
