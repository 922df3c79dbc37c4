//! The per-token request rate limit: each bearer token may make `per_minute` requests a
//! minute on average, in bursts of up to `burst`, before the server answers
//! `429 rate_limited` with `Retry-After`: the seconds until a few requests (ten, or the
//! burst if smaller) are allowed again, so that a client waiting that long can finish
//! a step of several requests. A GCRA limiter keyed by the token's SHA-256 ([`governor`]); only tokens the
//! server accepted are counted, so the limiter holds at most one small entry per live
//! token, and entries of tokens that have been quiet long enough to be back at a full
//! burst are dropped now and then.
//!
//! The defaults (600 a minute, bursts of 600) leave a phone's sync far below the limit:
//! a run is a push per 500 events, a pull per 1,000 and two or three requests per photo,
//! so even a phone back after a day offline with 50 photos makes about 150 requests.
//! The console's map and lists make a few requests per click.
//!
//! The count is the process's own: several server processes behind a balancer each
//! allow a token its rate, so up to N times it in all (docs/deploy.md says why it is
//! not kept in PostgreSQL and how to size it).

use governor::{
    clock::{Clock, DefaultClock},
    state::keyed::DefaultKeyedStateStore,
    Quota, RateLimiter,
};
use std::{
    num::NonZeroU32,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

/// How many requests a token may make (`per_minute: 0` turns the limit off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenRate {
    /// Requests a minute, on average.
    pub per_minute: u32,
    /// Requests that may come at once (at least 1; 0 means `per_minute`).
    pub burst: u32,
}

impl Default for TokenRate {
    fn default() -> Self {
        TokenRate {
            per_minute: 600,
            burst: 600,
        }
    }
}

/// A request refused by the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    /// Until the next request of this token is allowed.
    pub wait: Duration,
    /// The limit that refused it.
    pub rate: TokenRate,
}

type Keyed = RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>;

/// How many requests `Retry-After` leaves room for (at most the burst).
const ROOM_AFTER_WAIT: u32 = 10;

/// Checks after this many requests drop the entries of quiet tokens.
const SWEEP_EVERY: u64 = 4096;

/// The limiter shared by every request of a server.
pub struct TokenLimiter {
    limiter: Option<Keyed>,
    rate: TokenRate,
    checks: AtomicU64,
}

impl std::fmt::Debug for TokenLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenLimiter")
            .field("rate", &self.rate)
            .finish_non_exhaustive()
    }
}

impl TokenLimiter {
    /// A limiter enforcing `rate`.
    pub fn new(rate: TokenRate) -> Self {
        let limiter = NonZeroU32::new(rate.per_minute).map(|per_minute| {
            let burst = NonZeroU32::new(rate.burst).unwrap_or(per_minute);
            RateLimiter::dashmap(Quota::per_minute(per_minute).allow_burst(burst))
        });
        let burst = if rate.burst == 0 {
            rate.per_minute
        } else {
            rate.burst
        };
        TokenLimiter {
            limiter,
            rate: TokenRate {
                per_minute: rate.per_minute,
                burst,
            },
            checks: AtomicU64::new(0),
        }
    }

    /// Counts a request of the token whose SHA-256 is `token_digest`, or says how long
    /// it must wait.
    pub fn check(&self, token_digest: &str) -> Result<(), Refused> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        limiter
            .check_key(&token_digest.to_string())
            .map_err(|not_until| {
                // Until a few requests are allowed, not just the next one: a client
                // that waits exactly that long can then make the two or three requests
                // a step takes (a photo's HEAD and PUT) instead of one at a time for
                // ever.
                let more = self.rate.burst.clamp(1, ROOM_AFTER_WAIT) - 1;
                let interval = Duration::from_secs(60) / self.rate.per_minute.max(1);
                Refused {
                    wait: not_until.wait_time_from(limiter.clock().now()) + interval * more,
                    rate: self.rate,
                }
            })
    }

    /// Tokens the limiter holds an entry for.
    pub fn tracked(&self) -> usize {
        self.limiter.as_ref().map_or(0, |l| l.len())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_token_gets_its_burst_then_waits_and_others_are_not_affected() {
        let l = TokenLimiter::new(TokenRate {
            per_minute: 6,
            burst: 3,
        });
        for _ in 0..3 {
            assert!(l.check("a").is_ok());
        }
        let refused = l.check("a").unwrap_err();
        assert!(
            refused.wait > Duration::from_secs(25) && refused.wait <= Duration::from_secs(30),
            "one request every 10 s, and room for the burst of 3: {:?}",
            refused.wait
        );
        assert_eq!(refused.rate.burst, 3);
        assert!(l.check("b").is_ok(), "another token has its own count");
        assert_eq!(l.tracked(), 2);
    }

    #[test]
    fn a_rate_of_zero_is_no_limit() {
        let l = TokenLimiter::new(TokenRate {
            per_minute: 0,
            burst: 0,
        });
        for _ in 0..10_000 {
            assert!(l.check("a").is_ok());
        }
        assert_eq!(l.tracked(), 0);
    }
}
