//! The PBX sync worker: runs due user syncs (`domain::sync`) — up to `workers` at once — and
//! keeps going until the server stops. It wakes when a change scheduled a sync
//! (`AppContext::sync_requested`, woken by every commit: `domain::db::Work`) and otherwise every `poll_interval`, which is how periodic
//! re-syncs and retries fall due. Claims make it safe to run in every server process on one
//! database: each connection syncs in one place at a time.

use chrono::Utc;
use domain::db::DatabaseConnection;
use domain::secret::SecretBox;
use domain::sync::{self, RunResult, SyncSettings};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

/// The worker's settings. The defaults suit production; tests shorten them.
#[derive(Clone, Debug)]
pub struct SyncerSettings {
    pub sync: SyncSettings,
    /// How often to look for due syncs when nothing wakes the worker.
    pub poll_interval: Duration,
    /// How many syncs run at the same time in this process.
    pub workers: usize,
}

impl Default for SyncerSettings {
    fn default() -> Self {
        SyncerSettings { sync: SyncSettings::default(), poll_interval: Duration::from_secs(5), workers: 4 }
    }
}

pub struct Syncer {
    pub settings: SyncerSettings,
    secrets: SecretBox,
    http: sync::HttpClient,
    /// Syncs running in this process, per reseller.
    running: std::sync::Mutex<HashMap<i64, usize>>,
}

/// A running sync's place in [`Syncer::running`], given back when dropped.
struct Slot {
    syncer: Arc<Syncer>,
    reseller: i64,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.syncer.running.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = counts.get_mut(&self.reseller) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.remove(&self.reseller);
            }
        }
    }
}

impl Syncer {
    /// A worker whose requests go through `http` (the server's egress policy).
    pub fn new(settings: SyncerSettings, secrets: SecretBox, http: sync::HttpClient) -> Syncer {
        Syncer { settings, secrets, http, running: Default::default() }
    }

    /// One reseller runs at most half the workers' syncs at once (at least one), so its slow
    /// PBXs cannot keep every other reseller's syncs waiting.
    fn fairness(&self) -> sync::Fairness {
        let running = self.running.lock().unwrap_or_else(|e| e.into_inner()).clone();
        sync::Fairness { running, per_reseller: (self.settings.workers / 2).max(1) }
    }

    /// Runs due syncs until `stop` turns true (or its sender goes away); syncs under way when
    /// the stop comes are abandoned (their claims run out and a later run repeats them, which
    /// is safe: a run changes users only in its final transaction).
    pub async fn run(self, db: DatabaseConnection, wake: Arc<Notify>, mut stop: watch::Receiver<bool>) {
        let this = Arc::new(self);
        let mut running: JoinSet<()> = JoinSet::new();
        tracing::info!(workers = this.settings.workers, interval_s = this.settings.sync.interval.as_secs(), "PBX sync worker started");
        loop {
            let free = this.settings.workers.saturating_sub(running.len());
            if free > 0 {
                match sync::claim_due(&db, Utc::now(), this.settings.sync.lease, free as u64, &this.fairness()).await {
                    Ok(claims) => {
                        for claim in claims {
                            let (this, db) = (this.clone(), db.clone());
                            *this.running.lock().unwrap_or_else(|e| e.into_inner()).entry(claim.reseller_id).or_default() += 1;
                            running.spawn(async move {
                                // Counted down however the sync ends (even by a panic).
                                let _slot = Slot { syncer: this.clone(), reseller: claim.reseller_id };
                                this.sync_one(&db, claim).await;
                            });
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "PBX sync worker could not read the schedule"),
                }
            }
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(this.settings.poll_interval) => {}
                Some(_) = running.join_next(), if !running.is_empty() => {}
                _ = stop.wait_for(|stopped| *stopped) => {}
            }
            if *stop.borrow() || stop.has_changed().is_err() {
                break;
            }
        }
        running.shutdown().await;
        tracing::info!("PBX sync worker stopped");
    }

    async fn sync_one(&self, db: &DatabaseConnection, claim: sync::Claim) {
        let started = std::time::Instant::now();
        let connection = claim.connection_id;
        match sync::run(db, &self.secrets, &self.http, &self.settings.sync, &claim).await {
            Ok(RunResult::Succeeded(counts)) => {
                tracing::info!(connection, elapsed_ms = started.elapsed().as_millis() as u64, "PBX sync: {}", counts.describe())
            }
            Ok(RunResult::Failed(error)) => tracing::warn!(connection, %error, "PBX sync failed"),
            Ok(RunResult::Skipped) => tracing::info!(connection, "PBX sync skipped: connection disabled or customer terminated"),
            Err(e) => tracing::error!(connection, error = %e, "PBX sync could not be recorded"),
        }
    }
}
