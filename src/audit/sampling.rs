//! How many unauthenticated failures the trail records. Anyone can send them, as fast as the
//! network allows, so each one cannot be a row: at most [`UNAUTHENTICATED_PER_MINUTE`] are
//! recorded per minute, and the first one recorded after a pause carries the number left out
//! since the last one.
//!
//! ```text
//!   failure ──► this minute's count < limit? ──yes──► record (with the number skipped), count + 1
//!                          │no
//!                          ▼
//!                   skipped + 1 (not recorded)
//! ```
//!
//! Pure: time comes in as an argument.

use chrono::NaiveDateTime;

/// Unauthenticated failures recorded per minute at most. Raising it raises how many rows a
/// flood of unsigned or badly signed requests can write (each is up to a few KiB after
/// [`super::limits`]); lowering it to 0 would hide single failed attempts, which an
/// administrator looks for.
pub const UNAUTHENTICATED_PER_MINUTE: u32 = 60;

#[derive(Debug, Default)]
pub struct Sampler {
    minute: i64,
    recorded: u32,
    skipped: u64,
}

impl Sampler {
    /// Whether to record a failure at `now`: `Some(n)` with the number left out before it, or
    /// `None` to leave this one out.
    pub fn admit(&mut self, now: NaiveDateTime) -> Option<u64> {
        let minute = now.and_utc().timestamp().div_euclid(60);
        if minute != self.minute {
            self.minute = minute;
            self.recorded = 0;
        }
        if self.recorded >= UNAUTHENTICATED_PER_MINUTE {
            self.skipped += 1;
            return None;
        }
        self.recorded += 1;
        Some(std::mem::take(&mut self.skipped))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn at(seconds: i64) -> NaiveDateTime {
        DateTime::from_timestamp(seconds, 0)
            .expect("a valid time")
            .naive_utc()
    }

    #[test]
    fn a_flood_is_recorded_as_a_sample_with_the_count_of_the_rest() {
        let mut sampler = Sampler::default();
        let admitted: Vec<Option<u64>> = (0..100).map(|_| sampler.admit(at(600))).collect();
        let limit = UNAUTHENTICATED_PER_MINUTE as usize;
        assert!(admitted[..limit].iter().all(|a| *a == Some(0)));
        assert!(admitted[limit..].iter().all(Option::is_none));
        assert_eq!(
            sampler.admit(at(660)),
            Some(100 - limit as u64),
            "the next minute's first event says how many were left out"
        );
        assert_eq!(sampler.admit(at(661)), Some(0));
    }
}
