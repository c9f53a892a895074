//! What a caller may do and see: permissions and the resolved data scope. Resolved once per
//! tenant configuration generation and cached (`access_cache`), so disabling a user, revoking a
//! client, or changing positions takes effect at the next request.

use crate::codes::Code;
use crate::identity::access_cache::SubjectKey;
use crate::identity::principal::{Principal, Subject};
use crate::platform::snapshot::{self, TenantSnapshot};
use crate::{App, AppError};
use crm_domain::identity::{ApiClientStatus, DataScope, OrgUnitKind, UserStatus, permission};
use crm_domain::ids::{ApiClientId, OrgUnitId, PositionId, TenantId, UserId};
use crm_domain::platform::audit::ActorType;
use crm_store::ConnectionTrait;
use crm_store::ScopeFilter;
use crm_store::identity::api_clients::ApiClientRecord;
use crm_store::identity::users::UserRecord;
use crm_store::identity::{api_clients, org_units, positions, users};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Who acts, for the audit log and for `self` scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User(UserId),
    Client(ApiClientId),
    /// The system itself (bootstrap, scheduled jobs).
    System,
}

impl Actor {
    /// What kind of actor, as the audit log names it.
    pub fn actor_type(self) -> ActorType {
        match self {
            Actor::User(_) => ActorType::User,
            Actor::Client(_) => ActorType::ApiClient,
            Actor::System => ActorType::System,
        }
    }

    /// [`Self::actor_type`] as its string.
    pub fn kind(self) -> &'static str {
        self.actor_type().as_str()
    }

    pub fn id(self) -> Option<uuid::Uuid> {
        match self {
            Actor::User(u) => Some(u.0),
            Actor::Client(c) => Some(c.0),
            Actor::System => None,
        }
    }
}

/// A caller with rights loaded.
#[derive(Debug, Clone)]
pub struct Access {
    pub tenant_id: TenantId,
    pub actor: Actor,
    pub permissions: Arc<BTreeSet<String>>,
    pub data_scope: DataScope,
    pub scope: ScopeFilter,
    pub is_platform_admin: bool,
    /// Correlates audit entries with logs.
    pub request_id: Option<String>,
    /// What the caller's rights were resolved from (a user's record and holdings), for `GET /me`.
    pub(crate) resolved: Option<Arc<Resolved>>,
    /// The tenant's settings and levels as of this request's configuration generation.
    pub(crate) tenant: Option<Arc<TenantSnapshot>>,
}

impl Access {
    /// The system acting in a tenant (scheduled jobs): every record visible, audited as `system`.
    pub fn system(tenant: TenantId) -> Self {
        Self {
            tenant_id: tenant,
            actor: Actor::System,
            permissions: Arc::new(BTreeSet::new()),
            data_scope: DataScope::All,
            scope: ScopeFilter::All,
            is_platform_admin: false,
            request_id: None,
            resolved: None,
            tenant: None,
        }
    }

    /// `Forbidden` naming the permission unless the caller holds it.
    pub fn require(&self, permission: &str) -> Result<(), AppError> {
        if self.permissions.contains(permission) {
            Ok(())
        } else {
            Err(AppError::Forbidden { code: Code::PermissionDenied, permission: Some(permission.to_owned()) })
        }
    }

    pub fn user_id(&self) -> Option<UserId> {
        match self.actor {
            Actor::User(u) => Some(u),
            _ => None,
        }
    }
}

/// A token issued before its subject's last logout, password reset, disabling or secret rotation.
const REVOKED: AppError = AppError::Unauthenticated { code: Code::AuthTokenRevoked };

/// The permissions that only platform administrators hold.
fn platform_permissions() -> impl Iterator<Item = String> {
    permission::CATALOGUE.iter().filter(|p| p.platform_only).map(|p| p.name.to_owned())
}

/// A user's permissions (their positions', their grants, and the platform ones of a platform
/// administrator) and the widest data scope of their positions.
pub(crate) async fn rights_of(
    c: &impl ConnectionTrait,
    user: &UserRecord,
) -> Result<(BTreeSet<String>, DataScope), AppError> {
    let h = holdings_of(c, user).await?;
    Ok((h.permissions, h.data_scope))
}

