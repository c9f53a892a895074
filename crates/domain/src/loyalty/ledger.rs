//! 积分台账: the ledger's rules. Every change of points is an entry `(kind, status, delta)` with
//! the source it came from; a source credits at most once per kind and status (the store's unique
//! key). A purchase's entries are decided by [`settle`]: from what the purchase should hold now
//! (its points, pending until paid as its item requires, available after; nothing once
//! cancelled) and what its entries hold already, the entries that close the gap. So a retried or
//! repeated step writes nothing, and the purchase's entries always sum to its state.

use super::plan::{EffectiveWhen, PointItem};
use super::{Money, Points, PointsKind};
use crate::macros::str_enum;
use crate::membership::level::Multiplier;

str_enum!(
    /// `pending` points wait for their purchase to be paid; `available` points count (and
    /// reward points can be spent or carried over).
    EntryStatus { Pending => "pending", Available => "available" }
);

str_enum!(
    /// What an entry came from; with the source id it names the one source that may write it.
    SourceType {
        /// A purchase's points on record (pending, or available at once when already paid).
        Purchase => "purchase",
        /// The purchase was paid as required: pending points matched by available ones.
        PurchaseConfirmation => "purchase_confirmation",
        /// A partial refund of a purchase (source id: purchase id and the refund's external id).
        PurchaseRefund => "purchase_refund",
        /// The purchase was cancelled: whatever it still holds is reversed.
        PurchaseCancel => "purchase_cancel",
        Activity => "activity",
        Manual => "manual",
        OnlineEnrollment => "online_enrollment",
        Referral => "referral",
        Birthday => "birthday",
        /// Reward points carried over into a reward (source id: run id and member id).
        CarryOver => "carry_over",
        /// A carry-over reversed: the points credited back.
        CarryOverReversal => "carry_over_reversal",
        Expiry => "expiry",
    }
);

impl SourceType {
    /// Whether staff and integrations may write entries of this source by hand
    /// (`POST /points/entries`); the others are written by the use cases that own them.
    pub fn is_manual(self) -> bool {
        matches!(self, Self::Activity | Self::Manual | Self::Referral | Self::Birthday)
    }
}

/// One entry's effect: which balance, by how much.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    pub kind: PointsKind,
    pub status: EntryStatus,
    pub delta: Points,
}

/// Points of both kinds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Earned {
    pub reward: Points,
    pub upgrade: Points,
}

impl Earned {
    pub fn get(self, kind: PointsKind) -> Points {
        match kind {
            PointsKind::Reward => self.reward,
            PointsKind::Upgrade => self.upgrade,
        }
    }

    pub fn is_zero(self) -> bool {
        self.reward == Points::ZERO && self.upgrade == Points::ZERO
    }
}

/// What a purchase of `amount` earns under a purchase item: whole `amount_per_point` units
/// (rounded down; a negative amount earns nothing) times the item's points per unit; reward
/// points times the level's multiplier, rounded down (upgrade points are not multiplied, so a
/// level never speeds its own climb). `None` when the result does not fit.
pub fn purchase_points(amount: Money, item: &PointItem, multiplier: Multiplier) -> Option<Earned> {
    let per = item.amount_per_point?;
    let units = amount.whole_units_of(per)?.max(0);
    let reward = units.checked_mul(item.reward_points.get())?;
    let reward = i64::try_from(i128::from(reward) * i128::from(multiplier.hundredths()) / 100).ok()?;
    let upgrade = units.checked_mul(item.upgrade_points.get())?;
    Some(Earned { reward: Points::new(reward), upgrade: Points::new(upgrade) })
}

/// Whether a purchase is paid as its item requires: `first_payment` once any positive payment
/// arrived, `paid_in_full` once the payments reach its amount net of refunds.
pub fn paid_as_required(when: EffectiveWhen, net_amount: Money, paid: Money) -> bool {
    match when {
        EffectiveWhen::FirstPayment => paid.fen() > 0,
        EffectiveWhen::PaidInFull => paid.fen() > 0 && paid >= net_amount,
    }
}

