//! Loyalty queries, per `LOYALTY.md`: points plans, the points ledger (append-only entries,
//! unique per source, kind and status, and balances cached beside them that only `ledger::write`
//! changes), purchases with their payments and refunds, carry-over runs and the rewards they make.

pub mod carry_over;
pub mod ledger;
pub mod plans;
pub mod purchases;
