//! Request extractors whose failures are problem documents naming the field: JSON bodies,
//! query strings, path parameters, and the bearer principal.

mod auth;
mod json;
mod params;
mod precondition;
mod strict;

pub use auth::{Allowed, Authenticated};
pub use json::{Json, parse_json_value};
pub use params::{Path, Query, parse_query};
pub use precondition::IfMatch;

use crate::problem::FieldIssue;
use serde_path_to_error::{Path as SerdePath, Segment};

/// `items[3].phone` as `/items/3/phone` (keys escaped as RFC 6901 says).
fn pointer(path: &SerdePath) -> String {
    let mut s = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => s.push_str(&format!("/{index}")),
            Segment::Map { key } => s.push_str(&format!("/{}", strict::escape(key))),
            Segment::Enum { variant } => s.push_str(&format!("/{variant}")),
            Segment::Unknown => {}
        }
    }
    s
}

/// Turns a serde data error into a field issue: `missing field` and `unknown field` name the
/// field inside the message, so it is appended to the path. The body itself is `/`.
fn serde_issue(path: &SerdePath, message: &str) -> FieldIssue {
    let base = pointer(path);
    let quoted = strict::escape(message.split('`').nth(1).unwrap_or_default());
    let named = |base: String| {
        let tail = format!("/{quoted}");
        if base.ends_with(&tail) { base } else { base + &tail }
    };
    let (field, code) = if message.starts_with("missing field") {
        (named(base), "required")
    } else if message.starts_with("unknown field") {
        (named(base), "unknown_field")
    } else if message.starts_with("invalid type") {
        (base, "invalid_type")
    } else {
        (base, "invalid_value")
    };
    let field = if field.is_empty() { "/".to_owned() } else { field };
    FieldIssue { field, code: code.to_owned(), params: allowed_in(message) }
}

/// `unknown variant `x`, expected one of `a`, `b`` (an enum's value): the allowed values.
fn allowed_in(message: &str) -> Vec<(&'static str, String)> {
    let Some(list) = message.strip_prefix("unknown variant").and_then(|m| m.split_once("expected ")).map(|(_, l)| l)
    else {
        return Vec::new();
    };
    let values: Vec<&str> = list.split('`').skip(1).step_by(2).collect();
    if values.is_empty() { Vec::new() } else { vec![("allowed", values.join(", "))] }
}
