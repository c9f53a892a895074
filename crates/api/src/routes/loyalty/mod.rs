//! Loyalty endpoints, per `API.md` and `LOYALTY.md`: points plans (`plans`), members' points,
//! ledgers, manual and activity entries and the ledger check (`points`), purchases with their
//! payments, refunds and cancellation (`purchases`), carry-over runs, their reversal and the
//! rewards they make (`carry_over`). Redemptions arrive with their issue.

pub mod carry_over;
pub mod plans;
pub mod points;
pub mod purchases;
