//! A tenant's settings that rules read: what to do with a probable duplicate customer, the
//! public-pool rules, and the width of automatic card serials.

use crate::FieldError;
use crate::macros::str_enum;

str_enum!(
    /// What creating a probable duplicate customer does.
    #[derive(Default)]
    DuplicatePolicy {
        /// Create it and return the candidates as warnings.
        #[default]
        Warn => "warn",
        /// Refuse with 409 and the candidates.
        Refuse => "refuse",
    }
);

/// Days without interaction after which an owned customer returns to the public pool: 1 to 3650.
pub fn parse_pool_return_days(field: &str, days: i64) -> Result<u32, FieldError> {
    u32::try_from(days)
        .ok()
        .filter(|d| (1..=3650).contains(d))
        .ok_or_else(|| FieldError::new(field, "range").with("min", 1).with("max", 3650))
}

/// The most customers one user may hold by claiming from the pool: 1 to 1,000,000.
pub fn parse_claim_limit(field: &str, n: i64) -> Result<u32, FieldError> {
    u32::try_from(n)
        .ok()
        .filter(|d| (1..=1_000_000).contains(d))
        .ok_or_else(|| FieldError::new(field, "range").with("min", 1).with("max", 1_000_000))
}

/// Digits of the serial of automatic card numbers: 4 to 16.
pub fn parse_card_serial_width(field: &str, n: i64) -> Result<u32, FieldError> {
    u32::try_from(n)
        .ok()
        .filter(|w| (4..=16).contains(w))
        .ok_or_else(|| FieldError::new(field, "range").with("min", 4).with("max", 16))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse_within_range() {
        assert_eq!(DuplicatePolicy::parse("/p", "refuse").unwrap(), DuplicatePolicy::Refuse);
        assert!(DuplicatePolicy::parse("/p", "ignore").is_err());
        assert_eq!(parse_pool_return_days("/d", 30).unwrap(), 30);
        assert!(parse_pool_return_days("/d", 0).is_err());
        assert!(parse_pool_return_days("/d", -5).is_err());
        assert!(parse_claim_limit("/n", 1_000_001).is_err());
        assert_eq!(parse_card_serial_width("/w", 8).unwrap(), 8);
        assert!(parse_card_serial_width("/w", 3).is_err());
    }
}
