//! Staff users: create, read within the data scope, change, disable, reset passwords.

use crate::codes::Code;
use crate::identity::access::Resolved;
use crate::identity::user_checks::{
    admin_guard, check_assignable, check_not_protected, check_takeover, ensure_an_administrator, held_ids, lock_refs,
    parse_grants,
};
use crate::identity::{grants, password};
use crate::paging::{Page, PageRequest};
use crate::platform::audit;
use crate::{Access, App, AppError, etag};
use chrono::{DateTime, Utc};
use crm_domain::FieldErrors;
use crm_domain::identity::org::parse_name;
use crm_domain::identity::{PasswordPolicy, UserStatus, Username};
use crm_domain::ids::{OrgUnitId, PositionId, TenantId, UserId};
pub use crm_store::identity::users::UserFilter;
use crm_store::identity::users::{self, NewUser, UserChanges, UserRecord};
use crm_store::identity::{positions, sessions};
use crm_store::platform::config_generation;
use crm_store::{ConnectionTrait, StoreError, UniqueKey};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

/// A staff user.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView {
    pub id: UserId,
    pub tenant_id: TenantId,
    #[cfg_attr(feature = "openapi", schema(example = "admin"))]
    pub username: String,
    pub display_name: String,
    pub status: UserStatus,
    pub is_platform_admin: bool,
    pub org_unit_id: Option<OrgUnitId>,
    pub position_ids: Vec<PositionId>,
    /// Per-user permissions on top of the positions.
    pub grants: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip)]
    pub etag: String,
}

