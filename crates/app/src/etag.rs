//! Entity versions for `ETag` / `If-Match`: a row's version is its last change time.

use crate::AppError;
use chrono::{DateTime, Utc};

/// The strong ETag of a row changed at `updated_at`.
pub fn of(updated_at: DateTime<Utc>) -> String {
    format!("\"{:x}\"", updated_at.timestamp_nanos_opt().unwrap_or_default())
}

/// `PreconditionFailed` when the caller's `If-Match` does not name the current version.
/// `*` matches any existing version; no `If-Match` means the caller does not ask.
pub fn check(if_match: Option<&str>, updated_at: DateTime<Utc>) -> Result<(), AppError> {
    let Some(expected) = if_match else { return Ok(()) };
    let current = of(updated_at);
    let ok =
        expected.split(',').map(str::trim).any(|t| t == "*" || t == current || t.trim_start_matches("W/") == current);
    if ok { Ok(()) } else { Err(AppError::PreconditionFailed) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_current_only() {
        let t = Utc::now();
        let tag = of(t);
        assert!(check(Some(&tag), t).is_ok());
        assert!(check(Some("*"), t).is_ok());
        assert!(check(None, t).is_ok());
        assert!(check(Some("\"0\""), t).is_err());
        assert!(check(Some(&format!("\"1\", {tag}")), t).is_ok());
    }
}
