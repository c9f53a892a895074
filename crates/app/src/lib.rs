//! crm-app: use cases. The only place a business transaction is composed; every write goes
//! through [`crm_store::Store::begin_write`] and commits before the caller answers.

pub mod batch;
pub mod codes;
pub mod customers;
pub mod error;
pub mod etag;
pub mod identity;
pub mod integration;
pub mod loyalty;
pub mod membership;
pub mod paging;
pub mod platform;

use crm_store::Store;
use identity::tokens::{TokenConfig, TokenService};
use std::sync::Arc;

pub use error::AppError;
pub use identity::access::{Access, Actor};
pub use identity::principal::{Principal, Subject};

/// Settings the use cases need from configuration.
#[derive(Clone)]
pub struct AppConfig {
    pub tokens: TokenConfig,
    pub lockout: identity::sessions::LockoutPolicy,
}

/// The use-case context shared by every request: the store and the token keys. Cheap to clone.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    tokens: TokenService,
    lockout: identity::sessions::LockoutPolicy,
    access_cache: identity::access_cache::AccessCache<identity::access::Resolved>,
    generation_reads: identity::generation_reads::GenerationReads,
    tenant_cache: identity::access_cache::AccessCache<platform::snapshot::TenantSnapshot>,
}

impl App {
    /// Builds the context; loads (or generates and keeps) the JWT key when none is configured.
    pub async fn init(store: Store, config: AppConfig) -> Result<Self, AppError> {
        let lockout = config.lockout;
        let tokens = TokenService::init(&store, config.tokens).await?;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                tokens,
                lockout,
                access_cache: Default::default(),
                generation_reads: Default::default(),
                tenant_cache: Default::default(),
            }),
        })
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub(crate) fn tokens(&self) -> &TokenService {
        &self.inner.tokens
    }

    pub(crate) fn lockout(&self) -> identity::sessions::LockoutPolicy {
        self.inner.lockout
    }

    pub(crate) fn tenant_cache(&self) -> &identity::access_cache::AccessCache<platform::snapshot::TenantSnapshot> {
        &self.inner.tenant_cache
    }

    pub(crate) fn generation_reads(&self) -> &identity::generation_reads::GenerationReads {
        &self.inner.generation_reads
    }

    pub(crate) fn access_cache(&self) -> &identity::access_cache::AccessCache<identity::access::Resolved> {
        &self.inner.access_cache
    }
}
