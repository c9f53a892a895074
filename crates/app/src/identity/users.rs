//! Staff users: create, read within the data scope, change, disable, reset passwords.

use crate::identity::{access, grants, password};
use crate::paging::{Page, PageRequest};
use crate::platform::audit;
use crate::{Access, App, AppError, etag};
use chrono::{DateTime, Utc};
use crm_domain::identity::org::parse_name;
use crm_domain::identity::{PasswordPolicy, UserStatus, Username, permission};
use crm_domain::ids::{OrgUnitId, PositionId, TenantId, UserId};
use crm_domain::{FieldError, FieldErrors};
use crm_store::UniqueKey;
use crm_store::identity::positions::PositionRow;
pub use crm_store::identity::users::UserFilter;
use crm_store::identity::users::{self, NewUser, UserChanges, UserRow};
use crm_store::identity::{org_units, positions, sessions};
use crm_store::{ConnectionTrait, StoreError};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// A user as the API shows it; no password hash.
#[derive(Debug, Clone)]
pub struct UserView {
    pub id: UserId,
    pub tenant_id: TenantId,
    pub username: String,
    pub display_name: String,
    pub status: String,
    pub is_platform_admin: bool,
    pub org_unit_id: Option<Uuid>,
    pub position_ids: Vec<Uuid>,
    pub grants: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub etag: String,
}

impl UserView {
    fn new(r: UserRow, position_ids: Vec<Uuid>, grants: Vec<String>) -> Self {
        Self {
            id: UserId(r.id),
            tenant_id: TenantId(r.tenant_id),
            username: r.username,
            display_name: r.display_name,
            status: r.status,
            is_platform_admin: r.is_platform_admin,
            org_unit_id: r.org_unit_id,
            position_ids,
            grants,
            created_at: r.created_at,
            updated_at: r.updated_at,
            etag: etag::of(r.updated_at),
        }
    }
}

/// `POST /users` input.
pub struct NewUserInput {
    pub username: String,
    pub password: String,
    pub display_name: String,
    pub org_unit_id: Option<Uuid>,
    pub position_ids: Vec<Uuid>,
    pub grants: Vec<String>,
}

/// `PATCH /users/{id}` input; `None` leaves a field, `org_unit_id: Some(None)` clears it.
#[derive(Default)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub org_unit_id: Option<Option<Uuid>>,
    pub position_ids: Option<Vec<Uuid>>,
    pub grants: Option<Vec<String>>,
}

const NOT_FOUND: AppError = AppError::NotFound { entity: "user" };

fn username_taken(e: StoreError) -> AppError {
    if e.is_conflict_on(UniqueKey::Username) {
        AppError::Conflict { code: "user.username_taken", field: Some("/username".to_owned()) }
    } else {
        e.into()
    }
}

/// Checks that the unit and positions named exist (into `errs`), locking them until commit (so
/// a concurrent delete of the unit or a position waits for this transaction, then sees the
/// user), and returns the named positions (and `also`, locked with them in one id order) by id.
/// On the pool, outside a transaction, it only checks (to report every invalid field at once).
async fn lock_refs(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    unit: Option<Uuid>,
    position_ids: Option<&[Uuid]>,
    also: &BTreeSet<Uuid>,
    errs: &mut FieldErrors,
) -> Result<BTreeMap<Uuid, PositionRow>, AppError> {
    if let Some(u) = unit
        && org_units::find_locked(c, tenant, OrgUnitId(u)).await?.is_none()
    {
        errs.push(FieldError::new("/org_unit_id", "not_found"));
    }
    let named = position_ids.unwrap_or_default();
    let ids: BTreeSet<Uuid> = named.iter().copied().chain(also.iter().copied()).collect();
    let rows: BTreeMap<Uuid, PositionRow> =
        positions::lock_many(c, tenant, &ids).await?.into_iter().map(|p| (p.id, p)).collect();
    for (i, p) in named.iter().enumerate() {
        if !rows.contains_key(p) {
            errs.push(FieldError::new(format!("/position_ids/{i}"), "not_found"));
        }
    }
    Ok(rows)
}

/// Refuses to give the user a position the caller could not grant (one they do not hold already).
fn check_assignable(
    who: &Access,
    named: &[Uuid],
    held: &BTreeSet<Uuid>,
    rows: &BTreeMap<Uuid, PositionRow>,
) -> Result<(), AppError> {
    let too_wide = |p: &Uuid| !held.contains(p) && rows.get(p).is_none_or(|r| !grants::may_assign(who, r));
    match named.iter().position(too_wide) {
        Some(i) => Err(grants::exceeds_own(format!("/position_ids/{i}"))),
        None => Ok(()),
    }
}

