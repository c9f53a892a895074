//! Loyalty queries: the points ledger (append-only entries, unique per source and kind, balances
//! that always equal the sum of entries), points plans, carry-over runs, rewards and redemptions,
//! per `LOYALTY.md`, as they arrive. Empty until the ledger issue.