/// What a purchase's entries hold now, per kind and status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Held {
    pub pending: Earned,
    pub available: Earned,
}

impl Held {
    /// Adds one entry's effect.
    pub fn with(mut self, m: Move) -> Option<Self> {
        let slot = match (m.status, m.kind) {
            (EntryStatus::Pending, PointsKind::Reward) => &mut self.pending.reward,
            (EntryStatus::Pending, PointsKind::Upgrade) => &mut self.pending.upgrade,
            (EntryStatus::Available, PointsKind::Reward) => &mut self.available.reward,
            (EntryStatus::Available, PointsKind::Upgrade) => &mut self.available.upgrade,
        };
        *slot = slot.checked_add(m.delta)?;
        Some(self)
    }

    pub fn get(&self, kind: PointsKind, status: EntryStatus) -> Points {
        match status {
            EntryStatus::Pending => self.pending.get(kind),
            EntryStatus::Available => self.available.get(kind),
        }
    }
}

/// The entries that take a purchase from what it `held` to holding `target` points, `available`
/// when `effective`, else `pending`: at most one move per kind and status, reward before
/// upgrade, pending before available (the order balances are written in). Nothing when it holds
/// them already. `None` only on overflow.
pub fn settle(target: Earned, effective: bool, held: Held) -> Option<Vec<Move>> {
    let want = if effective {
        Held { pending: Earned::default(), available: target }
    } else {
        Held { pending: target, available: Earned::default() }
    };
    let mut out = Vec::new();
    for kind in [PointsKind::Reward, PointsKind::Upgrade] {
        for status in [EntryStatus::Pending, EntryStatus::Available] {
            let delta = want.get(kind, status).checked_sub(held.get(kind, status))?;
            if delta != Points::ZERO {
                out.push(Move { kind, status, delta });
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::super::plan::{ItemCategory, ItemInput};
    use super::*;
    use proptest::prelude::*;

    fn item(per: i64, reward: i64, upgrade: i64) -> PointItem {
        PointItem::parse(
            "/i",
            ItemInput {
                category: Some(ItemCategory::Purchase),
                reward_points: Some(reward),
                upgrade_points: Some(upgrade),
                amount_per_point: Some(Money::from_fen(per)),
                effective_when: None,
            },
        )
        .unwrap_or_else(|_| unreachable_item())
    }

    fn unreachable_item() -> PointItem {
        PointItem {
            category: ItemCategory::Manual,
            reward_points: Points::ZERO,
            upgrade_points: Points::ZERO,
            amount_per_point: None,
            effective_when: None,
        }
    }

    #[test]
    fn purchase_points_round_down_and_multiply_reward_only() {
        let one_per_hundred = item(10_000, 1, 2);
        let m = Multiplier::parse("/m", "1.5").unwrap_or(Multiplier::ONE);
        let e = purchase_points(Money::from_fen(129_999), &one_per_hundred, m);
        assert_eq!(e, Some(Earned { reward: Points::new(18), upgrade: Points::new(24) }));
        assert_eq!(purchase_points(Money::from_fen(-500), &one_per_hundred, m), Some(Earned::default()));
        let huge = item(1, MAX, MAX);
        assert_eq!(purchase_points(Money::from_fen(i64::MAX / 2), &huge, m), None);
    }
    const MAX: i64 = super::super::plan::MAX_ITEM_POINTS;

    #[test]
    fn paid_as_required_per_rule() {
        let (amount, half) = (Money::from_fen(1000), Money::from_fen(500));
        assert!(!paid_as_required(EffectiveWhen::PaidInFull, amount, half));
        assert!(paid_as_required(EffectiveWhen::PaidInFull, amount, amount));
        assert!(paid_as_required(EffectiveWhen::FirstPayment, amount, half));
        assert!(!paid_as_required(EffectiveWhen::FirstPayment, amount, Money::ZERO));
    }

    #[test]
    fn confirmation_matches_pending_with_available() {
        let target = Earned { reward: Points::new(12), upgrade: Points::new(0) };
        let recorded = settle(target, false, Held::default()).unwrap_or_default();
        assert_eq!(
            recorded,
            vec![Move { kind: PointsKind::Reward, status: EntryStatus::Pending, delta: Points::new(12) }]
        );
        let held = recorded.iter().try_fold(Held::default(), |h, m| h.with(*m)).unwrap_or_default();
        let confirmed = settle(target, true, held).unwrap_or_default();
        assert_eq!(
            confirmed,
            vec![
                Move { kind: PointsKind::Reward, status: EntryStatus::Pending, delta: Points::new(-12) },
                Move { kind: PointsKind::Reward, status: EntryStatus::Available, delta: Points::new(12) },
            ]
        );
        let held = confirmed.iter().try_fold(held, |h, m| h.with(*m)).unwrap_or_default();
        assert_eq!(settle(target, true, held), Some(vec![]), "a repeated confirmation writes nothing");
    }

    /// One step of a purchase's life as the sales system drives it.
    #[derive(Debug, Clone)]
    enum Step {
        Pay(i64),
        Refund(i64),
        Cancel,
        /// The same step again (a retry): nothing changes.
        Retry,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (1i64..200_000).prop_map(Step::Pay),
            (1i64..50_000).prop_map(Step::Refund),
            Just(Step::Cancel),
            Just(Step::Retry),
        ]
    }

    proptest! {
        /// For any sequence of payments, refunds, cancellation and retries, the purchase's entries
        /// sum to exactly what it should hold: its points for its net amount, available once it
        /// was paid as required (it stays so), pending before, nothing after cancellation; and no
        /// step writes two entries of one kind and status.
        #[test]
        fn entries_always_sum_to_the_purchase_state(
            amount in 0i64..1_000_000,
            per in 1i64..20_000,
            reward in 0i64..10,
            upgrade in 0i64..10,
            first_payment in any::<bool>(),
            steps in proptest::collection::vec(step(), 0..20),
        ) {
            let mut it = item(per, reward.max(1), upgrade);
            it.effective_when = Some(if first_payment { EffectiveWhen::FirstPayment } else { EffectiveWhen::PaidInFull });
            let when = it.effective_when.unwrap_or_default();
            let (mut paid, mut refunded, mut cancelled, mut effective) = (0i64, 0i64, false, false);
            let mut held = Held::default();
            let mut entries: Vec<Move> = Vec::new();
            let target_now = |refunded: i64, cancelled: bool| {
                if cancelled { Earned::default() } else {
                    purchase_points(Money::from_fen(amount - refunded), &it, Multiplier::ONE).unwrap_or_default()
                }
            };
            let apply = |held: &mut Held, entries: &mut Vec<Move>, target: Earned, effective: bool| {
                let moves = settle(target, effective, *held).unwrap_or_default();
                for (i, m) in moves.iter().enumerate() {
                    prop_assert!(!moves[..i].iter().any(|o| o.kind == m.kind && o.status == m.status));
                    *held = held.with(*m).unwrap_or_default();
                }
                entries.extend(moves);
                Ok(())
            };
            apply(&mut held, &mut entries, target_now(0, false), false)?;
            for s in steps {
                match s {
                    Step::Pay(p) if !cancelled => paid += p,
                    Step::Refund(r) if !cancelled => refunded = (refunded + r).min(amount),
                    Step::Cancel => cancelled = true,
                    _ => {}
                }
                effective = effective || (!cancelled && paid_as_required(when, Money::from_fen(amount - refunded), Money::from_fen(paid)));
                apply(&mut held, &mut entries, target_now(refunded, cancelled), effective)?;
            }
            let target = target_now(refunded, cancelled);
            for kind in [PointsKind::Reward, PointsKind::Upgrade] {
                for status in [EntryStatus::Pending, EntryStatus::Available] {
                    let sum = Points::sum(entries.iter().filter(|m| m.kind == kind && m.status == status).map(|m| m.delta));
                    let want = match (status, effective) {
                        (EntryStatus::Available, true) | (EntryStatus::Pending, false) => target.get(kind),
                        _ => Points::ZERO,
                    };
                    prop_assert_eq!(sum, Some(want));
                }
            }
        }
    }
}
