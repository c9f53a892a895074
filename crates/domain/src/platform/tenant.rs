//! Tenant codes: short, stable, URL-safe names (`default`, `store-sh-01`).

use crate::FieldError;
use std::fmt;

/// The tenant created on an empty database; logins without a tenant use it.
pub const DEFAULT_TENANT_CODE: &str = "default";

/// `[a-z0-9][a-z0-9-]{1,62}`: lowercase so codes compare without surprises.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantCode(String);

impl TenantCode {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        let len = s.chars().count();
        if !(2..=crate::limits::TENANT_CODE).contains(&len) {
            return Err(FieldError::new(field, "length").with("min", 2).with("max", crate::limits::TENANT_CODE));
        }
        let ok_first = s.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let ok_rest = s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok_first || !ok_rest {
            return Err(FieldError::new(field, "tenant_code_format"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn default_code() -> Self {
        Self(DEFAULT_TENANT_CODE.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_lowercase_codes() {
        assert_eq!(TenantCode::parse("/code", " store-01 ").map(|c| c.0), Ok("store-01".into()));
    }

    #[test]
    fn refuses_bad_codes() {
        for bad in ["", "a", "-x", "Store", "a b", "店铺"] {
            assert!(TenantCode::parse("/code", bad).is_err(), "{bad}");
        }
        assert_eq!(TenantCode::parse("/code", "A1").map_err(|e| e.code), Err("tenant_code_format"));
    }
}
