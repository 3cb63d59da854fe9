//! User sessions: HS256 JWTs whose `exp`, `iat`, `sub` and `iss` are all checked.
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
    /// Company of the user, for logs; access is re-read from the database on every request.
    pub cid: i64,
}

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    issuer: String,
    ttl_seconds: i64,
}

impl JwtKeys {
    pub fn new(secret: &str, issuer: &str, ttl_seconds: i64) -> Self {
        JwtKeys {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            issuer: issuer.to_owned(),
            ttl_seconds,
        }
    }

    /// Issues a token for a user; returns it with its expiry.
    pub fn issue(&self, user_id: i64, company_id: i64) -> AppResult<(String, DateTime<Utc>)> {
        self.issue_at(user_id, company_id, Utc::now(), self.ttl_seconds)
    }

    pub fn issue_at(
        &self,
        user_id: i64,
        company_id: i64,
        now: DateTime<Utc>,
        ttl_seconds: i64,
    ) -> AppResult<(String, DateTime<Utc>)> {
        let exp = now + chrono::Duration::seconds(ttl_seconds);
        let claims = Claims {
            sub: user_id.to_string(),
            iss: self.issuer.clone(),
            iat: now.timestamp(),
            exp: exp.timestamp(),
            cid: company_id,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(AppError::internal)?;
        Ok((token, exp))
    }

    /// Verifies signature, algorithm, issuer, expiry and issue time; returns the user id.
    pub fn verify(&self, token: &str) -> AppResult<i64> {
        self.verify_until(token).map(|(user, _)| user)
    }

    /// As [`verify`](Self::verify), with the moment the token expires.
    pub fn verify_until(&self, token: &str) -> AppResult<(i64, DateTime<Utc>)> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss"]);
        validation.leeway = 0;
        // One answer for every way a token fails, in production too: the library's messages
        // ("unknown variant `none`", "missing field `iss`") tell an attacker what it checks.
        // The cause goes to the log.
        let refuse = |cause: &dyn std::fmt::Display| {
            tracing::info!(%cause, "bearer token refused");
            AppError::Unauthenticated(INVALID_TOKEN.into())
        };
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|e| refuse(&e))?;
        if data.claims.iat > Utc::now().timestamp() + 60 {
            return Err(refuse(&"issued in the future"));
        }
        let user = data
            .claims
            .sub
            .parse()
            .map_err(|_| refuse(&"subject is not a user id"))?;
        let expires = DateTime::from_timestamp(data.claims.exp, 0)
            .ok_or_else(|| refuse(&"expiry out of range"))?;
        Ok((user, expires))
    }
}

/// What every refused bearer token is told (log in again, or use a valid API token).
pub const INVALID_TOKEN: &str = "invalid or expired token";

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn a_fresh_token_verifies_to_its_user() {
        let keys = JwtKeys::new(SECRET, "mercato", 60);
        let (token, _) = keys.issue(42, 1).unwrap();
        assert_eq!(keys.verify(&token).unwrap(), 42);
    }

    #[test]
    fn an_expired_token_is_refused() {
        let keys = JwtKeys::new(SECRET, "mercato", 60);
        let past = Utc::now() - chrono::Duration::hours(2);
        let (token, _) = keys.issue_at(42, 1, past, 60).unwrap();
        assert!(matches!(
            keys.verify(&token),
            Err(AppError::Unauthenticated(_))
        ));
    }

    #[test]
    fn another_issuer_or_secret_is_refused() {
        let keys = JwtKeys::new(SECRET, "mercato", 60);
        let other_issuer = JwtKeys::new(SECRET, "someone-else", 60);
        let other_secret = JwtKeys::new("ffffffffffffffffffffffffffffffff", "mercato", 60);
        let (t1, _) = other_issuer.issue(1, 1).unwrap();
        let (t2, _) = other_secret.issue(1, 1).unwrap();
        assert!(keys.verify(&t1).is_err());
        assert!(keys.verify(&t2).is_err());
    }
}
