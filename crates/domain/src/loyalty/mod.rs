//! Loyalty (积分): the points ledger and what is built on it, per `LOYALTY.md`. Points plans by
//! period and their point items (what earns how many points, of which kind), the append-only
//! ledger (one entry per source and kind, `pending` until the sales system confirms payment,
//! reversed by new entries, never edited), carry-over of reward points into rewards at period end
//! and its reversal, redemption activities, coupons and stored value. The rules live here with
//! unit tests and properties (ledger sums, carry-over then reversal is the identity); the ledger
//! calls `membership`'s upgrade hook when upgrade points change.
//!
//! Modules: [`Points`] and [`Money`] (exact integers with checked arithmetic), `plan` (plans,
//! items, the carry-over rule), `ledger` (entry statuses and sources, purchase points and the
//! settlement of a purchase's entries), `carry_over` (what a run makes, run and reward states),
//! `purchase` (purchase and payment states), `business_date` (the tenant's calendar day of an
//! instant).

pub mod carry_over;
pub mod ledger;
pub mod money;
pub mod plan;
pub mod points;
pub mod purchase;

pub use money::Money;
pub use points::{Points, PointsKind};

/// The tenant's time zone (IANA name, default `Asia/Shanghai`): business dates (plan periods,
/// the day a purchase or an entry belongs to) are calendar days there.
pub fn business_date(at: chrono::DateTime<chrono::Utc>, tz: chrono_tz::Tz) -> chrono::NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// A time zone name (`Asia/Shanghai`), refused as `time_zone_invalid` when unknown.
pub fn parse_time_zone(field: &str, s: &str) -> Result<chrono_tz::Tz, crate::FieldError> {
    s.parse::<chrono_tz::Tz>().map_err(|_| crate::FieldError::new(field, "time_zone_invalid"))
}

/// The default time zone of a tenant.
pub const DEFAULT_TIME_ZONE: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

#[cfg(test)]
mod date_tests {
    use super::*;

    #[test]
    fn business_dates_are_in_the_tenant_time_zone() {
        let at: chrono::DateTime<chrono::Utc> = "2026-12-31T16:30:00Z".parse().unwrap_or_default();
        assert_eq!(business_date(at, DEFAULT_TIME_ZONE).to_string(), "2027-01-01");
        assert_eq!(business_date(at, chrono_tz::UTC).to_string(), "2026-12-31");
        assert!(parse_time_zone("/time_zone", "Mars/Olympus").is_err());
    }
}
