//! A tenant's settings that rules read: what to do with a probable duplicate customer, and the
//! public-pool rules.

use crate::FieldError;

/// What creating a probable duplicate customer does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DuplicatePolicy {
    /// Create it and return the candidates as warnings.
    #[default]
    Warn,
    /// Refuse with 409 and the candidates.
    Refuse,
}

impl DuplicatePolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            DuplicatePolicy::Warn => "warn",
            DuplicatePolicy::Refuse => "refuse",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        match s {
            "warn" => Ok(DuplicatePolicy::Warn),
            "refuse" => Ok(DuplicatePolicy::Refuse),
            _ => Err(FieldError::new(field, "invalid_value")),
        }
    }
}

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
    }
}
