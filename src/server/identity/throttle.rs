//! Login throttling rules: each failed login for a user name or from an address slows the next
//! attempt, and too many lock that user (or address) out for a while. The failure records live
//! in the database (`login_failures`, see the identity repository), so every node sharing it
//! counts the same failures and honours the same lockouts; this module only decides.

use std::net::IpAddr;
use std::time::Duration;

/// What the throttle says about an attempt that is about to be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Go ahead after waiting this long (zero for a clean record).
    Proceed(Duration),
    /// Refused; try again after this long.
    Locked(Duration),
}

/// One key's stored record (times in milliseconds since the Unix epoch).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FailureRecord {
    /// `user:<lower-case name>` or `addr:<ip>`.
    pub key: String,
    /// Failures since the record was last cleared.
    pub failures: i64,
    /// When the last failure happened.
    pub last_ms: i64,
    /// Locked until then, if locked.
    pub locked_until_ms: Option<i64>,
}

/// The throttle's settings; the decisions are pure functions of them and the records.
#[derive(Debug, Clone)]
pub struct LoginThrottle {
    max_failures: u32,
    lockout: Duration,
    step: Duration,
}

/// Delays grow by this much per recent failure, up to [`MAX_DELAY`].
pub const DELAY_STEP: Duration = Duration::from_millis(250);
/// The longest delay before an attempt is checked.
pub const MAX_DELAY: Duration = Duration::from_secs(2);
/// An address may fail this many times more often than a single user before it is locked.
const ADDRESS_FACTOR: u32 = 4;

impl LoginThrottle {
    /// A throttle that locks after `max_failures` failures for `lockout`; delays grow by `step`.
    pub fn new(max_failures: u32, lockout: Duration, step: Duration) -> Self {
        Self {
            max_failures: max_failures.max(1),
            lockout,
            step,
        }
    }

    /// The keys an attempt counts against, each with how many failures lock it.
    pub fn keys(&self, user: &str, addr: Option<IpAddr>) -> Vec<(String, i64)> {
        let mut keys = vec![(Self::user_key(user), self.max_failures as i64)];
        if let Some(a) = addr {
            keys.push((
                format!("addr:{a}"),
                (self.max_failures * ADDRESS_FACTOR) as i64,
            ));
        }
        keys
    }

    /// The key of a user name (names are matched without case).
    pub fn user_key(user: &str) -> String {
        format!("user:{}", user.to_lowercase())
    }

    /// How long a lockout lasts, in milliseconds.
    pub fn lockout_ms(&self) -> i64 {
        self.lockout.as_millis() as i64
    }

    /// A record whose last failure is older than this (or whose lock has ended) starts again.
    pub fn stale_before(&self, now_ms: i64) -> i64 {
        now_ms - self.lockout_ms()
    }

    /// Whether an attempt may go ahead now, and after what delay, given the attempt's records.
    pub fn verdict(&self, records: &[FailureRecord], now_ms: i64) -> Verdict {
        let mut delay = Duration::ZERO;
        for r in records {
            match r.locked_until_ms {
                Some(until) if until > now_ms => {
                    return Verdict::Locked(Duration::from_millis((until - now_ms) as u64))
                }
                Some(_) => continue,
                None if r.last_ms < self.stale_before(now_ms) => continue,
                None => {
                    let n = r.failures.clamp(0, u32::MAX as i64) as u32;
                    delay = delay.max(self.step.saturating_mul(n).min(MAX_DELAY));
                }
            }
        }
        Verdict::Proceed(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> LoginThrottle {
        LoginThrottle::new(3, Duration::from_secs(60), DELAY_STEP)
    }

    fn rec(failures: i64, last_ms: i64, locked_until_ms: Option<i64>) -> FailureRecord {
        FailureRecord {
            key: "user:alice".into(),
            failures,
            last_ms,
            locked_until_ms,
        }
    }

    #[test]
    fn failures_slow_then_lock_then_expire() {
        let th = t();
        let now = 1_000_000;
        assert_eq!(th.verdict(&[], now), Verdict::Proceed(Duration::ZERO));
        assert_eq!(
            th.verdict(&[rec(1, now, None)], now),
            Verdict::Proceed(DELAY_STEP)
        );
        assert_eq!(
            th.verdict(&[rec(2, now, None)], now),
            Verdict::Proceed(DELAY_STEP * 2)
        );
        let locked = rec(3, now, Some(now + th.lockout_ms()));
        assert_eq!(
            th.verdict(std::slice::from_ref(&locked), now),
            Verdict::Locked(Duration::from_secs(60))
        );
        // The lock ends, and old failures no longer slow anyone down.
        assert_eq!(
            th.verdict(&[locked], now + 61_000),
            Verdict::Proceed(Duration::ZERO)
        );
        assert_eq!(
            th.verdict(&[rec(2, now, None)], now + 61_000),
            Verdict::Proceed(Duration::ZERO)
        );
    }

    #[test]
    fn delay_is_capped() {
        assert_eq!(
            t().verdict(&[rec(50, 0, None)], 0),
            Verdict::Proceed(MAX_DELAY)
        );
    }

    #[test]
    fn keys_ignore_case_and_addresses_get_more_room() {
        let th = t();
        let addr: IpAddr = "10.0.0.9".parse().unwrap();
        assert_eq!(
            th.keys("Alice", Some(addr)),
            vec![
                ("user:alice".to_string(), 3),
                ("addr:10.0.0.9".to_string(), 12)
            ]
        );
        assert_eq!(th.keys("bob", None).len(), 1);
    }
}