/// What a user holds: positions, direct grants, and the rights they add up to.
struct Holdings {
    position_ids: Vec<PositionId>,
    grants: Vec<String>,
    permissions: BTreeSet<String>,
    data_scope: DataScope,
}

async fn holdings_of(c: &impl ConnectionTrait, user: &UserRecord) -> Result<Holdings, AppError> {
    let (tenant, uid) = (user.tenant_id, user.id);
    let grants = positions::grants_of_user(c, tenant, uid).await?;
    let mut perms = grants.clone();
    let mut scope = DataScope::SelfOnly;
    let mut position_ids = Vec::new();
    for pos in positions::of_user(c, tenant, uid).await? {
        perms.extend(permission::granted_by(pos.grants_all, &pos.permissions));
        scope = scope.max(pos.data_scope);
        position_ids.push(pos.id);
    }
    if user.is_platform_admin {
        perms.extend(platform_permissions());
    }
    Ok(Holdings { position_ids, grants: grants.into_iter().collect(), permissions: perms, data_scope: scope })
}

/// A subject's rights as resolved at one configuration generation (see `access_cache`).
#[derive(Debug)]
pub(crate) enum Resolved {
    User {
        user: UserRecord,
        position_ids: Vec<PositionId>,
        grants: Vec<String>,
        permissions: Arc<BTreeSet<String>>,
        data_scope: DataScope,
        scope: ScopeFilter,
    },
    Client(ApiClientRecord),
}

impl Resolved {
    /// The caller's `Access` for this token, or why the token no longer counts.
    fn access(self: &Arc<Self>, p: &Principal, request_id: Option<String>) -> Result<Access, AppError> {
        match (&**self, &p.subject) {
            (Resolved::User { user, permissions, data_scope, scope, .. }, Subject::User(_)) => {
                if user.status != UserStatus::Active {
                    return Err(AppError::Unauthenticated { code: Code::AuthUserDisabled });
                }
                if p.generation < user.token_generation {
                    return Err(REVOKED);
                }
                Ok(Access {
                    tenant_id: p.tenant_id,
                    actor: Actor::User(user.id),
                    permissions: Arc::clone(permissions),
                    data_scope: *data_scope,
                    scope: scope.clone(),
                    is_platform_admin: user.is_platform_admin,
                    request_id,
                    resolved: Some(Arc::clone(self)),
                    tenant: None,
                })
            }
            (Resolved::Client(client), Subject::Client { scopes, .. }) => {
                if client.status != ApiClientStatus::Active {
                    return Err(AppError::Unauthenticated { code: Code::AuthClientRevoked });
                }
                if p.generation < client.token_generation {
                    return Err(REVOKED);
                }
                // A token never carries more than the client holds now.
                let permissions = scopes.iter().filter(|s| client.scopes.contains(*s)).cloned().collect();
                Ok(Access {
                    tenant_id: p.tenant_id,
                    actor: Actor::Client(client.id),
                    permissions: Arc::new(permissions),
                    data_scope: DataScope::All,
                    scope: ScopeFilter::All,
                    is_platform_admin: false,
                    request_id,
                    resolved: None,
                    tenant: None,
                })
            }
            _ => Err(AppError::Unauthenticated { code: Code::AuthInvalidToken }),
        }
    }

    /// The user and what they hold, as `GET /me` shows them.
    pub(crate) fn user(&self) -> Option<(&UserRecord, &[PositionId], &[String])> {
        match self {
            Resolved::User { user, position_ids, grants, .. } => Some((user, position_ids, grants)),
            Resolved::Client(_) => None,
        }
    }
}

