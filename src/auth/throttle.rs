//! Throttling of password and code guessing: a pure state machine over the failures seen for
//! one key (a user of an account, or a source address). Time is an argument.
//!
//! ```text
//!              failure (n < FREE)           failure (FREE <= n < LOCK_AFTER)
//!   Open ─────────────────────> Open ───────────────────────────> Delayed(2^(n-FREE) s)
//!    ^                                                                   │ failure (n >= LOCK_AFTER)
//!    │ success, or QUIET without failures                                v
//!    └──────────────────────────────────────────────────────────── Locked(LOCKOUT)
//! ```
//!
//! An attempt made before `blocked_until` is refused without looking at the password, so a
//! blocked attacker learns nothing, and it does not count as a failure, so the block ends on
//! time: the lockout is always temporary (a permanent one would let anyone lock out a user whose
//! name they know). Unknown user names are throttled the same way as known ones, so the answers
//! do not tell them apart.
//!
//! The store counts an attempt as a failure *before* the guess is checked ([`State::reserved`]):
//! counting afterwards would let concurrent guesses all pass a check made before any of them
//! failed. A reservation counts toward the lockout at once, so at most `lock_after` guesses
//! are ever under way or done before the lock; the delays start when a guess has proved wrong
//! ([`State::confirmed`]), so that a few right attempts at once (one person's tabs, a script)
//! do not delay each other. A right guess takes its reservation back ([`State::refunded`]) or
//! the key is forgotten.

use chrono::{Duration, NaiveDateTime};

/// How hard a key is throttled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Failures allowed without any delay. Users mistype; a lower number annoys them, a
    /// higher one gives guessers free tries.
    pub free: u32,
    /// Failures after which the key is locked for `lockout`.
    pub lock_after: u32,
    /// Length of the temporary lockout.
    pub lockout: Duration,
    /// Longest delay between failures before the lockout.
    pub max_delay: Duration,
    /// Failures older than this (with none since) are forgotten.
    pub quiet: Duration,
}

/// Per user: 3 free tries, then 1, 2, 4, ... 64 s apart, then 15 minutes locked after 10
/// failures. With these numbers a guesser gets about 40 passwords an hour per user.
pub const PER_USER: Limits = Limits {
    free: 3,
    lock_after: 10,
    lockout: Duration::minutes(15),
    max_delay: Duration::seconds(64),
    quiet: Duration::hours(1),
};

/// Per source address: looser (offices and NATs share addresses) but still bounded, so one
/// address cannot spray guesses across many user names.
pub const PER_ADDRESS: Limits = Limits {
    free: 20,
    lock_after: 100,
    lockout: Duration::minutes(15),
    max_delay: Duration::seconds(30),
    quiet: Duration::hours(1),
};

/// Per MFA device, for codes sent to STS (`GetSessionToken`, `AssumeRole` with
/// `SerialNumber`): as strict as a user's password, since a six-digit code is guessed once in
/// about 330,000 tries (three codes are valid at a time). Looser numbers make a stolen access
/// key plus guessing worth MFA credentials within days.
pub const PER_DEVICE: Limits = PER_USER;

/// Wrong second-factor codes one half-signed-in session may send before it is ended (and
/// the password must be given again): the password step's own throttle then applies to
/// every further round.
pub const MFA_CODES_PER_SESSION: u32 = 5;

/// Per half-signed-in session: locked at [`MFA_CODES_PER_SESSION`] wrong codes.
pub const PER_MFA_SESSION: Limits = Limits {
    free: MFA_CODES_PER_SESSION,
    lock_after: MFA_CODES_PER_SESSION,
    lockout: Duration::hours(1),
    max_delay: Duration::hours(1),
    quiet: Duration::hours(1),
};

/// What is remembered about one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct State {
    pub failures: u32,
    pub last_failure_at: Option<NaiveDateTime>,
    pub blocked_until: Option<NaiveDateTime>,
}

/// Whether an attempt may be made now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Refused until the given time; `locked` tells a lockout from a delay.
    Blocked {
        until: NaiveDateTime,
        locked: bool,
    },
}

impl State {
    /// The state as of `now`, with failures forgotten after a quiet period.
    fn current(self, limits: &Limits, now: NaiveDateTime) -> Self {
        match self.last_failure_at {
            Some(at) if now - at >= limits.quiet && self.blocked_until.is_none_or(|b| b <= now) => {
                Self::default()
            }
            _ => self,
        }
    }

