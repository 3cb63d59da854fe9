//! Login throttling: a burst of attempts for one e-mail is answered RATE_LIMITED, which makes
//! password guessing slow. Per process: two instances each allow the quota.
//!
//! Whatever a client sends becomes a key here only as a 16-byte digest, and the maps are
//! pruned past [`MAX_KEYS`]: 10,000-character e-mails cost what short ones do, and a flood
//! of fresh addresses holds a few megabytes at most.
use crate::error::{AppError, AppResult};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};
use std::num::NonZeroU32;

/// Keys a limiter holds before it drops those whose quota has refilled.
pub const MAX_KEYS: usize = 100_000;

type Key = [u8; 16];

fn key(text: &str) -> Key {
    let digest = Sha256::digest(text.as_bytes());
    let mut k = [0u8; 16];
    k.copy_from_slice(&digest[..16]);
    k
}

fn check(limiter: &DefaultKeyedRateLimiter<Key>, max_keys: usize, text: &str) -> AppResult<()> {
    if limiter.len() > max_keys {
        limiter.retain_recent();
        limiter.shrink_to_fit();
    }
    limiter
        .check_key(&key(text))
        .map_err(|_| AppError::RateLimited)
}

pub struct LoginThrottle {
    limiter: DefaultKeyedRateLimiter<Key>,
    max_keys: usize,
}

impl LoginThrottle {
    /// `per_minute` attempts per e-mail, refilled evenly.
    pub fn new(per_minute: u32) -> Self {
        let quota =
            Quota::per_minute(NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN));
        LoginThrottle {
            limiter: RateLimiter::keyed(quota),
            max_keys: MAX_KEYS,
        }
    }

    pub fn check(&self, email: &str) -> AppResult<()> {
        check(&self.limiter, self.max_keys, &email.trim().to_lowercase())
    }

    /// Keys held now (tests, metrics).
    pub fn len(&self) -> usize {
        self.limiter.len()
    }

    pub fn is_empty(&self) -> bool {
        self.limiter.is_empty()
    }
}

/// Answers that tell a tenant admin that an identifier (an e-mail address, a company code) is
/// taken by another tenant: `per_hour` per caller, then RATE_LIMITED, so nobody enumerates
/// another company's users or codes (docs/access.md).
pub struct ProbeThrottle {
    limiter: DefaultKeyedRateLimiter<Key>,
}

impl ProbeThrottle {
    pub fn new(per_hour: u32) -> Self {
        let quota = Quota::per_hour(NonZeroU32::new(per_hour.max(1)).unwrap_or(NonZeroU32::MIN));
        ProbeThrottle {
            limiter: RateLimiter::keyed(quota),
        }
    }

    /// Counts one such answer for `caller`; RATE_LIMITED once the hour's quota is spent.
    pub fn note(&self, caller: &str) -> AppResult<()> {
        check(&self.limiter, MAX_KEYS, caller)
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

    #[test]
    fn long_addresses_are_kept_as_digests_and_the_map_is_pruned() {
        // A cap of 1,000 (the server's is MAX_KEYS). 1,001 long addresses pass it without a
        // prune (the map is pruned when a check finds it over the cap).
        let t = super::LoginThrottle {
            max_keys: 1_000,
            ..super::LoginThrottle::new(600)
        };
        let long = "x".repeat(9_980);
        for i in 0..1_001 {
            let _ = t.check(&format!("{i}{long}"));
        }
        assert_eq!(t.len(), 1_001);
        // One attempt each refills in 100 ms at 600 a minute; governor keeps a key until its
        // arrival time is an interval behind (200 ms after the attempt). Past that, the next
        // check prunes them all.
        std::thread::sleep(std::time::Duration::from_millis(300));
        let _ = t.check("again@x.example");
        assert!(t.len() <= 1, "{} keys held", t.len());
    }
}
