//! Loyalty use cases, per `LOYALTY.md`, as they arrive: purchases and payments that earn points
//! (pending until paid as the plan requires, reversed on cancellation), manual and activity
//! points, balances, carry-over runs and their reversal, redemptions, coupons and stored value.
//! Every ledger change is an entry written with its audit record and outbox event in one
//! transaction, and calls `membership::members::upgrade_if_due` when upgrade points change.
