//! Integration (对接): what other systems see of ours. Today the domain events, a public contract
//! (one typed enum, versioned payloads), and the states of their delivery through the outbox.
//! Inbound purchases and payments, webhook subscriptions and idempotency records belong here too
//! when they arrive.

pub mod events;

use crate::macros::str_enum;

str_enum!(
    /// Where an outbox message is: waiting for (another) delivery attempt, delivered, or parked
    /// after its last allowed attempt failed, until an operator replays it.
    OutboxStatus { Pending => "pending", Delivered => "delivered", Parked => "parked" }
);
