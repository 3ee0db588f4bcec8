//! Password hashing: argon2id with the crate's defaults (m = 19 MiB, t = 2, p = 1, the OWASP
//! minimum), always off the async runtime's worker threads, and through a bounded queue: at most
//! one hash per core runs at a time, at most [`MAX_WAITING`] wait, and beyond that a sign-in is
//! refused at once ("try again in a moment") instead of piling up memory and threads.

use crate::{Error, Result};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::Semaphore;

/// How many hashes may wait for a core before further ones are refused.
pub const MAX_WAITING: usize = 64;

/// A bounded queue for CPU-heavy work: `permits` run at once, `max_waiting` may wait.
struct Queue {
    running: std::sync::Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
}

/// One place in the queue's waiting count, given back however the wait ends (a client that
/// disconnects cancels the wait: the count must not leak).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Queue {
    fn new(permits: usize, max_waiting: usize) -> Queue {
        Queue { running: std::sync::Arc::new(Semaphore::new(permits.max(1))), waiting: AtomicUsize::new(0), max_waiting }
    }

    /// Runs `work` on a blocking thread when a permit is free; refuses when the queue is full.
    /// The permit moves into the blocking task, so a cancelled caller cannot free it while the
    /// hash still runs.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let waiting = Waiting(&self.waiting);
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            drop(waiting);
            tracing::warn!("password check refused: the hashing queue is full");
            return Err(Error::TooManyRequests {
                retry_after: Duration::from_secs(2),
                message: "The portal is busy checking other sign-ins. Try again in a moment.".into(),
            });
        }
        let permit = self.running.clone().acquire_owned().await.map_err(|e| Error::Internal(e.to_string()))?;
        drop(waiting);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))
    }
}

/// The process's hashing queue: one hash per core at a time.
async fn queued<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    static QUEUE: OnceLock<Queue> = OnceLock::new();
    QUEUE.get_or_init(|| Queue::new(std::thread::available_parallelism().map_or(2, |n| n.get()), MAX_WAITING)).run(work).await
}

/// A valid argon2id hash of a random password nobody knows. Unknown emails are verified
/// against it so that a sign-in for a missing account costs the same time as a real one.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2lnbi1pbi1kdW1teS1zYWx0$5dbxZf7TeKdpJ9C0L5zqgq9rj0XCmGqKxLQoV9PZb1A";

pub async fn hash(password: &str) -> Result<String> {
    let password = password.to_owned();
    queued(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(format!("hashing a password failed: {e}")))
    })
    .await?
}

/// Checks `password` against `stored`, or against the dummy hash when there is no account,
/// so both paths take the same time. Returns true only for a real match.
pub async fn verify(password: &str, stored: Option<&str>) -> Result<bool> {
    let password = password.to_owned();
    let (hash, real) = match stored {
        Some(h) => (h.to_owned(), true),
        None => (DUMMY_HASH.to_owned(), false),
    };
    queued(move || {
        let ok = Argon2::default().verify_password(password.as_bytes(), hash.as_str()).is_ok();
        ok && real
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_flood_is_refused_beyond_the_queue_not_piled_up() {
        let queue = std::sync::Arc::new(Queue::new(1, 4));
        let checks: Vec<_> = (0..20)
            .map(|_| {
                let queue = queue.clone();
                tokio::spawn(async move { queue.run(|| std::thread::sleep(Duration::from_millis(50))).await })
            })
            .collect();
        let mut refused = 0;
        for check in checks {
            match check.await.unwrap() {
                Ok(()) => {}
                Err(Error::TooManyRequests { .. }) => refused += 1,
                Err(e) => panic!("{e}"),
            }
        }
        assert!(refused >= 10, "one running and four waiting: most of twenty are refused at once ({refused})");
        assert_eq!(queue.waiting.load(Ordering::SeqCst), 0, "nothing left waiting");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cancelled_waits_give_their_place_back() {
        let queue = std::sync::Arc::new(Queue::new(1, 4));
        let busy = {
            let queue = queue.clone();
            tokio::spawn(async move { queue.run(|| std::thread::sleep(Duration::from_millis(300))).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        // Callers that give up while waiting (a client that disconnected).
        for _ in 0..10 {
            let queue = queue.clone();
            let waiter = tokio::spawn(async move { queue.run(|| ()).await });
            tokio::time::sleep(Duration::from_millis(5)).await;
            waiter.abort();
        }
        busy.await.unwrap().unwrap();
        assert_eq!(queue.waiting.load(Ordering::SeqCst), 0, "no place leaked");
        assert!(queue.run(|| ()).await.is_ok(), "the queue still takes work");
    }

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
