//! The use cases' one error type. `crm-api` maps each variant once to a status and a stable code.

use crate::codes::Code;
use crm_domain::{FieldError, FieldErrors};
use crm_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input broke a rule; every offending field is listed.
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    /// Absent, or belonging to another tenant (indistinguishable on purpose).
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// The request conflicts with the current state (`code` is the stable machine code).
    #[error("conflict: {code}")]
    Conflict { code: Code, field: Option<String> },
    /// Missing, invalid or expired credentials (`code` says which, without revealing why a login failed).
    #[error("unauthenticated: {code}")]
    Unauthenticated { code: Code },
    /// Authenticated, but not allowed.
    #[error("forbidden: {code}")]
    Forbidden { code: Code, permission: Option<String> },
    /// Authenticated and permitted, but this change is refused for this target or value (granting
    /// more than the caller holds, touching a protected account); `field` names the input.
    #[error("refused: {code}")]
    Refused { code: Code, field: Option<String> },
    /// Too many attempts; retry after the given seconds.
    #[error("rate limited: {code}")]
    RateLimited { code: Code, retry_after_secs: u64 },
    /// The record probably exists already (the tenant refuses duplicates); the candidates say why.
    #[error("probable duplicate")]
    Duplicate { candidates: Vec<crate::customers::duplicates::DuplicateCandidate> },
    /// `If-Match` named a version that is no longer current.
    #[error("precondition failed")]
    PreconditionFailed,
    /// A dependency (the database) is not ready.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected failure; logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
    /// The database failed unexpectedly; logged with its cause chain, never shown.
    #[error("storage failed")]
    Storage(#[source] StoreError),
}

impl AppError {
    /// The same error with its field paths under `prefix` (a batch item's `/items/3`).
    pub fn under(self, prefix: &str) -> Self {
        match self {
            AppError::Invalid(f) => AppError::Invalid(FieldErrors(f.0.into_iter().map(|e| e.under(prefix)).collect())),
            AppError::Conflict { code, field } => {
                AppError::Conflict { code, field: Some(format!("{prefix}{}", field.unwrap_or_default())) }
            }
            AppError::Refused { code, field } => {
                AppError::Refused { code, field: Some(format!("{prefix}{}", field.unwrap_or_default())) }
            }
            other => other,
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { constraint, .. } => {
                tracing::warn!(%constraint, "unmapped unique conflict");
                AppError::Conflict { code: Code::ResourceConflict, field: None }
            }
            StoreError::Contention(e) => {
                tracing::warn!(error = %e, "transaction aborted by contention");
                AppError::Conflict { code: Code::ResourceContention, field: None }
            }
            other => AppError::Storage(other),
        }
    }
}

impl From<FieldErrors> for AppError {
    fn from(e: FieldErrors) -> Self {
        AppError::Invalid(e)
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::Invalid(e.into())
    }
}