    pub fn check(self, limits: &Limits, now: NaiveDateTime) -> Verdict {
        match self.current(limits, now).blocked_until {
            Some(until) if until > now => Verdict::Blocked {
                until,
                locked: self.failures >= limits.lock_after,
            },
            _ => Verdict::Allowed,
        }
    }

    /// The state after a failed attempt at `now`.
    pub fn failed(self, limits: &Limits, now: NaiveDateTime) -> Self {
        let mut next = self.current(limits, now);
        if next.failures >= limits.lock_after && next.blocked_until.is_none_or(|b| b <= now) {
            // A lockout that has run out starts a fresh round of delays; one still running
            // is never shortened by a failure that slipped past it.
            next = Self::default();
        }
        next.failures += 1;
        next.last_failure_at = Some(now);
        next.blocked_until = delay(limits, next.failures).map(|d| now + d);
        next
    }
}

impl State {
    /// The state after an attempt is reserved at `now` (it was allowed): counted as a failure
    /// already, and the key locked when that makes `lock_after`.
    pub fn reserved(self, limits: &Limits, now: NaiveDateTime) -> Self {
        let mut next = self.current(limits, now);
        if next.failures >= limits.lock_after && next.blocked_until.is_none_or(|b| b <= now) {
            next = Self::default();
        }
        next.failures += 1;
        next.last_failure_at = Some(now);
        if next.failures >= limits.lock_after {
            next.blocked_until = Some(now + limits.lockout);
        }
        next
    }

    /// The state once a reserved attempt proved wrong at `now`: the delay its count imposes
    /// starts (a longer block already set stays).
    pub fn confirmed(self, limits: &Limits, now: NaiveDateTime) -> Self {
        let mut next = self;
        if let Some(wait) = delay(limits, next.failures) {
            next.blocked_until = next.blocked_until.max(Some(now + wait));
        }
        next
    }

    /// The state after a reserved attempt turned out right: the failure it was counted as is
    /// taken back, and the block is what the remaining failures impose.
    pub fn refunded(self, limits: &Limits) -> Self {
        let failures = self.failures.saturating_sub(1);
        let blocked_until = match (self.last_failure_at, delay(limits, failures)) {
            (Some(at), Some(wait)) => Some(at + wait),
            _ => None,
        };
        Self {
            failures,
            last_failure_at: self.last_failure_at.filter(|_| failures > 0),
            blocked_until,
        }
    }
}

/// The wait imposed after `failures` failures in a row.
pub fn delay(limits: &Limits, failures: u32) -> Option<Duration> {
    if failures >= limits.lock_after {
        return Some(limits.lockout);
    }
    let over = failures.checked_sub(limits.free)?;
    if over == 0 {
        return None;
    }
    let seconds = 1i64.checked_shl(over - 1).unwrap_or(i64::MAX);
    Some(Duration::seconds(seconds).min(limits.max_delay))
}