/// Only a platform administrator may change, disable or reset a platform administrator.
fn check_not_protected(who: &Access, target: &UserRow) -> Result<(), AppError> {
    if target.is_platform_admin && !who.is_platform_admin {
        return Err(AppError::Refused { code: "user.platform_admin_protected", field: None });
    }
    Ok(())
}

/// Setting someone's password is taking over their account: refused (403
/// `user.rights_exceed_own`) when they hold a permission or a data scope the caller does not.
async fn check_takeover(c: &impl ConnectionTrait, who: &Access, target: &UserRow) -> Result<(), AppError> {
    let (perms, scope) = access::rights_of(c, target).await?;
    if !permission::covers(&who.permissions, &perms) || scope.exceeds(who.data_scope, None) {
        return Err(AppError::Refused { code: "user.rights_exceed_own", field: None });
    }
    Ok(())
}

/// The built-in positions to lock before changing `target`'s positions or status: all of them
/// when the target is an active administrator (so changes of administrators run one at a time
/// and [`ensure_an_administrator`] counts what is committed), none otherwise.
async fn admin_guard(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    target: &UserRow,
    held: &BTreeSet<Uuid>,
) -> Result<BTreeSet<Uuid>, AppError> {
    if UserStatus::parse(&target.status) != Some(UserStatus::Active) {
        return Ok(BTreeSet::new());
    }
    let built_in = positions::built_in_ids(c, tenant).await?;
    Ok(if built_in.is_disjoint(held) { BTreeSet::new() } else { built_in })
}

/// After a change guarded by [`admin_guard`]: 409 `user.last_administrator` when no active user
/// holds a built-in position any more (the transaction is then dropped, so nothing changes).
async fn ensure_an_administrator(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    built_in: &BTreeSet<Uuid>,
) -> Result<(), AppError> {
    if built_in.is_empty() {
        return Ok(());
    }
    let holders = positions::holders(c, tenant, built_in).await?;
    if users::count_active(c, tenant, holders).await? == 0 {
        return Err(AppError::Conflict { code: "user.last_administrator", field: None });
    }
    Ok(())
}

fn held_ids(rows: Vec<PositionRow>) -> BTreeSet<Uuid> {
    rows.into_iter().map(|p| p.id).collect()
}

fn parse_grants(g: Option<&[String]>, errs: &mut FieldErrors) -> Option<BTreeSet<String>> {
    let g = g?;
    match permission::parse_set("/grants", g) {
        Ok(s) => Some(s),
        Err(e) => {
            errs.0.extend(e.0);
            None
        }
    }
}

fn audit_json(v: &UserView) -> serde_json::Value {
    json!({
        "username": v.username, "display_name": v.display_name, "status": v.status,
        "org_unit_id": v.org_unit_id, "position_ids": v.position_ids, "grants": v.grants,
    })
}

