//! Reading staff users. (Creating and changing them arrives with positions and permissions.)

use crate::paging::{Page, PageRequest};
use crate::{App, AppError, Principal};
use chrono::{DateTime, Utc};
use crm_domain::ids::{TenantId, UserId};
use crm_store::identity::users::{self, UserRow};

/// A user as the API shows it; no password hash.
#[derive(Debug, Clone)]
pub struct UserView {
    pub id: UserId,
    pub tenant_id: TenantId,
    pub username: String,
    pub display_name: String,
    pub status: String,
    pub is_platform_admin: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<UserRow> for UserView {
    fn from(r: UserRow) -> Self {
        Self {
            id: UserId(r.id),
            tenant_id: TenantId(r.tenant_id),
            username: r.username,
            display_name: r.display_name,
            status: r.status,
            is_platform_admin: r.is_platform_admin,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl App {
    /// The caller's own account.
    pub async fn me(&self, p: &Principal) -> Result<UserView, AppError> {
        self.get_user(p, p.user_id).await
    }

    /// One user of the caller's tenant; another tenant's id is `NotFound`.
    pub async fn get_user(&self, p: &Principal, id: UserId) -> Result<UserView, AppError> {
        users::find(self.store().conn(), p.tenant_id, id)
            .await?
            .map(UserView::from)
            .ok_or(AppError::NotFound { entity: "user" })
    }

    /// The caller's tenant's users, oldest first.
    pub async fn list_users(
        &self,
        p: &Principal,
        page: PageRequest,
    ) -> Result<Page<UserView>, AppError> {
        let rows = users::page(
            self.store().conn(),
            p.tenant_id,
            page.after,
            page.fetch_size(),
        )
        .await?;
        Ok(page.finish(rows, |r| r.id, UserView::from))
    }
}
