//! 积分结转 and 反结转: at or after a plan's end, each member's available reward points in the
//! plan (at least the rule's minimum) become a reward worth `points x point_value`, debited with a
//! `carry_over` entry; reversing it cancels the reward (if not yet redeemed) and credits the same
//! points back with a `carry_over_reversal` entry, so carry-over then reversal is the identity.

use super::plan::CarryOverRule;
use super::{Money, Points};
use crate::macros::str_enum;
use chrono::NaiveDate;

str_enum!(
    /// Where a carry-over run is: `running` (batches still to do; a stalled run is resumed),
    /// `completed`, or `reversed` (every reward of it cancelled; a new run may then be made).
    RunStatus { Running => "running", Completed => "completed", Reversed => "reversed" }
);

str_enum!(
    /// A reward's state: `issued` (may be edited, redeemed or cancelled by a reversal),
    /// `redeemed` (given out on its redemption date; final), `cancelled` (by a reversal; final).
    RewardStatus { Issued => "issued", Redeemed => "redeemed", Cancelled => "cancelled" }
);

/// What carrying over `available` points makes: the points debited and the reward's value, or
/// nothing below the rule's minimum. `None` inside when the value does not fit.
pub fn carry_over(available: Points, rule: &CarryOverRule, point_value: Money) -> Option<Option<(Points, Money)>> {
    if available < rule.min_points || available.get() <= 0 {
        return Some(None);
    }
    point_value.checked_mul(available.get()).map(|v| Some((available, v)))
}

/// Whether a plan that ends on `ends_on` may be carried over on business date `today`: from the
/// day after its end (the last day's purchases are still arriving on it).
pub fn may_carry_over(ends_on: NaiveDate, today: NaiveDate) -> bool {
    today > ends_on
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loyalty::plan::RewardKind;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[test]
    fn below_the_minimum_nothing_is_carried() {
        let rule = CarryOverRule { min_points: Points::new(100), reward_kind: RewardKind::Cash };
        let value = Money::from_fen(5);
        assert_eq!(carry_over(Points::new(99), &rule, value), Some(None));
        assert_eq!(carry_over(Points::new(100), &rule, value), Some(Some((Points::new(100), Money::from_fen(500)))));
        assert_eq!(carry_over(Points::new(-5), &rule, value), Some(None));
        assert_eq!(carry_over(Points::new(i64::MAX), &rule, Money::from_fen(2)), None);
    }

    #[test]
    fn a_plan_is_carried_over_after_its_last_day() {
        let end: NaiveDate = "2026-12-31".parse().unwrap_or_default();
        assert!(!may_carry_over(end, end));
        assert!(may_carry_over(end, end.succ_opt().unwrap_or(end)));
    }

    proptest! {
        /// Carry-over of every member then the reversal of a chosen subset then of the rest leaves
        /// every balance where it was, and the carried points always equal the rewards' points.
        #[test]
        fn carry_over_then_reversal_is_the_identity(
            balances in proptest::collection::btree_map(0u32..500, -1_000i64..1_000_000, 0..60),
            min in 1i64..1000,
            value in 0i64..100,
            chosen in proptest::collection::btree_set(0u32..500, 0..30),
        ) {
            let rule = CarryOverRule { min_points: Points::new(min), reward_kind: RewardKind::Cash };
            let before: BTreeMap<u32, Points> = balances.iter().map(|(m, b)| (*m, Points::new(*b))).collect();
            let mut now = before.clone();
            let mut rewards: BTreeMap<u32, (Points, Money)> = BTreeMap::new();
            for (m, b) in before.iter() {
                if let Some(Some((p, v))) = carry_over(*b, &rule, Money::from_fen(value)) {
                    now.insert(*m, b.checked_sub(p).unwrap_or_default());
                    rewards.insert(*m, (p, v));
                    prop_assert_eq!(v.fen(), p.get() * value);
                    prop_assert_eq!(now[m], Points::ZERO);
                }
            }
            let carried = Points::sum(rewards.values().map(|r| r.0));
            let debited = Points::sum(before.keys().map(|m| before[m].checked_sub(now[m]).unwrap_or_default()));
            prop_assert_eq!(carried, debited);
            for pass in [true, false] {
                let members: Vec<u32> = rewards.keys().copied().filter(|m| chosen.contains(m) == pass).collect();
                for m in members {
                    if let Some((p, _)) = rewards.remove(&m) {
                        let b = now.get(&m).copied().unwrap_or_default();
                        now.insert(m, b.checked_add(p).unwrap_or_default());
                    }
                }
            }
            prop_assert_eq!(now, before);
        }
    }
}
