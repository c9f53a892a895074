//! First start: on an empty database, create tenant `default`, its Administrator position, and
//! its administrator `admin` (a platform administrator: may create tenants).

use crate::identity::seed;
use crate::{App, AppError};
use crm_domain::identity::{PasswordPolicy, Username};
use crm_domain::ids::TenantId;
use crm_domain::platform::TenantCode;
use crm_store::Insertion;
use crm_store::StoreError;
use crm_store::identity::users;
use crm_store::platform::tenants::{self, NewTenant};
use rand::Rng;
use rand::distr::Alphanumeric;
use secrecy::{ExposeSecret, SecretString};

/// The bootstrap administrator's login name.
pub const ADMIN_USERNAME: &str = "admin";

/// What the bootstrap did; `generated_password` is set only when it created `admin` with a
/// password it made up, which the caller prints once.
#[derive(Debug, Default)]
pub struct BootstrapOutcome {
    pub tenant_created: bool,
    pub admin_created: bool,
    pub generated_password: Option<SecretString>,
}

impl App {
    /// Idempotent, and safe when several instances start at once: the tenant's unique code decides
    /// which instance creates it (the others find it there), and a second admin loses on commit.
    pub async fn bootstrap(&self, admin_password: Option<&SecretString>) -> Result<BootstrapOutcome, AppError> {
        let mut out = BootstrapOutcome::default();
        let code = TenantCode::default_code();
        let tx = self.store().begin_write().await?;
        let new = NewTenant { id: TenantId::new(), code: &code, name: "Default" };
        let tenant_id = match tenants::insert_if_absent(&tx, new).await? {
            Insertion::Inserted(t) => {
                out.tenant_created = true;
                t.id
            }
            Insertion::AlreadyThere => {
                let t = tenants::find_by_code(&tx, code.as_str()).await?;
                t.ok_or_else(|| AppError::Internal("default tenant vanished".to_owned()))?.id
            }
        };
        if users::count(&tx, tenant_id).await? == 0 {
            let (plain, generated) = match admin_password {
                Some(p) => (p.expose_secret().to_owned(), false),
                None => (random_password(), true),
            };
            let checked = PasswordPolicy::default()
                .check("/admin_password", &plain, ADMIN_USERNAME)
                .map_err(|e| AppError::Invalid(e.into()))?;
            let admin = Username::parse("/admin_username", ADMIN_USERNAME)?;
            seed::administrator(&tx, tenant_id, &admin, &checked, true).await?;
            out.admin_created = true;
            out.generated_password = generated.then(|| SecretString::from(plain));
        }
        match tx.commit().await.map_err(StoreError::from) {
            Ok(()) => Ok(out),
            // Another instance bootstrapped first: its tenant and admin stand.
            Err(StoreError::Conflict { .. }) => Ok(BootstrapOutcome::default()),
            Err(e) => Err(e.into()),
        }
    }
}

fn random_password() -> String {
    rand::rng().sample_iter(&Alphanumeric).take(20).map(char::from).collect()
}
