//! The org tree: unit kinds, names, and the materialized path that makes "this unit and every
//! unit below it" one indexed prefix match.

use crate::{FieldError, limits};
use uuid::Uuid;

crate::macros::str_enum!(
    /// What a unit is; the tree does not force an order of kinds.
    OrgUnitKind {
        Group => "group",
        Region => "region",
        Company => "company",
        Department => "department",
        Team => "team",
    }
);

/// A display name: 1..=200 characters after trimming.
pub fn parse_name(field: &str, raw: &str) -> Result<String, FieldError> {
    parse_name_within(field, raw, limits::NAME)
}

/// A name of 1..=`max` characters after trimming.
pub fn parse_name_within(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(FieldError::new(field, "length").with("min", 1).with("max", max));
    }
    limits::check(field, s, max)?;
    Ok(s.to_owned())
}

/// `/<root id>/.../<unit id>/`: a unit's path is its parent's path plus its own id.
pub fn child_path(parent_path: Option<&str>, id: Uuid) -> String {
    format!("{}{}/", parent_path.unwrap_or("/"), id.simple())
}

/// Whether the unit at `path` is `ancestor_path` or below it.
pub fn is_within(path: &str, ancestor_path: &str) -> bool {
    path.starts_with(ancestor_path)
}

/// The ids on a path, root first.
pub fn path_ids(path: &str) -> Vec<Uuid> {
    path.split('/').filter(|s| !s.is_empty()).filter_map(|s| Uuid::parse_str(s).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_nest() {
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let pa = child_path(None, a);
        let pb = child_path(Some(&pa), b);
        let pc = child_path(Some(&pb), c);
        assert!(is_within(&pc, &pa));
        assert!(is_within(&pb, &pb));
        assert!(!is_within(&pa, &pb));
        assert_eq!(path_ids(&pc), vec![a, b, c]);
    }

    #[test]
    fn names_and_kinds() {
        assert_eq!(parse_name("/name", "  华东区 ").as_deref(), Ok("华东区"));
        assert!(parse_name("/name", "   ").is_err());
        assert_eq!(OrgUnitKind::parse("/kind", "team"), Ok(OrgUnitKind::Team));
        assert!(OrgUnitKind::parse("/kind", "squad").is_err());
    }
}
