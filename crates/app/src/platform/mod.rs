//! Platform use cases: first-start bootstrap and readiness.

pub mod bootstrap;
pub mod health;
