//! List paging: the page size every list endpoint accepts.

use crate::FieldError;

/// Page size when the caller gives none.
pub const DEFAULT_LIMIT: u32 = 50;
/// The largest page a caller may ask for.
pub const MAX_LIMIT: u32 = 500;

/// A page size in `1..=500`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(u32);

impl Limit {
    pub fn parse(field: &str, raw: Option<u32>) -> Result<Self, FieldError> {
        match raw {
            None => Ok(Self(DEFAULT_LIMIT)),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(Self(n)),
            Some(_) => Err(FieldError::new(field, "range").with("min", 1).with("max", MAX_LIMIT)),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_defaults_and_bounds() {
        assert_eq!(Limit::parse("/limit", None).map(Limit::get), Ok(50));
        assert_eq!(Limit::parse("/limit", Some(500)).map(Limit::get), Ok(500));
        assert!(Limit::parse("/limit", Some(0)).is_err());
        assert!(Limit::parse("/limit", Some(501)).is_err());
    }
}
