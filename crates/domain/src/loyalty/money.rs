//! Money: integer minor units (fen), never floating point. On the wire it is a decimal string
//! with two places (`"1280.00"`), as `API.md` fixes; the currency travels beside it.

use crate::FieldError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// An amount in fen (hundredths of the currency unit); negative for a refund or a reversal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

/// Digits before the point: 10^15 units is beyond any amount and well inside `i64` fen.
const MAX_WHOLE_DIGITS: usize = 15;

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_fen(fen: i64) -> Self {
        Self(fen)
    }

    pub const fn fen(self) -> i64 {
        self.0
    }

    /// `"1280.00"`, `"1280.5"`, `"1280"`, `"-3.20"`: digits, at most two decimal places, an
    /// optional leading minus; anything else (exponents, spaces, `+`, `.5`) is `money_invalid`.
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let bad = || FieldError::new(field, "money_invalid");
        let (negative, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || whole.len() > MAX_WHOLE_DIGITS
            || (digits.contains('.') && frac.is_empty())
            || frac.len() > 2
            || !all_digits(whole)
            || !all_digits(frac)
        {
            return Err(bad());
        }
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let frac: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().map_err(|_| bad())? };
        let fen = whole.checked_mul(100).and_then(|w| w.checked_add(frac)).ok_or_else(bad)?;
        Ok(Self(if negative { -fen } else { fen }))
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    /// `self × n` (a point value times a number of points).
    pub fn checked_mul(self, n: i64) -> Option<Money> {
        self.0.checked_mul(n).map(Money)
    }

    /// How many whole `unit`s fit in `self`, rounded down (toward negative infinity): "one point
    /// per 100.00" earns 12 points on 1,299.99. `None` when `unit` is not positive.
    pub fn whole_units_of(self, unit: Money) -> Option<i64> {
        (unit.0 > 0).then(|| self.0.div_euclid(unit.0))
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str> as Deserialize>::deserialize(d)?;
        Money::parse("", &s).map_err(|_| {
            <D::Error as serde::de::Error>::invalid_value(serde::de::Unexpected::Str(&s), &"a decimal like \"1280.00\"")
        })
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^-?[0-9]{1,15}(\.[0-9]{1,2})?$"))
            .description(Some("An amount with at most two decimal places, in the currency named beside it."))
            .examples([serde_json::json!("1280.00")])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Money {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_decimals_with_at_most_two_places() {
        let fen = |s: &str| Money::parse("/amount", s).map(Money::fen);
        assert_eq!(fen("1280.00"), Ok(128_000));
        assert_eq!(fen("1280.5"), Ok(128_050));
        assert_eq!(fen("1280"), Ok(128_000));
        assert_eq!(fen("0.01"), Ok(1));
        assert_eq!(fen("-3.20"), Ok(-320));
        for bad in ["", "-", ".5", "5.", "1.234", "1e3", "+1", " 1", "1,000", "1.-1", "9999999999999999"] {
            assert_eq!(fen(bad), Err(FieldError::new("/amount", "money_invalid")), "{bad:?}");
        }
    }

    #[test]
    fn shows_two_places_and_travels_as_a_string() -> Result<(), serde_json::Error> {
        assert_eq!(Money::from_fen(128_000).to_string(), "1280.00");
        assert_eq!(Money::from_fen(-5).to_string(), "-0.05");
        assert_eq!(serde_json::to_string(&Money::from_fen(1))?, "\"0.01\"");
        assert_eq!(serde_json::from_str::<Money>("\"12.3\"")?, Money::from_fen(1230));
        assert!(serde_json::from_str::<Money>("12.3").is_err(), "a JSON number is not money");
        Ok(())
    }

    #[test]
    fn arithmetic_is_checked_and_rounds_down() {
        assert_eq!(Money::from_fen(i64::MAX).checked_add(Money::from_fen(1)), None);
        assert_eq!(Money::from_fen(i64::MAX).checked_mul(2), None);
        assert_eq!(Money::from_fen(50).checked_mul(120), Some(Money::from_fen(6000)));
        let per_point = Money::from_fen(10_000);
        assert_eq!(Money::from_fen(129_999).whole_units_of(per_point), Some(12));
        assert_eq!(Money::from_fen(9_999).whole_units_of(per_point), Some(0));
        assert_eq!(Money::from_fen(100).whole_units_of(Money::ZERO), None);
    }

    proptest! {
        /// What is shown parses back to the same amount.
        #[test]
        fn display_round_trips(fen in -99_999_999_999_999_999_i64..99_999_999_999_999_999) {
            let m = Money::from_fen(fen);
            prop_assert_eq!(Money::parse("", &m.to_string()), Ok(m));
        }
    }
}
