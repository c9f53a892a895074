//! 积分方案: a points plan is one period (`starts_on`..=`ends_on`, business dates in the tenant's
//! time zone) with a point value (fen per reward point when carried over into cash), the point
//! items that say what earns points, and the carry-over rule. Plans of a tenant never overlap, so
//! every business date belongs to at most one plan.

use super::{Money, Points};
use crate::macros::str_enum;
use crate::{FieldError, FieldErrors};
use chrono::NaiveDate;

str_enum!(
    /// What a point item pays points for.
    ItemCategory {
        /// Per amount of a purchase (e.g. 1 point per 100.00), rounded down, times the level's multiplier.
        Purchase => "purchase",
        /// Fixed per participation in an activity.
        Activity => "activity",
        /// On approval of an online (or sales-system) enrollment application.
        OnlineEnrollment => "online_enrollment",
        /// For introducing a new member.
        Referral => "referral",
        /// On the member's birthday.
        Birthday => "birthday",
        /// By hand (the default of a manual entry that names no delta).
        Manual => "manual",
    }
);

str_enum!(
    /// When a purchase's pending points turn available.
    #[derive(Default)]
    EffectiveWhen {
        /// When the payments reach the purchase's amount (net of refunds).
        #[default]
        PaidInFull => "paid_in_full",
        /// At the first payment.
        FirstPayment => "first_payment",
    }
);

str_enum!(
    /// What a carry-over turns points into.
    #[derive(Default)]
    RewardKind { #[default] Cash => "cash", Physical => "physical" }
);

/// One point item: what earns how many points of which kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointItem {
    pub category: ItemCategory,
    /// Reward points per unit (per `amount_per_point` of a purchase, else per occasion).
    pub reward_points: Points,
    /// Upgrade points per unit.
    pub upgrade_points: Points,
    /// Purchase items only: the amount that earns one unit.
    pub amount_per_point: Option<Money>,
    /// Purchase items only: when the points turn available.
    pub effective_when: Option<EffectiveWhen>,
}

/// The carry-over rule: members with at least `min_points` available reward points in the plan
/// get a reward of kind `reward_kind` worth `points x point_value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CarryOverRule {
    pub min_points: Points,
    pub reward_kind: RewardKind,
}

impl Default for CarryOverRule {
    fn default() -> Self {
        Self { min_points: Points::new(1), reward_kind: RewardKind::Cash }
    }
}

/// A plan's definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanSpec {
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Money per reward point when carried over (fen).
    pub point_value: Money,
    pub items: Vec<PointItem>,
    pub carry_over: CarryOverRule,
}

/// The most points one item may give per unit.
pub const MAX_ITEM_POINTS: i64 = 1_000_000_000;

fn item_points(field: &str, v: i64) -> Result<Points, FieldError> {
    (0..=MAX_ITEM_POINTS)
        .contains(&v)
        .then_some(Points::new(v))
        .ok_or_else(|| FieldError::new(field, "range").with("min", 0).with("max", MAX_ITEM_POINTS))
}

/// A point item as a request states it, before its rules are checked.
#[derive(Debug, Clone, Default)]
pub struct ItemInput {
    pub category: Option<ItemCategory>,
    pub reward_points: Option<i64>,
    pub upgrade_points: Option<i64>,
    pub amount_per_point: Option<Money>,
    pub effective_when: Option<EffectiveWhen>,
}

impl PointItem {
    /// Checks one item (under `field`, e.g. `/items/0`): a category; points of at least one kind;
    /// a purchase item names a positive `amount_per_point`; other items name neither it nor
    /// `effective_when`.
    pub fn parse(field: &str, i: ItemInput) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::default();
        let [f_category, f_reward, f_upgrade, f_amount, f_when] =
            ["category", "reward_points", "upgrade_points", "amount_per_point", "effective_when"]
                .map(|f| format!("{field}/{f}"));
        let category = i.category;
        if category.is_none() {
            errs.push(FieldError::new(f_category.clone(), "required"));
        }
        let reward = errs.check(item_points(&f_reward, i.reward_points.unwrap_or(0)));
        let upgrade = errs.check(item_points(&f_upgrade, i.upgrade_points.unwrap_or(0)));
        if i.reward_points.unwrap_or(0) == 0 && i.upgrade_points.unwrap_or(0) == 0 && category.is_some() {
            errs.push(FieldError::new(f_reward, "item_gives_nothing"));
        }
        let purchase = category == Some(ItemCategory::Purchase);
        match (purchase, i.amount_per_point) {
            (true, None) => errs.push(FieldError::new(f_amount, "required")),
            (true, Some(m)) if m.fen() <= 0 => errs.push(FieldError::new(f_amount, "range").with("min", "0.01")),
            (false, Some(_)) if category.is_some() => errs.push(FieldError::new(f_amount, "only_for_purchase")),
            _ => {}
        }
        if !purchase && category.is_some() && i.effective_when.is_some() {
            errs.push(FieldError::new(f_when, "only_for_purchase"));
        }
        errs.into_result()?;
        let (Some(category), Some(reward_points), Some(upgrade_points)) = (category, reward, upgrade) else {
            return Err(FieldError::new(f_category, "required").into());
        };
        Ok(Self {
            category,
            reward_points,
            upgrade_points,
            amount_per_point: i.amount_per_point.filter(|_| purchase),
            effective_when: purchase.then(|| i.effective_when.unwrap_or_default()),
        })
    }
}