impl UserView {
    fn new(r: UserRecord, position_ids: Vec<PositionId>, grants: Vec<String>) -> Self {
        Self {
            id: r.id,
            tenant_id: r.tenant_id,
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

/// `POST /users`. The username, password, name and grants are checked here, with the unit and
/// positions named (which only the store can check), so every invalid field is reported at once.
#[derive(Debug, Clone)]
pub struct CreateUser {
    pub username: String,
    pub password: String,
    pub display_name: String,
    pub org_unit_id: Option<OrgUnitId>,
    pub position_ids: Vec<PositionId>,
    pub grants: Vec<String>,
}

/// `PATCH /users/{id}`, checked like [`CreateUser`]; `None` leaves a field, `org_unit_id:
/// Some(None)` takes the user out of the tree.
#[derive(Debug, Clone, Default)]
pub struct UpdateUser {
    pub display_name: Option<String>,
    pub org_unit_id: Option<Option<OrgUnitId>>,
    pub position_ids: Option<Vec<PositionId>>,
    pub grants: Option<Vec<String>>,
}

const NOT_FOUND: AppError = AppError::NotFound { entity: "user" };

fn username_taken(e: StoreError) -> AppError {
    if e.is_conflict_on(UniqueKey::Username) {
        AppError::Conflict { code: Code::UserUsernameTaken, field: Some("/username".to_owned()) }
    } else {
        e.into()
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
        let id = who.user_id().ok_or(AppError::Forbidden { code: Code::AuthUserRequired, permission: None })?;
        // The record and holdings this request's rights were resolved from are current: any
        // change to them moved the tenant's configuration generation, and rights are resolved
        // again when it moves.
        if let Some((user, positions, grants)) = who.resolved.as_deref().and_then(Resolved::user)
            && user.id == id
        {
            return Ok(UserView::new(user.clone(), positions.to_vec(), grants.to_vec()));
        }
        let row = users::find(self.store().conn(), who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        self.view(self.store().conn(), row).await
    }

    /// One user the caller's data scope shows; anything else (another tenant's included) is `NotFound`.
    pub async fn get_user(&self, who: &Access, id: UserId) -> Result<UserView, AppError> {
        who.require("users:read")?;
        let row = users::find_scoped(self.store().conn(), who.tenant_id, &who.scope, id).await?.ok_or(NOT_FOUND)?;
        self.view(self.store().conn(), row).await
    }

    /// The users the caller's data scope shows, oldest first.
    pub async fn list_users(&self, who: &Access, f: UserFilter, page: PageRequest) -> Result<Page<UserView>, AppError> {
        who.require("users:read")?;
        let db = self.store().conn();
        let rows = users::page(db, who.tenant_id, &who.scope, &f, page.after, page.fetch_size()).await?;
        let page = page.finish(rows, |r| r.id.0, |r| r);
        let ids: Vec<UserId> = page.items.iter().map(|r| r.id).collect();
        let mut pos: BTreeMap<UserId, Vec<PositionId>> = BTreeMap::new();
        for (u, p) in positions::of_users(db, who.tenant_id, &ids).await? {
            pos.entry(u).or_default().push(p);
        }
        let mut grants: BTreeMap<UserId, Vec<String>> = BTreeMap::new();
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

    pub async fn create_user(&self, who: &Access, cmd: CreateUser) -> Result<UserView, AppError> {
        who.require("users:write")?;
        let mut errs = FieldErrors::default();
        let username = errs.check(Username::parse("/username", &cmd.username));
        let pw = errs.check(PasswordPolicy::default().check("/password", &cmd.password, &cmd.username));
        let display = errs.check(parse_name("/display_name", &cmd.display_name));
        let grant_set = parse_grants(Some(&cmd.grants), &mut errs);
        let none = BTreeSet::new();
        lock_refs(self.store().conn(), who.tenant_id, cmd.org_unit_id, Some(&cmd.position_ids), &none, &mut errs)
            .await?;
        errs.into_result()?;
        let (Some(username), Some(pw), Some(display)) = (username, pw, display) else {
            return Err(AppError::Internal("unreachable".into()));
        };
        grants::check_permissions(who, "/grants", &cmd.grants, &BTreeSet::new())?;
        let hash = password::hash(&pw).await?;
        let tx = self.store().begin_write().await?;
        let mut errs = FieldErrors::default();
        let rows = lock_refs(&tx, who.tenant_id, cmd.org_unit_id, Some(&cmd.position_ids), &none, &mut errs).await?;
        errs.into_result()?;
        check_assignable(who, &cmd.position_ids, &none, &rows)?;
        let id = UserId::new();
        let new = NewUser {
            tenant_id: who.tenant_id,
            id,
            username: username.as_str(),
            password_hash: &hash,
            display_name: &display,
            status: UserStatus::Active,
            is_platform_admin: false,
            org_unit_id: cmd.org_unit_id,
        };
        let row = users::insert(&tx, new).await.map_err(username_taken)?;
        positions::set_for_user(&tx, who.tenant_id, id, &cmd.position_ids).await?;
        positions::set_grants(&tx, who.tenant_id, id, &grant_set.unwrap_or_default()).await?;
        let view = self.view(&tx, row).await?;
        audit::record(&tx, who, "create", "user", id.0, audit_json(&view)).await?;
        config_generation::bump(&tx, who.tenant_id).await?;
        tx.commit().await.map_err(StoreError::from).map_err(username_taken)?;
        Ok(view)
    }

    pub async fn update_user(
        &self,
        who: &Access,
        uid: UserId,
        cmd: UpdateUser,
        if_match: Option<&str>,
    ) -> Result<UserView, AppError> {
        who.require("users:write")?;
        let mut errs = FieldErrors::default();
        let display = cmd.display_name.as_deref().and_then(|d| errs.check(parse_name("/display_name", d)));
        let grant_set = parse_grants(cmd.grants.as_deref(), &mut errs);
        let (unit, named) = (cmd.org_unit_id.flatten(), cmd.position_ids.as_deref());
        lock_refs(self.store().conn(), who.tenant_id, unit, named, &BTreeSet::new(), &mut errs).await?;
        errs.into_result()?;
        let tx = self.store().begin_write().await?;
        let tenant = who.tenant_id;
        // Locked first, so the If-Match check and the rules below hold until commit.
        let row = users::lock_scoped(&tx, tenant, &who.scope, uid).await?.ok_or(NOT_FOUND)?;
        etag::check(if_match, row.updated_at)?;
        check_not_protected(who, &row)?;
        let held = held_ids(positions::of_user(&tx, tenant, uid).await?);
        let guard = match &cmd.position_ids {
            Some(_) => admin_guard(&tx, tenant, &row, &held).await?,
            None => BTreeSet::new(),
        };
        let mut errs = FieldErrors::default();
        let rows = lock_refs(&tx, tenant, unit, named, &guard, &mut errs).await?;
        errs.into_result()?;
        if let Some(p) = &cmd.position_ids {
            check_assignable(who, p, &held, &rows)?;
        }
        if let Some(g) = &cmd.grants {
            grants::check_permissions(who, "/grants", g, &positions::grants_of_user(&tx, tenant, uid).await?)?;
        }
        let before = audit_json(&self.view(&tx, row.clone()).await?);
        if let Some(p) = &cmd.position_ids {
            positions::set_for_user(&tx, tenant, uid, p).await?;
            ensure_an_administrator(&tx, tenant, &guard).await?;
        }
        if let Some(g) = &grant_set {
            positions::set_grants(&tx, tenant, uid, g).await?;
        }
        let changes = UserChanges { display_name: display, org_unit_id: cmd.org_unit_id, ..UserChanges::default() };
        let row = users::update(&tx, row, changes).await?;
        let view = self.view(&tx, row).await?;
        audit::record(&tx, who, "update", "user", uid.0, audit::diff(&before, &audit_json(&view))).await?;
        config_generation::bump(&tx, who.tenant_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// Disables or re-enables a user. Disabling ends every session and access token at once,
    /// and is refused for the tenant's last active administrator.
    pub async fn set_user_status(&self, who: &Access, uid: UserId, status: UserStatus) -> Result<UserView, AppError> {
        who.require("users:write")?;
        if status == UserStatus::Disabled && who.user_id() == Some(uid) {
            return Err(AppError::Conflict { code: Code::UserCannotDisableSelf, field: None });
        }
        let tx = self.store().begin_write().await?;
        let tenant = who.tenant_id;
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
        let before = row.status;
        let row = users::update(&tx, row, UserChanges { status: Some(status), ..Default::default() }).await?;
        if status == UserStatus::Disabled {
            ensure_an_administrator(&tx, tenant, &guard).await?;
            sessions::revoke_user(&tx, tenant, uid).await?;
            users::bump_token_generation(&tx, tenant, uid).await?;
        }
        let action = if status == UserStatus::Disabled { "disable" } else { "enable" };
        audit::record(&tx, who, action, "user", uid.0, json!({"status": {"from": before, "to": status}})).await?;
        let view = self.view(&tx, row).await?;
        config_generation::bump(&tx, who.tenant_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// Sets a new password (policy applies) and ends every session and access token of the user.
    pub async fn reset_password(&self, who: &Access, uid: UserId, new_password: &str) -> Result<(), AppError> {
        who.require("users:write")?;
        let row = users::find_scoped(self.store().conn(), who.tenant_id, &who.scope, uid).await?.ok_or(NOT_FOUND)?;
        check_not_protected(who, &row)?;
        let pw = PasswordPolicy::default().check("/password", new_password, &row.username)?;
        let hash = password::hash(&pw).await?;
        let tx = self.store().begin_write().await?;
        let row = users::lock_scoped(&tx, who.tenant_id, &who.scope, uid).await?.ok_or(NOT_FOUND)?;
        check_not_protected(who, &row)?;
        check_takeover(&tx, who, &row).await?;
        users::update(&tx, row, UserChanges { password_hash: Some(hash), ..Default::default() }).await?;
        sessions::revoke_user(&tx, who.tenant_id, uid).await?;
        users::bump_token_generation(&tx, who.tenant_id, uid).await?;
        audit::record(&tx, who, "reset_password", "user", uid.0, json!({"password": "***"})).await?;
        config_generation::bump(&tx, who.tenant_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    async fn view(&self, c: &impl ConnectionTrait, row: UserRecord) -> Result<UserView, AppError> {
        let (t, u) = (row.tenant_id, row.id);
        let pos = positions::of_user(c, t, u).await?.into_iter().map(|p| p.id).collect();
        let grants = positions::grants_of_user(c, t, u).await?.into_iter().collect();
        Ok(UserView::new(row, pos, grants))
    }
}
