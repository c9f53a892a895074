//! Password hashing with argon2id at OWASP parameters (19 MiB, t=2, p=1), off the async threads.

use crate::AppError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};
use crm_domain::identity::PlainPassword;

fn argon2() -> Result<Argon2<'static>, AppError> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password (PHC string).
pub async fn hash(password: &PlainPassword) -> Result<String, AppError> {
    let pw = password.expose().to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()?
            .hash_password(pw.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(e.to_string()))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
}

/// Checks a password against a stored PHC hash. With `None` it still spends the same work on a
/// fixed hash, so a missing user takes as long as a wrong password.
pub async fn verify(password: &str, stored: Option<&str>) -> Result<bool, AppError> {
    let pw = password.to_owned();
    let stored = stored.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        const DUMMY: &str =
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2Rn1r4Xw1mSxHxwzXCRm0bA0Bj7u7K8o3K4wOQmxbCk";
        let (phc, real) = match &stored {
            Some(h) => (h.as_str(), true),
            None => (DUMMY, false),
        };
        let parsed = PasswordHash::new(phc).map_err(|e| AppError::Internal(e.to_string()))?;
        let ok = argon2()?.verify_password(pw.as_bytes(), &parsed).is_ok();
        Ok(ok && real)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_domain::identity::PasswordPolicy;

    #[tokio::test]
    async fn hash_then_verify() -> Result<(), AppError> {
        let pw = PasswordPolicy::default().check("/p", "correct horse", "admin")?;
        let h = hash(&pw).await?;
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse", Some(&h)).await?);
        assert!(!verify("wrong horse!", Some(&h)).await?);
        assert!(!verify("correct horse", None).await?);
        Ok(())
    }
}
