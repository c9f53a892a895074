//! Membership use cases: member levels, the card-number pool and card assignment, enrollment
//! applications with their automatic review, approval (single and bulk), members (look-up, profile,
//! card loss, replacement, cancellation), level changes and external identities.

pub mod applications;
pub mod approval;
pub mod cards;
pub mod identities;
pub mod levels;
pub mod members;
pub mod view;
