//! Password hashing: argon2id with the crate's defaults (m = 19 MiB, t = 2, p = 1, the OWASP
//! minimum), always off the async runtime's worker threads.

use crate::{Error, Result};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};

/// A valid argon2id hash of a random password nobody knows. Unknown emails are verified
/// against it so that a sign-in for a missing account costs the same time as a real one.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2lnbi1pbi1kdW1teS1zYWx0$5dbxZf7TeKdpJ9C0L5zqgq9rj0XCmGqKxLQoV9PZb1A";

pub async fn hash(password: &str) -> Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(format!("hashing a password failed: {e}")))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
}

/// Checks `password` against `stored`, or against the dummy hash when there is no account,
/// so both paths take the same time. Returns true only for a real match.
pub async fn verify(password: &str, stored: Option<&str>) -> Result<bool> {
    let password = password.to_owned();
    let (hash, real) = match stored {
        Some(h) => (h.to_owned(), true),
        None => (DUMMY_HASH.to_owned(), false),
    };
    tokio::task::spawn_blocking(move || {
        let ok = Argon2::default().verify_password(password.as_bytes(), hash.as_str()).is_ok();
        ok && real
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let hash = hash("correct horse battery").await.unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify("correct horse battery", Some(&hash)).await.unwrap());
        assert!(!verify("correct horse battery!", Some(&hash)).await.unwrap());
    }

    #[tokio::test]
    async fn the_same_password_gets_a_different_salt_each_time() {
        assert_ne!(hash("same password here").await.unwrap(), hash("same password here").await.unwrap());
    }

    #[tokio::test]
    async fn a_missing_account_never_verifies_but_costs_a_real_verification() {
        // Same algorithm and cost parameters as a real hash, so both paths take the same time.
        let dummy = argon2::PasswordHash::new(DUMMY_HASH).unwrap();
        let real_hash = hash("anything at all").await.unwrap();
        let real = argon2::PasswordHash::new(&real_hash).unwrap();
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(argon2::Params::try_from(&dummy).unwrap(), argon2::Params::try_from(&real).unwrap());
        assert!(!verify("anything at all", None).await.unwrap());
    }
}
