//! Password hashing with argon2id (the crate's defaults follow OWASP guidance).
use crate::error::{AppError, AppResult};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;

pub fn hash(password: &str) -> AppResult<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(anyhow::anyhow!(e)))
}

pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Burns the same time as a real verification, so that a login for an unknown e-mail does
/// not answer faster than one with a wrong password.
pub fn verify_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let stored = DUMMY.get_or_init(|| hash("dummy-password").unwrap_or_default());
    let _ = verify(password, stored);
}

/// Minimal password policy for new users.
pub fn check_policy(password: &str) -> AppResult<()> {
    if password.chars().count() < 8 {
        return Err(AppError::validation(
            "password",
            "password must have at least 8 characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let a = super::hash("correct horse").unwrap();
        let b = super::hash("correct horse").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(super::verify("correct horse", &a));
        assert!(!super::verify("wrong horse", &a));
    }
}
