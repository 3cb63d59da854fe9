//! Login throttling: a burst of attempts for one e-mail is answered RATE_LIMITED, which makes
//! password guessing slow. Per process: two instances each allow the quota.
use crate::error::{AppError, AppResult};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;

pub struct LoginThrottle {
    limiter: DefaultKeyedRateLimiter<String>,
}

impl LoginThrottle {
    /// `per_minute` attempts per e-mail, refilled evenly.
    pub fn new(per_minute: u32) -> Self {
        let quota =
            Quota::per_minute(NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN));
        LoginThrottle {
            limiter: RateLimiter::keyed(quota),
        }
    }

    pub fn check(&self, email: &str) -> AppResult<()> {
        if self.limiter.len() > 100_000 {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&email.trim().to_lowercase())
            .map_err(|_| AppError::RateLimited)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_quota_is_per_email() {
        let t = super::LoginThrottle::new(3);
        for _ in 0..3 {
            assert!(t.check("a@x.example").is_ok());
        }
        assert!(t.check("A@x.example ").is_err());
        assert!(t.check("b@x.example").is_ok());
    }
}
