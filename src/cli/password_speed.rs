//! `keyward password-speed`: how many argon2id password checks per second this machine does
//! with Keyward's parameters. Sign-ins per second cannot exceed it, so it is the number to
//! size a deployment with (and what the sign-in benchmark compares itself to).

use crate::auth::password;
use crate::clock::SystemRandom;
use crate::secrets::SecretString;
use std::time::{Duration, Instant};

/// One measurement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Speed {
    pub threads: usize,
    pub checks: u64,
    pub seconds: f64,
}

impl Speed {
    pub fn per_second(&self) -> f64 {
        self.checks as f64 / self.seconds
    }
}

/// Verifies one password against its hash on `threads` threads for about `duration`.
pub fn measure(threads: usize, duration: Duration) -> Result<Speed, password::PasswordError> {
    let secret = SecretString::from("correct horse battery staple".to_string());
    let hash = password::hash(&secret, &SystemRandom)?;
    let started = Instant::now();
    let workers: Vec<_> = (0..threads.max(1))
        .map(|_| {
            let (secret, hash) = (secret.clone(), hash.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while started.elapsed() < duration {
                    if password::verify(&secret, &hash).unwrap_or(false) {
                        n += 1;
                    }
                }
                n
            })
        })
        .collect();
    let checks = workers.into_iter().map(|w| w.join().unwrap_or(0)).sum();
    Ok(Speed {
        threads: threads.max(1),
        checks,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The report `keyward password-speed` prints.
pub fn report(speed: &Speed, json: bool) -> String {
    let params = format!(
        "m={},t={},p={}",
        password::M_COST_KIB,
        password::T_COST,
        password::P_COST
    );
    if json {
        serde_json::json!({
            "algorithm": "argon2id",
            "parameters": params,
            "threads": speed.threads,
            "checks": speed.checks,
            "seconds": speed.seconds,
            "per_second": speed.per_second(),
        })
        .to_string()
    } else {
        format!(
            "argon2id ({params}): {:.1} password checks per second on {} threads ({:.1} per thread)",
            speed.per_second(),
            speed.threads,
            speed.per_second() / speed.threads as f64
        )
    }
}