impl App {
    /// The rights of a verified caller: a read of the tenant's configuration generation (shared
    /// with the requests that arrived with this one, see `generation_reads`), and the rights
    /// cached at that generation, or resolved again (and kept) when it has moved. The generation
    /// is read before the rights, so rights resolved across a concurrent change are kept under
    /// the older generation and resolved again at the next request.
    pub async fn access(&self, p: &Principal, request_id: Option<String>) -> Result<Access, AppError> {
        let invalid = || AppError::Unauthenticated { code: Code::AuthInvalidToken };
        let generation = self.config_generation(p.tenant_id).await?.ok_or_else(invalid)?;
        let key = match &p.subject {
            Subject::User(uid) => SubjectKey::User(p.tenant_id, *uid),
            Subject::Client { id, .. } => SubjectKey::Client(p.tenant_id, *id),
        };
        let resolved = match self.access_cache().get(key, generation) {
            Some(r) => r,
            None => {
                let r = Arc::new(self.resolve(p).await?.ok_or_else(invalid)?);
                self.access_cache().put(key, generation, Arc::clone(&r));
                r
            }
        };
        let mut access = resolved.access(p, request_id)?;
        access.tenant = Some(self.tenant_snapshot(p.tenant_id, generation).await?);
        Ok(access)
    }

    /// The tenant's settings and levels as of `generation` (read after it, and kept).
    async fn tenant_snapshot(&self, tenant: TenantId, generation: i64) -> Result<Arc<TenantSnapshot>, AppError> {
        let key = SubjectKey::Tenant(tenant);
        if let Some(t) = self.tenant_cache().get(key, generation) {
            return Ok(t);
        }
        let t = Arc::new(snapshot::load(self.store().conn(), tenant).await?);
        self.tenant_cache().put(key, generation, Arc::clone(&t));
        Ok(t)
    }

    /// Loads the subject's record and rights; `None` when the subject does not exist.
    async fn resolve(&self, p: &Principal) -> Result<Option<Resolved>, AppError> {
        let db = self.store().conn();
        match &p.subject {
            Subject::User(uid) => {
                let Some(user) = users::find(db, p.tenant_id, *uid).await? else { return Ok(None) };
                let h = holdings_of(db, &user).await?;
                let scope = self.resolve_scope(p.tenant_id, *uid, user.org_unit_id, h.data_scope).await?;
                Ok(Some(Resolved::User {
                    user,
                    position_ids: h.position_ids,
                    grants: h.grants,
                    permissions: Arc::new(h.permissions),
                    data_scope: h.data_scope,
                    scope,
                }))
            }
            Subject::Client { id, .. } => Ok(api_clients::find(db, p.tenant_id, *id).await?.map(Resolved::Client)),
        }
    }

    /// Turns a data scope into the rows it covers, from the user's place in the org tree.
    async fn resolve_scope(
        &self,
        tenant: TenantId,
        user: UserId,
        unit: Option<OrgUnitId>,
        scope: DataScope,
    ) -> Result<ScopeFilter, AppError> {
        let own = || ScopeFilter::Owners(vec![user.0]);
        if scope == DataScope::All {
            return Ok(ScopeFilter::All);
        }
        let Some(unit_id) = unit else {
            // Outside the tree a user is their own team; a company-wide view is the tenant.
            return Ok(if scope == DataScope::Company { ScopeFilter::All } else { own() });
        };
        let Some(row) = org_units::find(self.store().conn(), tenant, unit_id).await? else { return Ok(own()) };
        Ok(match scope {
            DataScope::SelfOnly => own(),
            DataScope::Team => ScopeFilter::Units(vec![row.id.0]),
            DataScope::Department => ScopeFilter::Subtree(row.path),
            DataScope::Company => {
                let tree = org_units::list(self.store().conn(), tenant).await?;
                let company = crm_domain::identity::org::path_ids(&row.path)
                    .into_iter()
                    .rev()
                    .filter_map(|id| tree.iter().find(|u| u.id.0 == id))
                    .find(|u| u.kind == OrgUnitKind::Company);
                company.map_or(ScopeFilter::All, |c| ScopeFilter::Subtree(c.path.clone()))
            }
            DataScope::All => ScopeFilter::All,
        })
    }
}
