//! Readiness: the database answers and every migration is applied.

use crate::{App, AppError};

impl App {
    /// `Ok` when the service can take traffic; `Unavailable` says why not.
    pub async fn readiness(&self) -> Result<(), AppError> {
        self.store().ping().await.map_err(|e| AppError::Unavailable(format!("database unreachable: {e}")))?;
        let pending = self
            .store()
            .pending_migrations()
            .await
            .map_err(|e| AppError::Unavailable(format!("migration status unknown: {e}")))?;
        if pending > 0 {
            return Err(AppError::Unavailable(format!("{pending} migrations pending")));
        }
        Ok(())
    }
}
