//! Loyalty (积分): the points ledger and what is built on it, per `LOYALTY.md`. Points plans by
//! period and their point items (what earns how many points, of which kind), the append-only
//! ledger (one entry per source and kind, `pending` until the sales system confirms payment,
//! reversed by new entries, never edited), carry-over of reward points into rewards at period end
//! and its reversal, redemption activities, coupons and stored value. The rules live here with
//! unit tests and properties (ledger sums, carry-over then reversal is the identity); the ledger
//! calls `membership`'s upgrade hook when upgrade points change.
//!
//! Today: the value types the ledger starts from, [`Points`] and [`Money`], exact integers with
//! checked arithmetic.

pub mod money;
pub mod points;

pub use money::Money;
pub use points::{Points, PointsKind};
