//! Integration endpoints: the outbox of domain events. Inbound purchases and payments and
//! webhook subscriptions join here when they arrive.

pub mod outbox;
