//! Membership queries: levels, the card-number pool, members, level changes, external
//! identities and enrollment applications. Each module exposes plain records carrying domain
//! types, converted from and to the database rows at this edge.

pub mod applications;
pub mod cards;
pub mod identities;
pub mod level_changes;
pub mod levels;
pub mod members;
pub mod person_locks;