/// The stricter of several verdicts (a user key and an address key): the later unblock time.
pub fn strictest(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
    verdicts
        .into_iter()
        .fold(Verdict::Allowed, |worst, v| match (worst, v) {
            (Verdict::Allowed, v) => v,
            (w, Verdict::Allowed) => w,
            (
                Verdict::Blocked {
                    until: a,
                    locked: la,
                },
                Verdict::Blocked {
                    until: b,
                    locked: lb,
                },
            ) => Verdict::Blocked {
                until: a.max(b),
                locked: la || lb,
            },
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn t(seconds: i64) -> NaiveDateTime {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn delays_grow_then_lock_temporarily() {
        let l = PER_USER;
        let expected: Vec<Option<i64>> = (1..=10)
            .map(|n| delay(&l, n).map(|d| d.num_seconds()))
            .collect();
        assert_eq!(
            expected,
            [
                None,
                None,
                None,
                Some(1),
                Some(2),
                Some(4),
                Some(8),
                Some(16),
                Some(32),
                Some(900)
            ]
        );
    }

    #[test]
    fn a_blocked_key_is_refused_until_its_time_and_then_allowed() {
        let l = PER_USER;
        let mut s = State::default();
        let mut now = t(0);
        for _ in 0..3 {
            assert_eq!(s.check(&l, now), Verdict::Allowed);
            s = s.failed(&l, now);
        }
        assert_eq!(s.check(&l, now), Verdict::Allowed, "three free failures");
        s = s.failed(&l, now);
        assert_eq!(
            s.check(&l, now),
            Verdict::Blocked {
                until: t(1),
                locked: false
            }
        );
        now = t(1);
        assert_eq!(s.check(&l, now), Verdict::Allowed);
    }

    #[test]
    fn ten_failures_lock_for_fifteen_minutes_and_the_lock_ends() {
        let l = PER_USER;
        let mut s = State::default();
        let mut now = t(0);
        for _ in 0..10 {
            if let Verdict::Blocked { until, .. } = s.check(&l, now) {
                now = until;
            }
            s = s.failed(&l, now);
        }
        let locked_at = now;
        assert_eq!(
            s.check(&l, now),
            Verdict::Blocked {
                until: locked_at + Duration::minutes(15),
                locked: true
            }
        );
        assert!(matches!(
            s.check(&l, locked_at + Duration::minutes(14)),
            Verdict::Blocked { .. }
        ));
        let after = locked_at + Duration::minutes(15);
        assert_eq!(s.check(&l, after), Verdict::Allowed);
        // The next failure after a lockout starts over: no lock, no delay.
        let s = s.failed(&l, after);
        assert_eq!(s.failures, 1);
        assert_eq!(s.check(&l, after), Verdict::Allowed);
    }

    #[test]
    fn reservations_lock_at_the_limit_and_delays_start_when_guesses_prove_wrong() {
        let l = PER_USER;
        // Nine attempts under way at once: none blocks another.
        let mut s = State::default();
        for _ in 0..9 {
            assert_eq!(s.check(&l, t(0)), Verdict::Allowed);
            s = s.reserved(&l, t(0));
        }
        // The tenth locks the key for everyone after it.
        s = s.reserved(&l, t(0));
        assert_eq!(
            s.check(&l, t(0)),
            Verdict::Blocked {
                until: t(0) + Duration::minutes(15),
                locked: true
            }
        );
        // One after another, the delays are the same as counting after the check.
        let mut s = State::default();
        for _ in 0..4 {
            s = s.reserved(&l, t(0)).confirmed(&l, t(0));
        }
        assert_eq!(
            s.check(&l, t(0)),
            Verdict::Blocked {
                until: t(1),
                locked: false
            }
        );
        assert_eq!(s, (0..4).fold(State::default(), |s, _| s.failed(&l, t(0))));
    }

    #[test]
    fn a_failure_during_a_lockout_never_shortens_it() {
        let l = PER_USER;
        let mut s = State::default();
        for _ in 0..10 {
            s = s.failed(&l, t(0));
        }
        let locked = s.check(&l, t(1));
        assert_eq!(
            locked,
            Verdict::Blocked {
                until: t(0) + Duration::minutes(15),
                locked: true
            }
        );
        // A guess that raced past the check is counted on top of the lock, not as a new round.
        let s = s.failed(&l, t(60));
        assert_eq!(s.failures, 11);
        assert!(matches!(
            s.check(&l, t(61)),
            Verdict::Blocked { locked: true, .. }
        ));
    }

    #[test]
    fn a_refund_takes_back_one_failure_and_its_block() {
        let l = PER_USER;
        let mut s = State::default();
        for _ in 0..4 {
            s = s.failed(&l, t(0));
        }
        assert!(matches!(s.check(&l, t(0)), Verdict::Blocked { .. }));
        let back = s.refunded(&l);
        assert_eq!(back.failures, 3);
        assert_eq!(back.check(&l, t(0)), Verdict::Allowed);
        let ten = (0..10).fold(State::default(), |s, _| s.failed(&l, t(0)));
        let nine = ten.refunded(&l);
        assert_eq!(
            nine.check(&l, t(0)),
            Verdict::Blocked {
                until: t(32),
                locked: false
            }
        );
        assert_eq!(State::default().refunded(&l), State::default());
    }

    #[test]
    fn failures_are_forgotten_after_a_quiet_hour() {
        let l = PER_USER;
        let mut s = State::default();
        for i in 0..5 {
            s = s.failed(&l, t(i * 100));
        }
        assert_eq!(s.failures, 5);
        let later = t(400) + Duration::hours(1);
        let s = s.failed(&l, later);
        assert_eq!(s.failures, 1);
        assert_eq!(s.check(&l, later), Verdict::Allowed);
    }

    #[test]
    fn the_strictest_verdict_wins() {
        let a = Verdict::Blocked {
            until: t(5),
            locked: false,
        };
        let b = Verdict::Blocked {
            until: t(9),
            locked: true,
        };
        assert_eq!(strictest([Verdict::Allowed, a]), a);
        assert_eq!(
            strictest([a, b, Verdict::Allowed]),
            Verdict::Blocked {
                until: t(9),
                locked: true
            }
        );
        assert_eq!(strictest([]), Verdict::Allowed);
    }
}
