//! One-time recovery codes of the root user: ten are made when the root user enrols its first
//! MFA factor and shown once; each one stands in for the second factor exactly once, so a lost
//! phone or key does not lock the account's owner out. Stored as SHA-256 hashes (the codes
//! carry 80 random bits each, so a fast hash is enough: there is nothing to guess).

use crate::clock::Random;
use crate::storage::schema::recovery_codes;
use crate::storage::{DbConnection, StorageError};
use chrono::NaiveDateTime;
use data_encoding::{BASE32_NOPAD, HEXLOWER};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

/// Codes made at a time.
pub const COUNT: usize = 10;
/// Random bytes per code (80 bits, 16 base32 characters).
const CODE_BYTES: usize = 10;

fn hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    HEXLOWER.encode(&Sha256::digest(normal.as_bytes()))
}

/// A new code, in four groups of four for reading aloud.
fn new_code(random: &dyn Random) -> String {
    let mut bytes = [0u8; CODE_BYTES];
    random.fill(&mut bytes);
    let text = BASE32_NOPAD.encode(&bytes);
    text.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// Whether the account's root user has recovery codes (used or not).
pub fn exist(conn: &mut DbConnection, account_id: &str) -> Result<bool, StorageError> {
    let n: i64 = recovery_codes::table
        .filter(recovery_codes::account_id.eq(account_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Replaces the root user's codes with new ones; returns them (to show once).
pub fn issue(
    conn: &mut DbConnection,
    random: &dyn Random,
    account_id: &str,
    now: NaiveDateTime,
) -> Result<Vec<String>, StorageError> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::account_id.eq(account_id)))
        .execute(conn)?;
    let codes: Vec<String> = (0..COUNT).map(|_| new_code(random)).collect();
    for code in &codes {
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::code_hash.eq(hash(code)),
                recovery_codes::account_id.eq(account_id),
                recovery_codes::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(codes)
}

/// Uses a code: true when it was an unused code of this account (now used).
pub fn redeem(
    conn: &mut DbConnection,
    account_id: &str,
    code: &str,
    now: NaiveDateTime,
) -> Result<bool, StorageError> {
    let used = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::code_hash.eq(hash(code)))
            .filter(recovery_codes::account_id.eq(account_id))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(now))
    .execute(conn)?;
    Ok(used == 1)
}

/// How many unused codes are left.
pub fn left(conn: &mut DbConnection, account_id: &str) -> Result<i64, StorageError> {
    Ok(recovery_codes::table
        .filter(recovery_codes::account_id.eq(account_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SeededRandom;

    #[test]
    fn codes_are_long_random_and_typed_in_any_case_or_grouping() {
        let r = SeededRandom::new(3);
        let a = new_code(&r);
        let b = new_code(&r);
        assert_ne!(a, b);
        assert_eq!(a.len(), 16 + 3);
        assert_eq!(a.matches('-').count(), 3);
        assert_eq!(hash(&a), hash(&a.to_lowercase().replace('-', " ")));
        assert_ne!(hash(&a), hash(&b));
    }
}
