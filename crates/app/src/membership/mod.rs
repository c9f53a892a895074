//! Membership use cases: member levels, the card-number pool and card assignment, enrollment
//! applications with their automatic review, approval (single and bulk), members (look-up, profile,
//! card loss, replacement, cancellation), level changes and external identities.
//!
//! Each aggregate's view and shared helpers live in one module (`application`, `member`), which
//! the use-case modules import; they do not import each other in a circle.

pub mod application;
pub mod applications;
pub mod approval;
pub mod cards;
pub mod identities;
pub mod level_changes;
pub mod levels;
pub mod member;
pub mod members;
mod person;
