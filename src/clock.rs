//! The only source of "now" and of randomness. Services receive a [`Clock`] and a [`Random`]
//! through the application state and read them once per request, so tests can fix both.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use rand::{Rng, SeedableRng};
use std::sync::{Arc, Mutex};

/// Wall-clock time in UTC.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// Now, truncated to microseconds: what both stores keep, so a value read back compares equal.
    fn now_naive(&self) -> NaiveDateTime {
        self.now().naive_utc().trunc_subsecs(6)
    }
}

/// Cryptographically secure random bytes.
pub trait Random: Send + Sync {
    fn fill(&self, buf: &mut [u8]);

    fn bytes<const N: usize>(&self) -> [u8; N]
    where
        Self: Sized,
    {
        let mut out = [0u8; N];
        self.fill(&mut out);
        out
    }
}

pub type SharedClock = Arc<dyn Clock>;
pub type SharedRandom = Arc<dyn Random>;

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The thread-local CSPRNG seeded from the operating system.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemRandom;

impl Random for SystemRandom {
    fn fill(&self, buf: &mut [u8]) {
        rand::rng().fill_bytes(buf);
    }
}

/// A clock that stands still until moved; for tests.
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A deterministic generator from a seed; for tests only (its output is predictable).
#[derive(Debug)]
pub struct SeededRandom(Mutex<rand::rngs::StdRng>);

impl SeededRandom {
    pub fn new(seed: u64) -> Self {
        Self(Mutex::new(rand::rngs::StdRng::seed_from_u64(seed)))
    }
}

impl Random for SeededRandom {
    fn fill(&self, buf: &mut [u8]) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .fill_bytes(buf);
    }
}

/// Draws `len` characters uniformly from `alphabet` (rejection sampling, no modulo bias).
pub fn random_string(random: &dyn Random, alphabet: &[u8], len: usize) -> String {
    debug_assert!(!alphabet.is_empty() && alphabet.len() <= 256);
    let limit = 256 - (256 % alphabet.len());
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        random.fill(&mut buf);
        for &b in &buf {
            if (b as usize) < limit && out.len() < len {
                if let Some(&c) = alphabet.get(b as usize % alphabet.len()) {
                    out.push(c as char);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_string_uses_only_the_alphabet_and_the_length() {
        let r = SeededRandom::new(7);
        let s = random_string(&r, b"AB", 100);
        assert_eq!(s.len(), 100);
        assert!(s.chars().all(|c| c == 'A' || c == 'B'));
        assert!(s.contains('A') && s.contains('B'));
    }

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let start = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let c = FixedClock::new(start);
        assert_eq!(c.now(), start);
        c.advance(chrono::Duration::seconds(30));
        assert_eq!(c.now().timestamp(), 1_700_000_030);
    }
}
