//! What a caller may do and see: permissions and the resolved data scope. Loaded per request,
//! so disabling a user, revoking a client, or changing positions takes effect at once.

use crate::codes::Code;
use crate::identity::principal::{Principal, Subject};
use crate::{App, AppError};
use crm_domain::identity::{ApiClientStatus, DataScope, OrgUnitKind, UserStatus, permission};
use crm_domain::ids::{ApiClientId, OrgUnitId, TenantId, UserId};
use crm_domain::platform::audit::ActorType;
use crm_store::ConnectionTrait;
use crm_store::ScopeFilter;
use crm_store::identity::users::UserRecord;
use crm_store::identity::{api_clients, org_units, positions, users};
use std::collections::BTreeSet;

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
    pub permissions: BTreeSet<String>,
    pub data_scope: DataScope,
    pub scope: ScopeFilter,
    pub is_platform_admin: bool,
    /// Correlates audit entries with logs.
    pub request_id: Option<String>,
}

impl Access {
    /// The system acting in a tenant (scheduled jobs): every record visible, audited as `system`.
    pub fn system(tenant: TenantId) -> Self {
        Self {
            tenant_id: tenant,
            actor: Actor::System,
            permissions: BTreeSet::new(),
            data_scope: DataScope::All,
            scope: ScopeFilter::All,
            is_platform_admin: false,
            request_id: None,
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
    let (tenant, uid) = (user.tenant_id, user.id);
    let mut perms: BTreeSet<String> = positions::grants_of_user(c, tenant, uid).await?;
    let mut scope = DataScope::SelfOnly;
    for pos in positions::of_user(c, tenant, uid).await? {
        perms.extend(permission::granted_by(pos.grants_all, &pos.permissions));
        scope = scope.max(pos.data_scope);
    }
    if user.is_platform_admin {
        perms.extend(platform_permissions());
    }
    Ok((perms, scope))
}

impl App {
    /// Loads the rights of a verified caller.
    pub async fn access(&self, p: &Principal, request_id: Option<String>) -> Result<Access, AppError> {
        let db = self.store().conn();
        match &p.subject {
            Subject::User(uid) => {
                let user = users::find(db, p.tenant_id, *uid)
                    .await?
                    .ok_or(AppError::Unauthenticated { code: Code::AuthInvalidToken })?;
                if user.status != UserStatus::Active {
                    return Err(AppError::Unauthenticated { code: Code::AuthUserDisabled });
                }
                if p.generation < user.token_generation {
                    return Err(REVOKED);
                }
                let (perms, scope) = rights_of(db, &user).await?;
                let filter = self.resolve_scope(p.tenant_id, *uid, user.org_unit_id, scope).await?;
                Ok(Access {
                    tenant_id: p.tenant_id,
                    actor: Actor::User(*uid),
                    permissions: perms,
                    data_scope: scope,
                    scope: filter,
                    is_platform_admin: user.is_platform_admin,
                    request_id,
                })
            }
            Subject::Client { id, scopes } => {
                let client = api_clients::find(db, p.tenant_id, *id)
                    .await?
                    .ok_or(AppError::Unauthenticated { code: Code::AuthInvalidToken })?;
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
                    actor: Actor::Client(*id),
                    permissions,
                    data_scope: DataScope::All,
                    scope: ScopeFilter::All,
                    is_platform_admin: false,
                    request_id,
                })
            }
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
