//! Partner API token secrets (R-ACC-7). A token reads `mct_<lookup>_<secret>`: the lookup part
//! finds the row, the secret is stored only as its SHA-256 (it is 256 random bits, so a slow
//! hash adds nothing) and compared in constant time.
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const PREFIX: &str = "mct_";

pub struct NewSecret {
    /// The whole token, shown to the caller once.
    pub token: String,
    pub lookup: String,
    pub secret_hash: String,
}

pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

pub fn generate() -> NewSecret {
    let lookup = random_hex(8);
    let secret = random_hex(32);
    NewSecret {
        token: format!("{PREFIX}{lookup}_{secret}"),
        secret_hash: hash_secret(&secret),
        lookup,
    }
}

pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Splits a presented token into (lookup, secret); `None` when it is not an API token.
pub fn split(token: &str) -> Option<(&str, &str)> {
    token.strip_prefix(PREFIX)?.split_once('_')
}

pub fn secret_matches(secret: &str, stored_hash: &str) -> bool {
    let presented = hash_secret(secret);
    presented.len() == stored_hash.len()
        && presented
            .bytes()
            .zip(stored_hash.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The token of an `Authorization: Bearer <token>` value (HTTP header or WebSocket
/// `connection_init` payload).
pub fn bearer_token(value: &str) -> Option<&str> {
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_token_splits_back_and_matches_only_its_hash() {
        let t = generate();
        let (lookup, secret) = split(&t.token).unwrap();
        assert_eq!(lookup, t.lookup);
        assert!(secret_matches(secret, &t.secret_hash));
        assert!(!secret_matches("nope", &t.secret_hash));
        assert!(!t.secret_hash.contains(secret));
    }

    #[test]
    fn a_jwt_is_not_mistaken_for_an_api_token() {
        assert!(split("eyJhbGciOiJIUzI1NiJ9.e30.x").is_none());
    }
}
