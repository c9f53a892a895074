//! Membership queries: levels, the card-number pool, members, level changes, external
//! identities and enrollment applications.

pub mod applications;
pub mod cards;
pub mod identities;
pub mod level_changes;
pub mod levels;
pub mod members;
pub mod person_locks;
