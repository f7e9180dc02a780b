//! A cap on how many ceremonies one network source may start in a window: for steps that
//! anyone may take without an account and that cost the server a stored row each (a passkey
//! sign-in keeps its challenge for five minutes). Not a throttle of guessing (see
//! [`super::throttle`]): nothing here fails, it only starts.
//!
//! ```text
//!   source ──► window open? ──no──► new window, count 1 ──► allowed
//!                  │yes
//!                  ▼
//!            count < limit? ──yes──► count + 1 ──► allowed
//!                  │no
//!                  ▼
//!            refused until the window ends
//! ```
//!
//! IPv6 sources are counted by their /64 network, the block one subscriber usually holds;
//! counting single addresses would let one subscriber use 2^64 of them.

use chrono::{Duration, NaiveDateTime};
use std::collections::HashMap;
use std::net::IpAddr;

/// How many starts a source gets per window, and how many sources are remembered at once.
#[derive(Debug, Clone, Copy)]
pub struct StartLimits {
    pub per_window: u32,
    pub window: Duration,
    /// Sources remembered at once. When that many sources are inside their windows, new
    /// sources are refused until a window ends: memory stays bounded whatever the number of
    /// addresses an attacker has.
    pub max_sources: usize,
}

/// The counts per source (pure: time comes in as an argument).
#[derive(Debug)]
pub struct StartLimiter {
    limits: StartLimits,
    windows: HashMap<String, (NaiveDateTime, u32)>,
    /// While every place is taken: the moment the first window ends. New sources before it
    /// are refused without looking through the table again (an attacker with many addresses
    /// would otherwise make every one of their requests scan it).
    full_until: Option<NaiveDateTime>,
}

/// The key a source is counted under: the address, or its /64 for IPv6. Text that is no
/// address (none is known) is counted as it is.
pub fn source_key(source: &str) -> String {
    match source.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Err(_) => source.to_string(),
    }
}

impl StartLimiter {
    pub fn new(limits: StartLimits) -> Self {
        Self {
            limits,
            windows: HashMap::new(),
            full_until: None,
        }
    }

    /// Counts one start by `source` at `now`; `Err` with the time to wait when refused.
    pub fn start(&mut self, source: &str, now: NaiveDateTime) -> Result<(), Duration> {
        let key = source_key(source);
        let window = self.limits.window;
        if !self.windows.contains_key(&key) && self.windows.len() >= self.limits.max_sources {
            if let Some(until) = self.full_until.filter(|until| now < *until) {
                return Err(until - now);
            }
            self.windows.retain(|_, (opened, _)| *opened + window > now);
            if self.windows.len() >= self.limits.max_sources {
                // Windows only ever open later, so none ends before this.
                let soonest = self.windows.values().map(|(opened, _)| *opened).min();
                let until = soonest.map_or(now + window, |t| t + window);
                self.full_until = Some(until);
                return Err(until - now);
            }
        }
        let entry = self.windows.entry(key).or_insert((now, 0));
        if entry.0 + window <= now {
            *entry = (now, 0);
        }
        if entry.1 >= self.limits.per_window {
            return Err(entry.0 + window - now);
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + seconds, 0)
            .unwrap_or_default()
            .naive_utc()
    }

    fn limiter(per_window: u32, max_sources: usize) -> StartLimiter {
        StartLimiter::new(StartLimits {
            per_window,
            window: Duration::seconds(60),
            max_sources,
        })
    }

    #[test]
    fn a_source_gets_its_starts_per_window_then_waits_for_the_window_to_end() {
        let mut l = limiter(3, 10);
        for s in 0..3 {
            assert_eq!(l.start("192.0.2.1", at(s)), Ok(()));
        }
        assert_eq!(l.start("192.0.2.1", at(10)), Err(Duration::seconds(50)));
        assert_eq!(
            l.start("192.0.2.2", at(10)),
            Ok(()),
            "others are not held up"
        );
        assert_eq!(l.start("192.0.2.1", at(60)), Ok(()), "a new window");
    }

    #[test]
    fn ipv6_sources_are_counted_by_their_64_and_mapped_ipv4_as_ipv4() {
        assert_eq!(source_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(source_key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(source_key("192.0.2.7"), "192.0.2.7");
        let mut l = limiter(2, 10);
        assert_eq!(l.start("2001:db8:1:2::1", at(0)), Ok(()));
        assert_eq!(l.start("2001:db8:1:2::ffff", at(0)), Ok(()));
        assert!(l.start("2001:db8:1:2:9::9", at(1)).is_err(), "same /64");
        assert_eq!(l.start("2001:db8:1:3::1", at(1)), Ok(()));
    }

    #[test]
    fn memory_stays_bounded_new_sources_wait_while_every_window_is_open() {
        let mut l = limiter(5, 2);
        assert_eq!(l.start("192.0.2.1", at(0)), Ok(()));
        assert_eq!(l.start("192.0.2.2", at(30)), Ok(()));
        assert_eq!(l.start("192.0.2.3", at(40)), Err(Duration::seconds(20)));
        assert_eq!(l.start("192.0.2.1", at(40)), Ok(()), "known sources go on");
        assert_eq!(l.start("192.0.2.4", at(50)), Err(Duration::seconds(10)));
        // The first window has ended: its place is free.
        assert_eq!(l.start("192.0.2.3", at(61)), Ok(()));
        assert!(l.windows.len() <= 2);
    }
}
