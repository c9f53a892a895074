//! The password policy. Hashing is I/O-free but CPU-heavy and lives in `crm-app`.

use crate::FieldError;

/// A password that passed the policy. Never printed: `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct PlainPassword(String);

impl std::fmt::Debug for PlainPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlainPassword(***)")
    }
}

impl PlainPassword {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Length bounds in characters (NIST SP 800-63B: at least 8, allow long passphrases), and the
/// password must not be the username.
#[derive(Debug, Clone, Copy)]
pub struct PasswordPolicy {
    pub min_len: usize,
    pub max_len: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self { min_len: 8, max_len: 128 }
    }
}

impl PasswordPolicy {
    pub fn check(&self, field: &str, raw: &str, username: &str) -> Result<PlainPassword, FieldError> {
        let len = raw.chars().count();
        if len < self.min_len || len > self.max_len {
            return Err(FieldError::new(field, "length").with("min", self.min_len).with("max", self.max_len));
        }
        if raw.eq_ignore_ascii_case(username) {
            return Err(FieldError::new(field, "password_equals_username"));
        }
        if raw.chars().all(|c| c == raw.chars().next().unwrap_or(' ')) {
            return Err(FieldError::new(field, "password_too_simple"));
        }
        Ok(PlainPassword(raw.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_rules() {
        let p = PasswordPolicy::default();
        assert!(p.check("/p", "correct horse", "admin").is_ok());
        assert_eq!(p.check("/p", "short", "admin").map_err(|e| e.code), Err("length"));
        assert_eq!(p.check("/p", "AdminUser", "adminuser").map_err(|e| e.code), Err("password_equals_username"));
        assert_eq!(p.check("/p", "aaaaaaaaaa", "admin").map_err(|e| e.code), Err("password_too_simple"));
        assert_eq!(format!("{:?}", p.check("/p", "secret-pass", "x")), "Ok(PlainPassword(***))");
    }
}
