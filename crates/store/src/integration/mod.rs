//! Integration queries: the outbox of domain events (appended by use cases, read by operators)
//! and the delivery side a dispatcher works with (claim, mark delivered, retry later, park).
//! Inbound purchases, idempotency records and webhook subscriptions join here when they arrive.

pub mod delivery;
pub mod outbox;
