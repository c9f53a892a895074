//! Integration use cases: domain events written to the outbox (the one write path, [`events::emit`])
//! and the operators' view of it. Inbound purchases and payments, idempotency records and webhook
//! subscriptions belong here when they arrive; the dispatcher that delivers the outbox lives in
//! `crm-integrations`.

pub mod events;
pub mod outbox;
