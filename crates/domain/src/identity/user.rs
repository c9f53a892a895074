//! Staff users: login names and account status.

use crate::FieldError;
use std::fmt;

/// A login name: 3..=64 characters of letters, digits, `.`, `_`, `-`, `@`; stored lowercase.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim().to_lowercase();
        let len = s.chars().count();
        if !(3..=crate::limits::USERNAME).contains(&len) {
            return Err(FieldError::new(field, "length").with("min", 3).with("max", crate::limits::USERNAME));
        }
        if !s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')) {
            return Err(FieldError::new(field, "username_format"));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

crate::macros::str_enum!(
    /// Whether a user may sign in.
    UserStatus {
        Active => "active",
        Disabled => "disabled",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lowercased_and_checked() {
        assert_eq!(Username::parse("/u", " Admin ").map(|u| u.0), Ok("admin".into()));
        assert_eq!(Username::parse("/u", "ab").map_err(|e| e.code), Err("length"));
        assert_eq!(Username::parse("/u", "a b c").map_err(|e| e.code), Err("username_format"));
    }

    #[test]
    fn status_round_trips() {
        for s in UserStatus::ALL_VALUES {
            assert_eq!(UserStatus::parse("/status", s.as_str()), Ok(*s));
        }
        assert_eq!(UserStatus::parse("/status", "gone").map_err(|e| e.code), Err("invalid_value"));
    }
}
