//! Points: whole numbers, of one of two kinds that are never mixed. Arithmetic is checked, so a
//! sum that does not fit is a refusal, never a wrapped balance.

use crate::macros::str_enum;
use serde::{Deserialize, Serialize};
use std::fmt;

str_enum!(
    /// `reward` points are spent and carried over into rewards; `upgrade` points only decide the
    /// member's level. Balances and entries are always per kind.
    PointsKind { Reward => "reward", Upgrade => "upgrade" }
);

/// A number of points; negative for a debit or a reversal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = i64, example = 120))]
pub struct Points(i64);

impl Points {
    pub const ZERO: Points = Points(0);

    pub const fn new(n: i64) -> Self {
        Self(n)
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Points) -> Option<Points> {
        self.0.checked_add(other.0).map(Points)
    }

    pub fn checked_sub(self, other: Points) -> Option<Points> {
        self.0.checked_sub(other.0).map(Points)
    }

    /// The entry that cancels this one (`None` only for `i64::MIN`).
    pub fn checked_neg(self) -> Option<Points> {
        self.0.checked_neg().map(Points)
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// The sum of entries, or `None` when it does not fit.
    pub fn sum(entries: impl IntoIterator<Item = Points>) -> Option<Points> {
        entries.into_iter().try_fold(Points::ZERO, Points::checked_add)
    }
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn overflow_is_refused_not_wrapped() {
        assert_eq!(Points::new(i64::MAX).checked_add(Points::new(1)), None);
        assert_eq!(Points::new(i64::MIN).checked_sub(Points::new(1)), None);
        assert_eq!(Points::new(i64::MIN).checked_neg(), None);
        assert_eq!(Points::sum([Points::new(i64::MAX), Points::new(1), Points::new(-1)]), None);
        assert_eq!(Points::new(5).checked_sub(Points::new(8)), Some(Points::new(-3)));
    }

    #[test]
    fn points_are_integers_on_the_wire() -> Result<(), serde_json::Error> {
        assert_eq!(serde_json::to_string(&Points::new(-40))?, "-40");
        assert_eq!(serde_json::from_str::<Points>("120")?, Points::new(120));
        assert!(serde_json::from_str::<Points>("1.5").is_err());
        assert_eq!(PointsKind::parse("/kind", "upgrade"), Ok(PointsKind::Upgrade));
        Ok(())
    }

    proptest! {
        /// A ledger's sum does not depend on the order of its entries.
        #[test]
        fn sum_is_order_independent(mut entries in proptest::collection::vec(-1_000_000_000i64..1_000_000_000, 0..50)) {
            let forward = Points::sum(entries.iter().copied().map(Points::new));
            entries.reverse();
            prop_assert_eq!(forward, Points::sum(entries.iter().copied().map(Points::new)));
            prop_assert_eq!(forward.map(Points::get), Some(entries.iter().sum::<i64>()));
        }

        /// An entry followed by its reversal leaves the balance where it was.
        #[test]
        fn reversal_is_the_identity(balance in -1_000_000_000i64..1_000_000_000, delta in -1_000_000_000i64..1_000_000_000) {
            let (b, d) = (Points::new(balance), Points::new(delta));
            let after = b.checked_add(d).and_then(|x| d.checked_neg().and_then(|n| x.checked_add(n)));
            prop_assert_eq!(after, Some(b));
        }
    }
}
