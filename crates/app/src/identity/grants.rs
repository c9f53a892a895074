//! The granting rules: nobody hands out (to a user, a position or an API client's scopes) a
//! permission or a data scope wider than they hold themselves. Keeping what the grantee already
//! has, or taking it away, narrows and is always allowed.

use crate::codes::Code;
use crate::{Access, AppError};
use crm_domain::identity::{DataScope, permission};
use crm_store::identity::positions::PositionRecord;
use std::collections::BTreeSet;

/// 403 `permission.grant_exceeds_own` naming the input that asked for too much.
pub(crate) fn exceeds_own(field: String) -> AppError {
    AppError::Refused { code: Code::PermissionGrantExceedsOwn, field: Some(field) }
}

/// Refuses the first of `requested` (as `{field}/{index}`) that the caller does not hold and the
/// grantee does not `already` have.
pub(crate) fn check_permissions(
    who: &Access,
    field: &str,
    requested: &[String],
    already: &BTreeSet<String>,
) -> Result<(), AppError> {
    match permission::first_exceeding(requested, &who.permissions, already) {
        Some(i) => Err(exceeds_own(format!("{field}/{i}"))),
        None => Ok(()),
    }
}

/// Refuses a data scope wider than the caller's own, unless it is no wider than `current`.
pub(crate) fn check_scope(
    who: &Access,
    field: &str,
    scope: DataScope,
    current: Option<DataScope>,
) -> Result<(), AppError> {
    if scope.exceeds(who.data_scope, current) { Err(exceeds_own(field.to_owned())) } else { Ok(()) }
}

/// Whether the caller may hand `position` to a user: it grants no permission the caller lacks
/// and no wider data scope.
pub(crate) fn may_assign(who: &Access, position: &PositionRecord) -> bool {
    permission::covers(&who.permissions, &permission::granted_by(position.grants_all, &position.permissions))
        && !position.data_scope.exceeds(who.data_scope, None)
}
