//! Loyalty use cases, per `LOYALTY.md`: points plans (`plans`), the ledger's one posting path
//! (`ledger`: entries and balances together, the negative flag, the level hook), members'
//! points and manual or activity entries (`points`), purchases with their payments, refunds and
//! cancellation from the sales system (`purchases`), carry-over runs and their reversal
//! (`carry_over`), rewards (`rewards`), and the check that balances equal their entries
//! (`check`). Every ledger change is written with its audit record and outbox event in one
//! transaction.

pub mod carry_over;
pub mod check;
pub(crate) mod ledger;
pub mod plans;
pub mod points;
pub mod purchases;
pub mod rewards;
