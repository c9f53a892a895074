//! The checks a change of a user passes: the unit and positions named exist (and stay, locked),
//! positions are assignable by the caller, platform administrators are protected, a password
//! reset is no takeover, and the tenant keeps an active administrator.

use crate::codes::Code;
use crate::identity::{access, grants};
use crate::{Access, AppError};
use crm_domain::identity::{UserStatus, permission};
use crm_domain::ids::{OrgUnitId, PositionId, TenantId};
use crm_domain::{FieldError, FieldErrors};
use crm_store::ConnectionTrait;
use crm_store::identity::positions::PositionRecord;
use crm_store::identity::users::UserRecord;
use crm_store::identity::{org_units, positions, users};
use std::collections::{BTreeMap, BTreeSet};

/// Checks that the unit and positions named exist (into `errs`), locking them until commit (so
/// a concurrent delete of the unit or a position waits for this transaction, then sees the
/// user), and returns the named positions (and `also`, locked with them in one id order) by id.
/// On the pool, outside a transaction, it only checks (to report every invalid field at once).
pub(super) async fn lock_refs(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    unit: Option<OrgUnitId>,
    position_ids: Option<&[PositionId]>,
    also: &BTreeSet<PositionId>,
    errs: &mut FieldErrors,
) -> Result<BTreeMap<PositionId, PositionRecord>, AppError> {
    if let Some(u) = unit
        && org_units::find_locked(c, tenant, u).await?.is_none()
    {
        errs.push(FieldError::new("/org_unit_id", "not_found"));
    }
    let named = position_ids.unwrap_or_default();
    let ids: BTreeSet<PositionId> = named.iter().copied().chain(also.iter().copied()).collect();
    let rows: BTreeMap<PositionId, PositionRecord> =
        positions::lock_many(c, tenant, &ids).await?.into_iter().map(|p| (p.id, p)).collect();
    for (i, p) in named.iter().enumerate() {
        if !rows.contains_key(p) {
            errs.push(FieldError::new(format!("/position_ids/{i}"), "not_found"));
        }
    }
    Ok(rows)
}

/// Refuses to give the user a position the caller could not grant (one they do not hold already).
pub(super) fn check_assignable(
    who: &Access,
    named: &[PositionId],
    held: &BTreeSet<PositionId>,
    rows: &BTreeMap<PositionId, PositionRecord>,
) -> Result<(), AppError> {
    let too_wide = |p: &PositionId| !held.contains(p) && rows.get(p).is_none_or(|r| !grants::may_assign(who, r));
    match named.iter().position(too_wide) {
        Some(i) => Err(grants::exceeds_own(format!("/position_ids/{i}"))),
        None => Ok(()),
    }
}

/// Only a platform administrator may change, disable or reset a platform administrator.
pub(super) fn check_not_protected(who: &Access, target: &UserRecord) -> Result<(), AppError> {
    if target.is_platform_admin && !who.is_platform_admin {
        return Err(AppError::Refused { code: Code::UserPlatformAdminProtected, field: None });
    }
    Ok(())
}

/// Setting someone's password is taking over their account: refused (403
/// `user.rights_exceed_own`) when they hold a permission or a data scope the caller does not.
pub(super) async fn check_takeover(
    c: &impl ConnectionTrait,
    who: &Access,
    target: &UserRecord,
) -> Result<(), AppError> {
    let (perms, scope) = access::rights_of(c, target).await?;
    if !permission::covers(&who.permissions, &perms) || scope.exceeds(who.data_scope, None) {
        return Err(AppError::Refused { code: Code::UserRightsExceedOwn, field: None });
    }
    Ok(())
}

/// The built-in positions to lock before changing `target`'s positions or status: all of them
/// when the target is an active administrator (so changes of administrators run one at a time
/// and [`ensure_an_administrator`] counts what is committed), none otherwise.
pub(super) async fn admin_guard(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    target: &UserRecord,
    held: &BTreeSet<PositionId>,
) -> Result<BTreeSet<PositionId>, AppError> {
    if target.status != UserStatus::Active {
        return Ok(BTreeSet::new());
    }
    let built_in = positions::built_in_ids(c, tenant).await?;
    Ok(if built_in.is_disjoint(held) { BTreeSet::new() } else { built_in })
}

/// After a change guarded by [`admin_guard`]: 409 `user.last_administrator` when no active user
/// holds a built-in position any more (the transaction is then dropped, so nothing changes).
pub(super) async fn ensure_an_administrator(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    built_in: &BTreeSet<PositionId>,
) -> Result<(), AppError> {
    if built_in.is_empty() {
        return Ok(());
    }
    let holders = positions::holders(c, tenant, built_in).await?;
    if users::count_active(c, tenant, &holders).await? == 0 {
        return Err(AppError::Conflict { code: Code::UserLastAdministrator, field: None });
    }
    Ok(())
}

pub(super) fn held_ids(rows: Vec<PositionRecord>) -> BTreeSet<PositionId> {
    rows.into_iter().map(|p| p.id).collect()
}

pub(super) fn parse_grants(g: Option<&[String]>, errs: &mut FieldErrors) -> Option<BTreeSet<String>> {
    let g = g?;
    match permission::parse_set("/grants", g) {
        Ok(s) => Some(s),
        Err(e) => {
            errs.0.extend(e.0);
            None
        }
    }
}
