//! The scheduler: once a minute (and at start-up) it does the customer life cycle's dated work
//! — scheduled terminations, trials that ran out, trial-ending emails — through
//! `domain::lifecycle::run_due`, which makes each item happen exactly once however many server
//! processes run it. Work missed while no server ran is done at the next start. Each pass also
//! sweeps what has expired (`domain::sweep`: sessions, tokens, activation links, idempotency
//! records, old sign-in failures), in bounded batches. Hourly it refreshes SQLite's query-planner
//! statistics (`domain::db::optimize`).

use domain::db::DatabaseConnection;
use std::time::Duration;
use tokio::sync::watch;

pub struct Scheduler {
    /// How often to look for due work.
    pub interval: Duration,
}

impl Default for Scheduler {
    fn default() -> Self {
        Scheduler { interval: Duration::from_secs(60) }
    }
}

impl Scheduler {
    /// Runs until `stop` turns true (or its sender goes away).
    pub async fn run(self, db: DatabaseConnection, auth: domain::auth::AuthPolicy, mut stop: watch::Receiver<bool>) {
        let mut last_optimized: Option<std::time::Instant> = None;
        loop {
            // The planner's statistics, refreshed on the first pass (after whatever was loaded
            // since start-up) and then hourly.
            if last_optimized.is_none_or(|at| at.elapsed() >= Duration::from_secs(3600)) {
                if let Err(e) = domain::db::optimize(&db).await {
                    tracing::warn!(error = %e, "refreshing the query planner's statistics failed");
                }
                last_optimized = Some(std::time::Instant::now());
            }
            match domain::sweep::run(&db, &auth, chrono::Utc::now()).await {
                Ok(swept) if swept.total() > 0 => tracing::info!(?swept, "swept expired records"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "sweeping expired records failed; trying again later"),
            }
            match domain::lifecycle::run_due(&db).await {
                Ok(done) => {
                    // Warning emails wake the mail worker as their commit does.
                    if done != Default::default() {
                        tracing::info!(terminated = done.terminated, trials_converted = done.converted, trials_warned = done.warned, "scheduled work done");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "scheduled work failed; trying again later"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                _ = stop.wait_for(|stopped| *stopped) => {}
            }
            if *stop.borrow() || stop.has_changed().is_err() {
                break;
            }
        }
    }
}
