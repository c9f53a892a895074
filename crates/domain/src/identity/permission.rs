//! Action permissions (`resource:action`): the catalogue of every permission that exists, and
//! parsing of permission lists. API-client scopes use the same names.

use crate::{FieldError, FieldErrors};
use std::collections::BTreeSet;

/// One permission and what it allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PermissionInfo {
    #[cfg_attr(feature = "openapi", schema(example = "users:read"))]
    pub name: &'static str,
    pub description: &'static str,
    /// Only platform administrators hold it; positions cannot grant it.
    pub platform_only: bool,
}

const fn p(name: &'static str, description: &'static str) -> PermissionInfo {
    PermissionInfo { name, description, platform_only: false }
}

/// Every permission, in display order. New capabilities add theirs here.
pub const CATALOGUE: &[PermissionInfo] = &[
    PermissionInfo { name: "tenants:read", description: "List tenants of the deployment", platform_only: true },
    PermissionInfo { name: "tenants:write", description: "Create tenants", platform_only: true },
    p("org_units:read", "See the org tree"),
    p("org_units:write", "Create, rename, move and delete org units"),
    p("positions:read", "See positions and their permissions"),
    p("positions:write", "Create, change and delete positions"),
    p("users:read", "See staff users within the data scope"),
    p("users:write", "Create, change, disable users and reset their passwords"),
    p("api_clients:read", "See integration clients"),
    p("api_clients:write", "Create, rotate and revoke integration clients"),
    p("audit_log:read", "Read the audit log"),
    p("customers:read", "See customers within the data scope"),
    p("customers:write", "Create, change, delete and restore customers; batch upserts"),
    p("customers:read_pii", "See customers' full phone and id numbers instead of masked ones"),
    p("customers:pool", "See the public pool and claim customers from it"),
    p("customers:merge", "Merge duplicate customers into one"),
    p("segments:read", "See segments, their counts and members (within the data scope)"),
    p("segments:write", "Create, change and delete segments and static segment members"),
    p("custom_fields:read", "See custom field definitions"),
    p("custom_fields:write", "Define, change and delete custom fields"),
    p("settings:read", "See the tenant's settings"),
    p("settings:write", "Change the tenant's settings"),
    p("enrollment:read", "See enrollment applications and their review findings"),
    p("enrollment:submit", "Submit enrollment applications (member website, sales system, on-site staff)"),
    p("enrollment:review", "Correct, approve and reject enrollment applications, single and bulk"),
    p("members:read", "See members (within the data scope), look them up, and see member levels"),
    p(
        "members:write",
        "Change members' profiles, report cards lost or replace them, cancel memberships, link identities",
    ),
    p("members:level", "Change members' levels by hand, single and bulk"),
    p("member_levels:write", "Define, change and delete member levels"),
    p("card_numbers:read", "See the card-number pool"),
    p("card_numbers:write", "Create card numbers in bulk or one by one, and delete unused ones"),
    p("outbox:read", "See the outbox of domain events"),
    p(
        "points:read",
        "See members' points, ledgers, purchases, points plans, carry-over runs and rewards (within the data scope)",
    ),
    p("points:write", "Credit or debit manual and activity points, single and batch"),
    p("purchases:write", "Record purchases, their payments and refunds, and cancel them (the sales system)"),
    p("points_plans:write", "Define and change points plans; run and reverse carry-overs"),
    p("rewards:write", "Edit rewards before redemption and set their redemption date"),
    p("ledger:check", "Verify every points balance against its ledger entries"),
];

/// Whether `name` is in the catalogue.
pub fn exists(name: &str) -> bool {
    CATALOGUE.iter().any(|p| p.name == name)
}

/// Every permission a tenant can grant (not the platform-only ones).
pub fn tenant_grantable() -> impl Iterator<Item = &'static PermissionInfo> {
    CATALOGUE.iter().filter(|p| !p.platform_only)
}

/// What holding a position grants: every tenant permission for the built-in Administrator
/// (`grants_all`, so it keeps up with new permissions), otherwise the permissions it lists.
pub fn granted_by(grants_all: bool, listed: &BTreeSet<String>) -> BTreeSet<String> {
    if grants_all { tenant_grantable().map(|p| p.name.to_owned()).collect() } else { listed.clone() }
}

/// Parses a list of permission names: each must exist and be grantable in a tenant;
/// duplicates collapse. Errors name the index (`/permissions/2`).
pub fn parse_set(field: &str, names: &[String]) -> Result<BTreeSet<String>, FieldErrors> {
    let mut errs = FieldErrors::default();
    let mut out = BTreeSet::new();
    for (i, n) in names.iter().enumerate() {
        match CATALOGUE.iter().find(|p| p.name == n.as_str()) {
            Some(p) if !p.platform_only => {
                out.insert(p.name.to_owned());
            }
            Some(_) => errs.push(FieldError::new(format!("{field}/{i}"), "permission_platform_only")),
            None => errs.push(FieldError::new(format!("{field}/{i}"), "permission_unknown")),
        }
    }
    errs.into_result().map(|_| out)
}

/// Where granting `requested` would give more than the granter holds: the index of the first
/// name the granter lacks that the grantee does not already have. Keeping what the grantee has,
/// or taking it away, never widens, so it is always allowed.
pub fn first_exceeding(requested: &[String], granter: &BTreeSet<String>, already: &BTreeSet<String>) -> Option<usize> {
    requested.iter().position(|n| !granter.contains(n) && !already.contains(n))
}

/// Whether a granter holding `granter` may hand out every permission in `granted` (a position's
/// or a client's whole set).
pub fn covers(granter: &BTreeSet<String>, granted: &BTreeSet<String>) -> bool {
    granted.is_subset(granter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_names_are_resource_action_and_unique() {
        let mut seen = BTreeSet::new();
        for p in CATALOGUE {
            let (r, a) = p.name.split_once(':').unwrap_or_default();
            assert!(!r.is_empty() && !a.is_empty(), "{}", p.name);
            assert!(seen.insert(p.name), "duplicate {}", p.name);
        }
    }

    #[test]
    fn granting_is_bounded_by_the_granter_but_keeping_and_narrowing_are_not() {
        let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<String>>();
        let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<String>>();
        let granter = set(&["users:read", "users:write"]);
        assert_eq!(first_exceeding(&list(&["users:read"]), &granter, &set(&[])), None);
        assert_eq!(first_exceeding(&list(&["users:read", "audit_log:read"]), &granter, &set(&[])), Some(1));
        // The grantee keeps what it had, even when the granter does not hold it.
        assert_eq!(first_exceeding(&list(&["audit_log:read"]), &granter, &set(&["audit_log:read"])), None);
        assert_eq!(first_exceeding(&[], &granter, &set(&["audit_log:read"])), None);
        assert!(covers(&granter, &set(&["users:read"])));
        assert!(!covers(&granter, &set(&["users:read", "customers:read_pii"])));
    }

    #[test]
    fn parse_set_checks_each_name() {
        let ok = parse_set("/permissions", &["users:read".into(), "users:read".into(), "audit_log:read".into()]);
        assert_eq!(ok.map(|s| s.len()), Ok(2));
        let bad = parse_set("/permissions", &["users:read".into(), "users:fly".into(), "tenants:write".into()]);
        let codes: Vec<(String, &str)> =
            bad.err().unwrap_or_default().0.into_iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            codes,
            vec![
                ("/permissions/1".into(), "permission_unknown"),
                ("/permissions/2".into(), "permission_platform_only")
            ]
        );
    }
}