impl App {
    /// The caller's own account (no permission needed).
    pub async fn me(&self, who: &Access) -> Result<UserView, AppError> {
        let id = who.user_id().ok_or(AppError::Forbidden { code: "auth.user_required", permission: None })?;
        let row = users::find(self.store().conn(), who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        self.view(self.store().conn(), row).await
    }

    /// One user the caller's data scope shows; anything else (another tenant's included) is `NotFound`.
    pub async fn get_user(&self, who: &Access, id: Uuid) -> Result<UserView, AppError> {
        who.require("users:read")?;
        let row =
            users::find_scoped(self.store().conn(), who.tenant_id, &who.scope, UserId(id)).await?.ok_or(NOT_FOUND)?;
        self.view(self.store().conn(), row).await
    }

    /// The users the caller's data scope shows, oldest first.
    pub async fn list_users(&self, who: &Access, f: UserFilter, page: PageRequest) -> Result<Page<UserView>, AppError> {
        who.require("users:read")?;
        let db = self.store().conn();
        let rows = users::page(db, who.tenant_id, &who.scope, &f, page.after, page.fetch_size()).await?;
        let page = page.finish(rows, |r| r.id, |r| r);
        let ids: Vec<Uuid> = page.items.iter().map(|r| r.id).collect();
        let mut pos: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
        for (u, p) in positions::of_users(db, who.tenant_id, &ids).await? {
            pos.entry(u).or_default().push(p);
        }
        let mut grants: BTreeMap<Uuid, Vec<String>> = BTreeMap::new();
        for (u, g) in positions::grants_of_users(db, who.tenant_id, &ids).await? {
            grants.entry(u).or_default().push(g);
        }
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(|r| {
                    let (p, g) = (pos.remove(&r.id).unwrap_or_default(), grants.remove(&r.id).unwrap_or_default());
                    UserView::new(r, p, g)
                })
                .collect(),
            next_cursor: page.next_cursor,
        })
    }

    pub async fn create_user(&self, who: &Access, input: NewUserInput) -> Result<UserView, AppError> {
        who.require("users:write")?;
        let mut errs = FieldErrors::default();
        let username = errs.check(Username::parse("/username", &input.username));
        let pw = errs.check(PasswordPolicy::default().check("/password", &input.password, &input.username));
        let display = errs.check(parse_name("/display_name", &input.display_name));
        let grant_set = parse_grants(Some(&input.grants), &mut errs);
        let none = BTreeSet::new();
        lock_refs(self.store().conn(), who.tenant_id, input.org_unit_id, Some(&input.position_ids), &none, &mut errs)
            .await?;
        errs.into_result()?;
        let (Some(username), Some(pw), Some(display)) = (username, pw, display) else {
            return Err(AppError::Internal("unreachable".into()));
        };
        grants::check_permissions(who, "/grants", &input.grants, &BTreeSet::new())?;
        let hash = password::hash(&pw).await?;
        let tx = self.store().begin_write().await?;
        let mut errs = FieldErrors::default();
        let rows =
            lock_refs(&tx, who.tenant_id, input.org_unit_id, Some(&input.position_ids), &none, &mut errs).await?;
        errs.into_result()?;
        check_assignable(who, &input.position_ids, &none, &rows)?;
        let id = UserId::new();
        let row = users::insert(
            &tx,
            NewUser {
                tenant_id: who.tenant_id,
                id,
                username: username.as_str(),
                password_hash: &hash,
                display_name: &display,
                status: UserStatus::Active.as_str(),
                is_platform_admin: false,
                org_unit_id: input.org_unit_id.map(OrgUnitId),
            },
        )
        .await
        .map_err(username_taken)?;
        let pos: Vec<PositionId> = input.position_ids.iter().map(|p| PositionId(*p)).collect();
        positions::set_for_user(&tx, who.tenant_id, id, &pos).await?;
        positions::set_grants(&tx, who.tenant_id, id, &grant_set.unwrap_or_default()).await?;
        let view = self.view(&tx, row).await?;
        audit::record(&tx, who, "create", "user", id.0, audit_json(&view)).await?;
        tx.commit().await.map_err(StoreError::from).map_err(username_taken)?;
        Ok(view)
    }

    pub async fn update_user(
        &self,
        who: &Access,
        id: Uuid,
        patch: UserPatch,
        if_match: Option<&str>,
    ) -> Result<UserView, AppError> {
        who.require("users:write")?;
        let mut errs = FieldErrors::default();
        let display = patch.display_name.as_deref().and_then(|d| errs.check(parse_name("/display_name", d)));
        let grant_set = parse_grants(patch.grants.as_deref(), &mut errs);
        let (unit, named) = (patch.org_unit_id.flatten(), patch.position_ids.as_deref());
        lock_refs(self.store().conn(), who.tenant_id, unit, named, &BTreeSet::new(), &mut errs).await?;
        errs.into_result()?;
        let tx = self.store().begin_write().await?;
        let (tenant, uid) = (who.tenant_id, UserId(id));
        // Locked first, so the If-Match check and the rules below hold until commit.
        let row = users::lock_scoped(&tx, tenant, &who.scope, uid).await?.ok_or(NOT_FOUND)?;
        etag::check(if_match, row.updated_at)?;
        check_not_protected(who, &row)?;
        let held = held_ids(positions::of_user(&tx, tenant, uid).await?);
        let guard = match &patch.position_ids {
            Some(_) => admin_guard(&tx, tenant, &row, &held).await?,
            None => BTreeSet::new(),
        };
        let mut errs = FieldErrors::default();
        let rows = lock_refs(&tx, tenant, unit, named, &guard, &mut errs).await?;
        errs.into_result()?;
        if let Some(p) = &patch.position_ids {
            check_assignable(who, p, &held, &rows)?;
        }
        if let Some(g) = &patch.grants {
            grants::check_permissions(who, "/grants", g, &positions::grants_of_user(&tx, tenant, uid).await?)?;
        }
        let before = audit_json(&self.view(&tx, row.clone()).await?);
        if let Some(p) = &patch.position_ids {
            let pos: Vec<PositionId> = p.iter().map(|p| PositionId(*p)).collect();
            positions::set_for_user(&tx, tenant, uid, &pos).await?;
            ensure_an_administrator(&tx, tenant, &guard).await?;
        }
        if let Some(g) = &grant_set {
            positions::set_grants(&tx, tenant, uid, g).await?;
        }
        let changes = UserChanges { display_name: display, org_unit_id: patch.org_unit_id, ..UserChanges::default() };
        let row = users::update(&tx, row, changes).await?;
        let view = self.view(&tx, row).await?;
        audit::record(&tx, who, "update", "user", id, audit::diff(&before, &audit_json(&view))).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// Disables or re-enables a user. Disabling ends every session and access token at once,
    /// and is refused for the tenant's last active administrator.
    pub async fn set_user_status(&self, who: &Access, id: Uuid, status: UserStatus) -> Result<UserView, AppError> {
        who.require("users:write")?;
        if status == UserStatus::Disabled && who.user_id() == Some(UserId(id)) {
            return Err(AppError::Conflict { code: "user.cannot_disable_self", field: None });
        }
        let tx = self.store().begin_write().await?;
        let (tenant, uid) = (who.tenant_id, UserId(id));
        let row = users::lock_scoped(&tx, tenant, &who.scope, uid).await?.ok_or(NOT_FOUND)?;
        check_not_protected(who, &row)?;
        let guard = match status {
            UserStatus::Disabled => {
                let guard =
                    admin_guard(&tx, tenant, &row, &held_ids(positions::of_user(&tx, tenant, uid).await?)).await?;
                positions::lock_many(&tx, tenant, &guard).await?;
                guard
            }
            UserStatus::Active => BTreeSet::new(),
        };
        let before = row.status.clone();
        let row =
            users::update(&tx, row, UserChanges { status: Some(status.as_str().to_owned()), ..Default::default() })
                .await?;
        if status == UserStatus::Disabled {
            ensure_an_administrator(&tx, tenant, &guard).await?;
            sessions::revoke_user(&tx, tenant, uid).await?;
            users::bump_token_generation(&tx, tenant, uid).await?;
        }
        let action = if status == UserStatus::Disabled { "disable" } else { "enable" };
        audit::record(&tx, who, action, "user", id, json!({"status": {"from": before, "to": status.as_str()}})).await?;
        let view = self.view(&tx, row).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// Sets a new password (policy applies) and ends every session and access token of the user.
    pub async fn reset_password(&self, who: &Access, id: Uuid, new_password: &str) -> Result<(), AppError> {
        who.require("users:write")?;
        let row =
            users::find_scoped(self.store().conn(), who.tenant_id, &who.scope, UserId(id)).await?.ok_or(NOT_FOUND)?;
        check_not_protected(who, &row)?;
        let pw = PasswordPolicy::default().check("/password", new_password, &row.username)?;
        let hash = password::hash(&pw).await?;
        let tx = self.store().begin_write().await?;
        let row = users::lock_scoped(&tx, who.tenant_id, &who.scope, UserId(id)).await?.ok_or(NOT_FOUND)?;
        check_not_protected(who, &row)?;
        check_takeover(&tx, who, &row).await?;
        users::update(&tx, row, UserChanges { password_hash: Some(hash), ..Default::default() }).await?;
        sessions::revoke_user(&tx, who.tenant_id, UserId(id)).await?;
        users::bump_token_generation(&tx, who.tenant_id, UserId(id)).await?;
        audit::record(&tx, who, "reset_password", "user", id, json!({"password": "***"})).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    async fn view(&self, c: &impl ConnectionTrait, row: UserRow) -> Result<UserView, AppError> {
        let (t, u) = (TenantId(row.tenant_id), UserId(row.id));
        let pos = positions::of_user(c, t, u).await?.into_iter().map(|p| p.id).collect();
        let grants = positions::grants_of_user(c, t, u).await?.into_iter().collect();
        Ok(UserView::new(row, pos, grants))
    }
}
