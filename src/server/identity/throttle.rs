//! Login throttling: each failed login for a user name or from an address slows the next attempt,
//! and too many lock that user (or address) out for a while. Kept in memory: a restart forgets it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What the throttle says about an attempt that is about to be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Go ahead after waiting this long (zero for a clean record).
    Proceed(Duration),
    /// Refused; try again after this long.
    Locked(Duration),
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

/// Failure counts per user name and per client address.
#[derive(Debug)]
pub struct LoginThrottle {
    max_failures: u32,
    lockout: Duration,
    step: Duration,
    entries: Mutex<HashMap<String, Entry>>,
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
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn keys(user: &str, addr: Option<IpAddr>) -> Vec<(String, u32)> {
        let mut keys = vec![(format!("user:{}", user.to_lowercase()), 1)];
        if let Some(a) = addr {
            keys.push((format!("addr:{a}"), ADDRESS_FACTOR));
        }
        keys
    }

    /// Whether an attempt for `user` from `addr` may go ahead now, and after what delay.
    pub fn check(&self, user: &str, addr: Option<IpAddr>, now: Instant) -> Verdict {
        let mut entries = self.entries.lock().expect("throttle lock");
        let mut delay = Duration::ZERO;
        for (key, _) in Self::keys(user, addr) {
            let Some(e) = entries.get(&key).copied() else {
                continue;
            };
            if let Some(until) = e.locked_until {
                if until > now {
                    return Verdict::Locked(until - now);
                }
                entries.remove(&key);
                continue;
            }
            if now.duration_since(e.last) > self.lockout {
                entries.remove(&key);
                continue;
            }
            delay = delay.max((self.step * e.failures).min(MAX_DELAY));
        }
        Verdict::Proceed(delay)
    }

    /// Records a failed attempt.
    pub fn failure(&self, user: &str, addr: Option<IpAddr>, now: Instant) {
        let mut entries = self.entries.lock().expect("throttle lock");
        for (key, factor) in Self::keys(user, addr) {
            let e = entries.entry(key).or_insert(Entry {
                failures: 0,
                last: now,
                locked_until: None,
            });
            e.failures += 1;
            e.last = now;
            if e.failures >= self.max_failures * factor {
                e.locked_until = Some(now + self.lockout);
            }
        }
        // Keep the map bounded: forget records idle for longer than a lockout.
        if entries.len() > 10_000 {
            let lockout = self.lockout;
            entries.retain(|_, e| now.duration_since(e.last) <= lockout);
        }
    }

    /// Records a successful login: the user's record is cleared (the address's is kept).
    pub fn success(&self, user: &str) {
        let mut entries = self.entries.lock().expect("throttle lock");
        entries.remove(&format!("user:{}", user.to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> LoginThrottle {
        LoginThrottle::new(3, Duration::from_secs(60), DELAY_STEP)
    }

    #[test]
    fn failures_slow_then_lock_then_expire() {
        let th = t();
        let now = Instant::now();
        assert_eq!(
            th.check("alice", None, now),
            Verdict::Proceed(Duration::ZERO)
        );
        th.failure("alice", None, now);
        assert_eq!(th.check("ALICE", None, now), Verdict::Proceed(DELAY_STEP));
        th.failure("alice", None, now);
        assert_eq!(
            th.check("alice", None, now),
            Verdict::Proceed(DELAY_STEP * 2)
        );
        th.failure("alice", None, now);
        assert_eq!(
            th.check("alice", None, now),
            Verdict::Locked(Duration::from_secs(60))
        );
        // Other users are not affected.
        assert_eq!(th.check("bob", None, now), Verdict::Proceed(Duration::ZERO));
        // The lock ends.
        let later = now + Duration::from_secs(61);
        assert_eq!(
            th.check("alice", None, later),
            Verdict::Proceed(Duration::ZERO)
        );
    }

    #[test]
    fn delay_is_capped() {
        let th = LoginThrottle::new(100, Duration::from_secs(60), DELAY_STEP);
        let now = Instant::now();
        for _ in 0..50 {
            th.failure("a", None, now);
        }
        assert_eq!(th.check("a", None, now), Verdict::Proceed(MAX_DELAY));
    }

    #[test]
    fn success_clears_the_user() {
        let th = t();
        let now = Instant::now();
        th.failure("alice", None, now);
        th.success("alice");
        assert_eq!(
            th.check("alice", None, now),
            Verdict::Proceed(Duration::ZERO)
        );
    }

    #[test]
    fn an_address_spraying_many_users_is_locked() {
        let th = t();
        let now = Instant::now();
        let addr: IpAddr = "10.0.0.9".parse().unwrap();
        for i in 0..12 {
            th.failure(&format!("user{i}"), Some(addr), now);
        }
        assert!(matches!(
            th.check("fresh", Some(addr), now),
            Verdict::Locked(_)
        ));
        assert_eq!(
            th.check("fresh", None, now),
            Verdict::Proceed(Duration::ZERO)
        );
    }
}