impl PlanSpec {
    /// Checks what holds within one plan: the period is in order and at most 10 years long, the
    /// point value is not negative, at most one item per category, and the carry-over minimum is
    /// at least one point.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errs = FieldErrors::default();
        if self.ends_on < self.starts_on {
            errs.push(FieldError::new("/ends_on", "before_start"));
        } else if (self.ends_on - self.starts_on).num_days() > 3660 {
            errs.push(FieldError::new("/ends_on", "period_too_long").with("max_days", 3660));
        }
        if self.point_value.is_negative() {
            errs.push(FieldError::new("/point_value", "range").with("min", "0.00"));
        }
        for (i, item) in self.items.iter().enumerate() {
            if self.items[..i].iter().any(|o| o.category == item.category) {
                errs.push(FieldError::new(format!("/items/{i}/category"), "duplicate_category"));
            }
        }
        if self.items.len() > ItemCategory::ALL_VALUES.len() {
            errs.push(FieldError::new("/items", "range").with("max", ItemCategory::ALL_VALUES.len()));
        }
        if self.carry_over.min_points.get() < 1 || self.carry_over.min_points.get() > MAX_ITEM_POINTS {
            errs.push(FieldError::new("/carry_over/min_points", "range").with("min", 1).with("max", MAX_ITEM_POINTS));
        }
        errs.into_result()
    }

    /// The item of a category, if the plan has one.
    pub fn item(&self, category: ItemCategory) -> Option<&PointItem> {
        self.items.iter().find(|i| i.category == category)
    }

    /// Whether `day` is inside the period.
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.starts_on <= day && day <= self.ends_on
    }
}

/// Whether two periods share a day.
pub fn overlaps(a: (NaiveDate, NaiveDate), b: (NaiveDate, NaiveDate)) -> bool {
    a.0 <= b.1 && b.0 <= a.1
}

/// A plan's name: 1 to 100 characters.
pub fn parse_plan_name(field: &str, raw: &str) -> Result<String, FieldError> {
    crate::identity::org::parse_name_within(field, raw, crate::limits::POINTS_PLAN_NAME)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    fn purchase(per: i64, reward: i64) -> ItemInput {
        ItemInput {
            category: Some(ItemCategory::Purchase),
            reward_points: Some(reward),
            amount_per_point: Some(Money::from_fen(per)),
            ..ItemInput::default()
        }
    }

    #[test]
    fn items_are_checked_by_category() {
        let ok = PointItem::parse("/items/0", purchase(10_000, 1)).unwrap();
        assert_eq!(ok.effective_when, Some(EffectiveWhen::PaidInFull));
        let codes = |i: ItemInput| match PointItem::parse("/items/0", i) {
            Ok(_) => vec![],
            Err(e) => e.0.into_iter().map(|e| (e.field, e.code)).collect::<Vec<_>>(),
        };
        assert_eq!(codes(purchase(0, 1)), vec![("/items/0/amount_per_point".to_owned(), "range")]);
        assert_eq!(codes(purchase(100, 0)), vec![("/items/0/reward_points".to_owned(), "item_gives_nothing")]);
        let activity = ItemInput {
            category: Some(ItemCategory::Activity),
            reward_points: Some(50),
            amount_per_point: Some(Money::from_fen(1)),
            effective_when: Some(EffectiveWhen::FirstPayment),
            ..ItemInput::default()
        };
        assert_eq!(
            codes(activity),
            vec![
                ("/items/0/amount_per_point".to_owned(), "only_for_purchase"),
                ("/items/0/effective_when".to_owned(), "only_for_purchase")
            ]
        );
        assert_eq!(codes(ItemInput::default()), vec![("/items/0/category".to_owned(), "required")]);
    }

    #[test]
    fn plans_refuse_reversed_periods_and_repeated_categories() {
        let item = PointItem::parse("/items/0", purchase(100, 1)).unwrap();
        let mut p = PlanSpec {
            name: "2026".into(),
            starts_on: d("2026-01-01"),
            ends_on: d("2026-12-31"),
            point_value: Money::from_fen(50),
            items: vec![item.clone()],
            carry_over: CarryOverRule::default(),
        };
        assert!(p.validate().is_ok());
        assert!(p.covers(d("2026-12-31")) && !p.covers(d("2027-01-01")));
        p.items.push(item);
        p.ends_on = d("2025-12-31");
        let e = p.validate().unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["/ends_on", "/items/1/category"]);
    }

    #[test]
    fn periods_overlap_when_they_share_a_day() {
        let y = |a: &str, b: &str| (d(a), d(b));
        assert!(overlaps(y("2026-01-01", "2026-06-30"), y("2026-06-30", "2026-12-31")));
        assert!(!overlaps(y("2026-01-01", "2026-06-29"), y("2026-06-30", "2026-12-31")));
        assert!(overlaps(y("2026-03-01", "2026-03-02"), y("2026-01-01", "2026-12-31")));
    }
}
